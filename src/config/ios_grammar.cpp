// The IOS dialect: global commands and sub-modes.
#include <algorithm>

#include "config/parser_impl.h"

namespace ikegate::config::detail {

namespace {

bool in(std::string_view w, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), w) != set.end();
}

// Interface sub-commands ikegate keeps as written ("ip nat outside", "duplex auto", ...).
bool ios_interface_kept(const std::vector<std::string>& w) {
  if (in(w[0], {"description", "speed", "duplex", "half-duplex", "full-duplex", "fair-queue",
                "encapsulation", "bandwidth", "delay", "tunnel", "ipv6", "keepalive", "cdp",
                "negotiation", "media-type", "clock", "serial", "standby", "vrf", "mtu", "load-interval",
                "mop", "switchport", "service-policy", "zone-member", "pppoe", "pppoe-client",
                "dialer", "ppp", "autostate", "channel-group", "logging", "snmp", "arp"}))
    return true;
  if (w[0] == "ip" && w.size() > 1)
    return in(w[1], {"nat", "virtual-reassembly", "mtu", "tcp", "helper-address", "ospf", "access-group",
                     "flow", "route-cache", "directed-broadcast", "unreachables", "redirects",
                     "proxy-arp", "pim", "igmp", "policy", "vrf", "dhcp", "verify", "inspect",
                     "nbar", "split-horizon", "summary-address", "authentication", "hello-interval"});
  return false;
}

std::optional<AccessList::Kind> numbered_acl_kind(std::string_view w) {
  auto n = parse_number(w, 1, 2699);
  if (!n) return std::nullopt;
  if (*n <= 99 || (*n >= 1300 && *n <= 1999)) return AccessList::Kind::Standard;
  if ((*n >= 100 && *n <= 199) || (*n >= 2000 && *n <= 2699)) return AccessList::Kind::Extended;
  return std::nullopt;
}

}  // namespace

bool Parser::ios_global(const Line& l) {
  const auto& w = l.words;

  auto acl_named = [&](const std::string& name, AccessList::Kind kind, bool numbered) -> std::size_t {
    auto it = std::find_if(model.access_lists.begin(), model.access_lists.end(),
                           [&](const AccessList& x) { return x.name == name; });
    if (it == model.access_lists.end()) {
      model.access_lists.push_back(AccessList{Loc{l.number}, name, kind, numbered, {}});
      return model.access_lists.size() - 1;
    }
    return static_cast<std::size_t>(it - model.access_lists.begin());
  };

  if (w[0] == "ip" && w.size() >= 2 && w[1] == "access-list") {
    if (w.size() >= 3 && (w[2] == "extended" || w[2] == "standard")) {
      if (w.size() != 4) {
        error(l, "'ip access-list " + w[2] + "' needs one name; expected 'ip access-list " + w[2] + " NAME'");
        return true;
      }
      auto kind = w[2] == "extended" ? AccessList::Kind::Extended : AccessList::Kind::Standard;
      std::size_t i = acl_named(w[3], kind, false);
      if (model.access_lists[i].kind != kind) {
        error(l, "access-list '" + w[3] + "' is already a " +
                     (kind == AccessList::Kind::Extended ? "standard" : "extended") + " list; expected one kind");
        return true;
      }
      Frame f;
      f.mode = Mode::IosAcl;
      f.indent = l.indent;
      f.index = i;
      push(f);
      return true;
    }
    return false;  // ip access-list logging ..., kept
  }

  if (w[0] == "access-list") {
    if (w.size() < 3) {
      error(l, "'" + join_words(w) + "' is incomplete; expected 'access-list 100-199 permit|deny PROTOCOL SOURCE DESTINATION'");
      return true;
    }
    auto kind = numbered_acl_kind(w[1]);
    if (!kind) {
      error(l, "access-list number '" + w[1] + "' is not valid; expected 1-99 or 1300-1999 (standard), "
               "100-199 or 2000-2699 (extended)");
      return true;
    }
    Args a(l, 2);
    if (a.accept("remark")) {
      AclEntry e;
      e.loc = Loc{l.number};
      e.is_remark = true;
      e.remark = join_words(a.rest());
      model.access_lists[acl_named(w[1], *kind, true)].entries.push_back(std::move(e));
      return true;
    }
    if (auto e = parse_acl_entry(a, l, *kind == AccessList::Kind::Standard))
      model.access_lists[acl_named(w[1], *kind, true)].entries.push_back(std::move(*e));
    return true;
  }

  if (w[0] != "crypto" || w.size() < 3) return false;
  const std::string& w1 = w[1];

  if (w1 == "isakmp" && w[2] == "key") {
    // crypto isakmp key [0|6] KEY address A [M] [no-xauth] | hostname H
    Args a(l, 3);
    IsakmpKey k;
    k.loc = Loc{l.number};
    k.key = take_secret(a, l, "crypto isakmp key");
    std::string_view by = a.next();
    if (by == "address") {
      std::string_view aw = a.next();
      k.address = parse_ipv4(aw);
      if (!k.address) {
        error(l, "crypto isakmp key address is not valid; expected 'address A.B.C.D [MASK]'");
        return true;
      }
      if (auto m = parse_dotted(a.peek())) {
        if (!netmask_to_prefix(*m)) {
          error(l, "crypto isakmp key mask is not a netmask; expected e.g. 255.255.255.0 or 0.0.0.0");
          return true;
        }
        a.next();
        k.netmask = *m;
      }
    } else if (by == "hostname") {
      if (a.done()) {
        error(l, "crypto isakmp key hostname needs a name; expected 'hostname NAME'");
        return true;
      }
      k.hostname = std::string(a.next());
    } else {
      error(l, "crypto isakmp key needs a peer; expected 'address A.B.C.D [MASK]' or 'hostname NAME' after the key");
      return true;
    }
    if (a.accept("no-xauth")) k.no_xauth = true;
    if (!a.done()) {
      error(l, "unexpected '" + std::string(a.peek()) + "' after the peer; expected no-xauth or nothing");
      return true;
    }
    model.isakmp_keys.push_back(std::move(k));
    return true;
  }

  auto named_block = [&](auto& vec, Mode mode, std::string_view usage) -> bool {
    if (w.size() != 4) {
      error(l, "'" + join_words(w, 0).substr(0, 60) + "' needs one name; expected '" + std::string(usage) + "'");
      return true;
    }
    auto it = std::find_if(vec.begin(), vec.end(), [&](const auto& x) { return x.name == w[3]; });
    if (it == vec.end()) {
      vec.emplace_back();
      it = vec.end() - 1;
      it->loc = Loc{l.number};
      it->name = w[3];
    }
    Frame f;
    f.mode = mode;
    f.indent = l.indent;
    f.index = static_cast<std::size_t>(it - vec.begin());
    f.kept = &it->other;
    push(f);
    return true;
  };

  if (w1 == "ikev2") {
    if (w[2] == "proposal") return named_block(model.ikev2_proposals, Mode::IosIkev2Proposal, "crypto ikev2 proposal NAME");
    if (w[2] == "policy") return named_block(model.ios_ikev2_policies, Mode::IosIkev2Policy, "crypto ikev2 policy NAME");
    if (w[2] == "keyring") return named_block(model.keyrings, Mode::Keyring, "crypto ikev2 keyring NAME");
    if (w[2] == "profile") return named_block(model.ikev2_profiles, Mode::Ikev2Profile, "crypto ikev2 profile NAME");
    return false;
  }
  if (w1 == "ipsec" && w[2] == "profile")
    return named_block(model.ipsec_profiles, Mode::IpsecProfile, "crypto ipsec profile NAME");
  if (w1 == "ipsec" && w[2] == "transform-set") {
    if (w.size() < 4) {
      error(l, "transform-set needs a name; expected 'crypto ipsec transform-set NAME esp-aes esp-sha-hmac'");
      return true;
    }
    auto& v = model.transform_sets;
    auto it = std::find_if(v.begin(), v.end(), [&](const auto& x) { return x.name == w[3]; });
    TransformSet ts;
    ts.loc = Loc{l.number};
    ts.name = w[3];
    if (it != v.end()) {
      ts.mode = it->mode;
      ts.other = it->other;
    }
    Args a(l, 4);
    apply_transform_words(ts, a, l);
    if (it == v.end()) {
      v.push_back(std::move(ts));
      it = v.end() - 1;
    } else {
      *it = std::move(ts);
    }
    Frame f;
    f.mode = Mode::TransformSet;
    f.indent = l.indent;
    f.index = static_cast<std::size_t>(it - v.begin());
    f.kept = &it->other;
    push(f);
    return true;
  }
  if (w1 == "map" || w1 == "dynamic-map") {
    bool dynamic = w1 == "dynamic-map";
    auto seq = w.size() >= 4 ? parse_number(w[3], 1, 65535) : std::nullopt;
    if (!seq) {
      if (!dynamic && w.size() >= 4 && in(w[3], {"local-address", "redundancy", "isakmp-profile", "isakmp"})) {
        keep_global(l, Section::Crypto);
        return true;
      }
      error(l, "'crypto " + w1 + " " + w[2] + "' needs a sequence number; expected 'crypto " + w1 + " " + w[2] +
                   " 1-65535" + (dynamic ? "'" : " ipsec-isakmp'"));
      return true;
    }
    Args a(l, 4);
    // Checked before anything is created: a failed command leaves no empty map behind.
    if (!dynamic && a.peek() == "ipsec-isakmp" && a.peek(1) == "dynamic" && a.peek(2).empty()) {
      error(l, "'ipsec-isakmp dynamic' needs a dynamic-map name; expected 'ipsec-isakmp dynamic NAME'");
      return true;
    }
    CryptoMap& m = map_named(dynamic ? model.dynamic_maps : model.crypto_maps, w[2], l);
    CryptoMapEntry& e = map_entry(m, static_cast<int>(*seq), l);
    if (!dynamic) {
      if (a.accept("ipsec-isakmp")) {
        e.ipsec_isakmp = true;
        if (a.accept("dynamic")) {
          e.dynamic_map = Ref{std::string(a.next()), Loc{l.number}};
          if (!a.done()) error(l, "unexpected '" + std::string(a.peek()) + "'; expected nothing after the dynamic-map name");
          return true;  // no sub-mode
        }
      }
      if (!a.done()) {
        error(l, "unexpected '" + std::string(a.peek()) + "' after the sequence number; expected ipsec-isakmp [dynamic NAME]");
        return true;
      }
    } else if (!a.done()) {
      error(l, "unexpected '" + std::string(a.peek()) + "' after the sequence number; expected nothing");
      return true;
    }
    Frame f;
    f.mode = Mode::CryptoMapEntry;
    f.indent = l.indent;
    f.dynamic = dynamic;
    f.index = static_cast<std::size_t>(&m - (dynamic ? model.dynamic_maps.data() : model.crypto_maps.data()));
    f.sequence = static_cast<int>(*seq);
    push(f);
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------

bool Parser::ios_sub(std::size_t fi, const Line& l, bool apply) {
  const auto& w = l.words;
  Frame& f = stack_[fi];
  Args a(l, 0);
  auto extra = [&](Args& b) {
    if (!b.done()) error(l, "unexpected '" + std::string(b.peek()) + "' at the end of the command; expected nothing more");
  };
  auto kept_here = [&] {
    if (f.kept != nullptr) keep_block(*f.kept, l, nullptr);
  };

  switch (f.mode) {
    case Mode::Interface: {
      Interface& itf = model.interfaces[f.index];
      bool negated = w[0] == "no" && w.size() > 1;
      std::size_t at = negated ? 1 : 0;
      std::vector<std::string> tail(w.begin() + static_cast<long>(at), w.end());
      bool ip_address = tail[0] == "ip" && tail.size() > 1 && tail[1] == "address";
      bool cmap = tail[0] == "crypto" && tail.size() > 1 && tail[1] == "map" && tail.size() <= 3;
      bool known = ip_address || cmap || tail[0] == "shutdown";
      bool kept = !known && ios_interface_kept(tail);
      if (!known && !kept) return false;
      if (!apply) return true;
      close_to(fi);
      if (kept) {
        kept_here();
        return true;
      }
      Args b(l, at + 1);
      if (tail[0] == "shutdown") {
        itf.shutdown = !negated;
      } else if (cmap) {
        b.next();
        if (negated) {
          itf.crypto_map.reset();
          return true;
        }
        if (b.done()) {
          error(l, "'crypto map' on an interface needs a map name; expected 'crypto map NAME'");
          return true;
        }
        itf.crypto_map = Ref{std::string(b.next()), Loc{l.number}};
      } else if (negated) {
        itf.address_mode = Interface::AddressMode::NoAddress;
        itf.address = IpAddress();
        itf.netmask = 0;
        return true;
      } else {
        b.next();
        if (b.accept("dhcp")) {
          itf.address_mode = Interface::AddressMode::Dhcp;
          itf.address = IpAddress();
          itf.netmask = 0;
        } else {
          std::string_view aw = b.next(), mw = b.next();
          auto addr = parse_ipv4(aw);
          auto mask = parse_dotted(mw);
          if (!addr || !mask || !netmask_to_prefix(*mask)) {
            error(l, "interface address '" + std::string(aw) + " " + std::string(mw) +
                         "' is not valid; expected 'ip address A.B.C.D MASK' or 'ip address dhcp'");
            return true;
          }
          if (b.accept("secondary")) {
            kept_here();
            return true;
          }
          itf.address_mode = Interface::AddressMode::Static;
          itf.address = *addr;
          itf.netmask = *mask;
        }
      }
      extra(b);
      return true;
    }

    case Mode::IsakmpPolicy: {
      if (!in(w[0], {"authentication", "encr", "hash", "group", "lifetime"})) return false;
      if (!apply) return true;
      close_to(fi);
      apply_isakmp_policy(model.isakmp_policies[f.index], a, l);
      return true;
    }

    case Mode::IosIkev2Proposal: {
      if (!in(w[0], {"encryption", "integrity", "group", "prf"})) return false;
      if (!apply) return true;
      close_to(fi);
      Ikev2Transforms& t = model.ikev2_proposals[f.index].transforms;
      a.next();
      if (w[0] == "encryption") parse_list(t.encryption, ios_ikev2_encryption(), a, l, "encryption");
      else if (w[0] == "integrity") parse_list(t.integrity, ios_ikev2_integrity(), a, l, "integrity");
      else if (w[0] == "prf") parse_list(t.prf, ios_ikev2_prf(), a, l, "prf");
      else {
        std::vector<DhGroup> gs;
        if (a.done()) error(l, "group needs at least one number; expected e.g. 'group 14'");
        while (!a.done()) {
          std::string_view g = a.next();
          auto v = dh_group_number(g);
          if (!v) {
            error(l, "unknown Diffie-Hellman group '" + std::string(g) +
                         "'; expected 1, 2, 5, 14, 15, 16, 19, 20, 21 or 31");
            return true;
          }
          if (std::find(gs.begin(), gs.end(), *v) == gs.end()) gs.push_back(*v);
        }
        t.groups = std::move(gs);
      }
      return true;
    }

    case Mode::IosIkev2Policy: {
      if (!in(w[0], {"proposal", "match", "description"})) return false;
      if (!apply) return true;
      close_to(fi);
      IosIkev2Policy& p = model.ios_ikev2_policies[f.index];
      a.next();
      if (w[0] == "description") {
        kept_here();
      } else if (w[0] == "proposal") {
        if (a.done()) error(l, "'proposal' needs a name; expected 'proposal NAME'");
        while (!a.done()) p.proposals.push_back(Ref{std::string(a.next()), Loc{l.number}});
      } else if (a.accept("fvrf")) {
        if (a.done()) error(l, "'match fvrf' needs a VRF; expected 'match fvrf any' or 'match fvrf NAME'");
        else p.match_fvrf = std::string(a.next());
        extra(a);
      } else if (a.accept("address")) {
        if (!a.accept("local")) {
          error(l, "'match address' needs 'local'; expected 'match address local A.B.C.D'");
          return true;
        }
        auto addr = IpAddress::parse(a.next());
        if (!addr) {
          error(l, "'match address local' needs an address; expected 'match address local A.B.C.D'");
          return true;
        }
        p.match_local_addresses.push_back(*addr);
        extra(a);
      } else {
        error(l, "unknown ikev2 policy match '" + std::string(a.peek()) + "'; expected 'match fvrf' or 'match address local'");
      }
      return true;
    }

    case Mode::Keyring: {
      if (!in(w[0], {"peer", "description"})) return false;
      if (!apply) return true;
      close_to(fi);
      Keyring& k = model.keyrings[f.index];
      if (w[0] == "description") {
        kept_here();
        return true;
      }
      if (w.size() != 2) {
        error(l, "'peer' needs one name; expected 'peer NAME'");
        return true;
      }
      auto it = std::find_if(k.peers.begin(), k.peers.end(), [&](const auto& p) { return p.name == w[1]; });
      if (it == k.peers.end()) {
        k.peers.push_back(KeyringPeer{});
        it = k.peers.end() - 1;
        it->loc = Loc{l.number};
        it->name = w[1];
      }
      Frame p;
      p.mode = Mode::KeyringPeer;
      p.indent = l.indent;
      p.index = f.index;
      p.index2 = static_cast<std::size_t>(it - k.peers.begin());
      p.kept = &it->other;
      push(p);
      return true;
    }

    case Mode::KeyringPeer: {
      if (!in(w[0], {"address", "hostname", "identity", "pre-shared-key", "description"})) return false;
      if (!apply) return true;
      close_to(fi);
      KeyringPeer& p = model.keyrings[f.index].peers[f.index2];
      a.next();
      if (w[0] == "description") {
        kept_here();
      } else if (w[0] == "address") {
        auto addr = IpAddress::parse(a.next());
        if (!addr) {
          error(l, "keyring peer address is not valid; expected 'address A.B.C.D [MASK]'");
          return true;
        }
        p.address = *addr;
        p.netmask.reset();
        if (!a.done()) {
          auto m = parse_dotted(a.next());
          if (!m || !netmask_to_prefix(*m)) {
            error(l, "keyring peer mask is not a netmask; expected e.g. 255.255.255.255");
            return true;
          }
          p.netmask = *m;
        }
        extra(a);
      } else if (w[0] == "hostname") {
        if (w.size() != 2) error(l, "'hostname' takes one name; expected 'hostname NAME'");
        else p.hostname = w[1];
      } else if (w[0] == "identity") {
        if (a.done()) error(l, "'identity' needs a value; expected 'identity address A.B.C.D' or 'identity fqdn NAME'");
        else p.identity = join_words(a.rest());
      } else {
        std::string_view side = a.peek();
        ConfigSecret* slot = &p.key;
        std::string what = "pre-shared-key of keyring peer '" + p.name + "'";
        if (side == "local" || side == "remote") {
          a.next();
          slot = side == "local" ? &p.local_key : &p.remote_key;
          what = std::string(side) + " " + what;
        }
        *slot = take_secret(a, l, what);
        extra(a);
      }
      return true;
    }

    case Mode::Ikev2Profile: {
      bool known = (w[0] == "match" && w.size() > 1 && w[1] == "identity") || w[0] == "identity" ||
                   w[0] == "authentication" || w[0] == "keyring";
      bool kept = in(w[0], {"match", "lifetime", "dpd", "nat", "description", "aaa", "config-exchange",
                            "virtual-template", "ivrf", "pki", "reconnect", "shutdown", "redirect"});
      if (!known && !kept) return false;
      if (!apply) return true;
      close_to(fi);
      Ikev2Profile& p = model.ikev2_profiles[f.index];
      if (!known) {
        kept_here();
        return true;
      }
      a.next();
      if (w[0] == "match") {
        a.next();
        if (a.peek() == "local") {
          kept_here();
          return true;
        }
        if (!a.accept("remote")) {
          error(l, "'match identity' needs 'remote'; expected 'match identity remote address A.B.C.D [MASK]'");
          return true;
        }
        IdentityMatch m;
        m.loc = Loc{l.number};
        std::string_view type = a.next();
        if (type == "address") {
          m.type = "address";
          m.address = IpAddress::parse(a.next());
          if (!m.address) {
            error(l, "'match identity remote address' needs an address; expected 'address A.B.C.D [MASK]'");
            return true;
          }
          if (!a.done()) {
            auto mk = parse_dotted(a.next());
            if (!mk || !netmask_to_prefix(*mk)) {
              error(l, "identity mask is not a netmask; expected e.g. 255.255.255.255");
              return true;
            }
            m.netmask = *mk;
          }
        } else if (in(type, {"fqdn", "email", "key-id"})) {
          m.type = std::string(type);
          if (a.done()) {
            error(l, "'match identity remote " + m.type + "' needs a value; expected a name");
            return true;
          }
          m.value = join_words(a.rest());
        } else {
          error(l, "unknown identity type '" + std::string(type) + "'; expected address, fqdn, email or key-id");
          return true;
        }
        extra(a);
        p.match_remote.push_back(std::move(m));
      } else if (w[0] == "identity") {
        if (!a.accept("local") || a.done()) {
          error(l, "'identity' needs 'local' and a value; expected 'identity local address A.B.C.D'");
          return true;
        }
        p.identity_local = a.rest();
      } else if (w[0] == "authentication") {
        std::string_view side = a.next();
        if (side != "local" && side != "remote") {
          error(l, "'authentication' needs a side; expected 'authentication local|remote pre-share|rsa-sig'");
          return true;
        }
        std::string_view method = a.next();
        ProfileAuth m;
        if (method == "pre-share") m = ProfileAuth::PreShare;
        else if (method == "rsa-sig") m = ProfileAuth::RsaSig;
        else if (method == "ecdsa-sig") m = ProfileAuth::EcdsaSig;
        else if (method == "eap") m = ProfileAuth::Eap;
        else {
          error(l, "unknown authentication method '" + std::string(method) + "'; expected pre-share, rsa-sig, ecdsa-sig or eap");
          return true;
        }
        if (m == ProfileAuth::PreShare && !a.done()) {
          // authentication local pre-share key KEY: a key in the profile itself
          if (a.accept("key")) {
            ConfigSecret s = take_secret(a, l, "pre-shared key in ikev2 profile '" + p.name + "'");
            (void)s;
            warning(l, "a pre-shared key inside an ikev2 profile is not used by ikegate; expected the key in a keyring");
            return true;
          }
        }
        auto& list = side == "local" ? p.auth_local : p.auth_remote;
        if (side == "local") list.clear();
        if (std::find(list.begin(), list.end(), m) == list.end()) list.push_back(m);
        extra(a);
      } else {  // keyring local NAME | keyring NAME
        a.accept("local");
        if (a.done()) {
          error(l, "'keyring' needs a name; expected 'keyring local NAME'");
          return true;
        }
        p.keyring = Ref{std::string(a.next()), Loc{l.number}};
        extra(a);
      }
      return true;
    }

    case Mode::TransformSet: {
      if (w[0] != "mode") return false;
      if (!apply) return true;
      close_to(fi);
      TransformSet& ts = model.transform_sets[f.index];
      a.next();
      std::string_view m = a.next();
      if (m == "tunnel") ts.mode = IpsecMode::Tunnel;
      else if (m == "transport") ts.mode = IpsecMode::Transport;
      else {
        error(l, "unknown mode '" + std::string(m) + "'; expected tunnel or transport");
        return true;
      }
      if (a.accept("require")) kept_here();
      else extra(a);
      return true;
    }

    case Mode::IpsecProfile: {
      if (!in(w[0], {"set", "description", "responder-only"})) return false;
      if (!apply) return true;
      close_to(fi);
      IpsecProfile& p = model.ipsec_profiles[f.index];
      if (w[0] != "set") {
        kept_here();
        return true;
      }
      a.next();
      std::string_view what = a.next();
      if (what == "transform-set") {
        if (a.done()) {
          error(l, "'set transform-set' needs a name; expected 'set transform-set NAME'");
          return true;
        }
        p.transform_sets.clear();
        while (!a.done()) p.transform_sets.push_back(Ref{std::string(a.next()), Loc{l.number}});
      } else if (what == "ikev2-profile") {
        if (a.done()) {
          error(l, "'set ikev2-profile' needs a name; expected 'set ikev2-profile NAME'");
          return true;
        }
        p.ikev2_profile = Ref{std::string(a.next()), Loc{l.number}};
      } else if (what == "pfs") {
        if (a.done()) p.pfs = DhGroup::MODP_768;
        else if (auto g = parse_pfs_group(a.next(), l)) p.pfs = *g;
        else return true;
      } else if (what == "security-association" && a.accept("lifetime")) {
        parse_lifetime(p.lifetime, a, l);
      } else {
        unknown(l, "crypto ipsec profile mode");
        kept_here();
        return true;
      }
      extra(a);
      return true;
    }

    case Mode::CryptoMapEntry: {
      if (!in(w[0], {"set", "match", "description", "reverse-route", "qos"})) return false;
      if (!apply) return true;
      close_to(fi);
      CryptoMap& m = (f.dynamic ? model.dynamic_maps : model.crypto_maps)[f.index];
      CryptoMapEntry& e = map_entry(m, f.sequence, l);
      if (w[0] == "reverse-route" || w[0] == "qos") {
        e.other.push_back(join_words(w));
        return true;
      }
      apply_map_command(e, a, l, "");
      return true;
    }

    case Mode::IosAcl: {
      std::size_t at = parse_number(w[0], 1, 2147483647) ? 1 : 0;
      if (w.size() <= at || !in(w[at], {"permit", "deny", "remark"})) return false;
      if (!apply) return true;
      close_to(fi);
      AccessList& acl = model.access_lists[f.index];
      Args b(l, at);
      std::optional<int> seq;
      if (at == 1) seq = static_cast<int>(*parse_number(w[0], 1, 2147483647));
      if (b.accept("remark")) {
        AclEntry e;
        e.loc = Loc{l.number};
        e.sequence = seq;
        e.is_remark = true;
        e.remark = join_words(b.rest());
        acl.entries.push_back(std::move(e));
        return true;
      }
      if (auto e = parse_acl_entry(b, l, acl.kind == AccessList::Kind::Standard)) {
        e->sequence = seq;
        acl.entries.push_back(std::move(*e));
      }
      return true;
    }

    default:
      return false;
  }
}

}  // namespace ikegate::config::detail
