// The ASA (and PIX 7+) dialect: global commands and sub-modes.
#include <algorithm>

#include "config/parser_impl.h"

namespace ikegate::config::detail {

namespace {

bool in(std::string_view w, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), w) != set.end();
}

const KeptBlock kGroupWebvpnBlock{"webvpn",
                                  {"anyconnect", "svc", "url-list", "customization", "file-browsing",
                                   "file-entry", "filter", "homepage", "html-content-filter",
                                   "port-forward", "smart-tunnel", "deny-message", "keep-alive-ignore",
                                   "http-comp", "always-on-vpn"},
                                  {}};

// group-policy NAME attributes: ikegate keeps these as written.
constexpr std::string_view kGroupPolicyAttributes[] = {
    "wins-server", "dns-server", "vpn-tunnel-protocol", "default-domain", "split-tunnel-policy",
    "split-tunnel-network-list", "split-dns", "address-pools", "vpn-idle-timeout",
    "vpn-session-timeout", "vpn-filter", "banner", "ipv6-split-tunnel-policy", "dhcp-network-scope",
    "vpn-simultaneous-logins", "password-storage", "group-lock", "msie-proxy", "client-bypass-protocol",
    "intercept-dhcp", "ip-comp", "re-xauth", "pfs", "vpn-access-hours", "ipv6-address-pools",
    "split-tunnel-all-dns", "client-firewall", "nac-settings", "secure-unit-authentication",
    "user-authentication", "user-authentication-idle-timeout", "ip-phone-bypass", "leap-bypass",
    "nem", "backup-servers", "smartcard-removal-disconnect", "vlan", "description", "webvpn",
    "anyconnect", "security-group-tag", "scep-forwarding-url", "gateway-fqdn", "no"};

constexpr std::string_view kUserAttributes[] = {
    "vpn-group-policy", "service-type", "vpn-tunnel-protocol", "vpn-framed-ip-address", "group-lock",
    "password-storage", "memberof", "webvpn", "vpn-filter", "vpn-simultaneous-logins",
    "vpn-idle-timeout", "vpn-session-timeout", "no"};

template <std::size_t N>
bool in_list(std::string_view w, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), w) != std::end(list);
}

// Interface sub-commands ikegate keeps as written.
bool asa_interface_kept(const std::vector<std::string>& w) {
  if (in(w[0], {"description", "speed", "duplex", "management-only", "vlan", "channel-group",
                "mac-address", "ipv6", "pppoe", "delay", "lacp", "flowcontrol", "media-type",
                "member-interface", "nve-only", "zone-member", "authentication", "ospf", "igmp",
                "pim", "rip", "eigrp", "dhcp", "dhcprelay", "ddns"}))
    return true;
  return false;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

bool Parser::asa_global(const Line& l) {
  const auto& w = l.words;
  Args a(l, 1);
  auto need = [&](std::size_t n, std::string_view usage) {
    if (w.size() >= n) return true;
    error(l, "'" + join_words(w) + "' is incomplete; expected '" + std::string(usage) + "'");
    return false;
  };

  if (w[0] == "access-list") {
    if (!need(3, "access-list NAME extended permit|deny PROTOCOL SOURCE DESTINATION")) return true;
    std::string name = w[1];
    Args b(l, 2);
    if (b.accept("line")) b.next();  // "line N": a position only
    auto acl_named = [&](AccessList::Kind kind) -> AccessList& {
      auto it = std::find_if(model.access_lists.begin(), model.access_lists.end(),
                             [&](const AccessList& x) { return x.name == name; });
      if (it == model.access_lists.end()) {
        model.access_lists.push_back(AccessList{Loc{l.number}, name, kind, false, {}});
        return model.access_lists.back();
      }
      return *it;
    };
    std::string_view kind = b.peek();
    if (kind == "remark") {
      b.next();
      AclEntry e;
      e.loc = Loc{l.number};
      e.is_remark = true;
      e.remark = join_words(b.rest());
      acl_named(AccessList::Kind::Extended).entries.push_back(std::move(e));
      return true;
    }
    if (kind == "webtype" || kind == "ethertype" || kind == "rename") {
      unknown(l, "");
      keep_global(l, Section::AccessLists);
      return true;
    }
    bool standard = kind == "standard";
    if (kind == "extended" || standard) b.next();
    if (auto e = parse_acl_entry(b, l, standard)) {
      AccessList& acl = acl_named(standard ? AccessList::Kind::Standard : AccessList::Kind::Extended);
      if (acl.kind != (standard ? AccessList::Kind::Standard : AccessList::Kind::Extended)) {
        error(l, "access-list '" + name + "' mixes standard and extended entries; expected one kind");
        return true;
      }
      acl.entries.push_back(std::move(*e));
    }
    return true;
  }

  if (w[0] == "object" || w[0] == "object-group") {
    if (!need(3, w[0] + " network NAME")) return true;
    bool group = w[0] == "object-group";
    Frame f;
    f.indent = l.indent;
    if (w[1] == "network" && w.size() == 3) {
      if (group) {
        auto& v = model.network_groups;
        auto it = std::find_if(v.begin(), v.end(), [&](const auto& x) { return x.name == w[2]; });
        if (it == v.end()) {
          v.push_back(NetworkObjectGroup{Loc{l.number}, w[2], {}, {}});
          it = v.end() - 1;
        }
        f.mode = Mode::ObjectGroupNetwork;
        f.index = static_cast<std::size_t>(it - v.begin());
        f.kept = &it->other;
      } else {
        auto& v = model.network_objects;
        auto it = std::find_if(v.begin(), v.end(), [&](const auto& x) { return x.name == w[2]; });
        if (it == v.end()) {
          v.push_back(NetworkObject{});
          it = v.end() - 1;
          it->loc = Loc{l.number};
          it->name = w[2];
        }
        f.mode = Mode::ObjectNetwork;
        f.index = static_cast<std::size_t>(it - v.begin());
        f.kept = &it->other;
      }
      push(f);
      return true;
    }
    OtherObject o{Loc{l.number}, group, w[1], w[2], join_words(w, 3), {}};
    model.other_objects.push_back(std::move(o));
    f.mode = Mode::OtherObject;
    f.index = model.other_objects.size() - 1;
    f.kept = &model.other_objects.back().children;
    push(f);
    return true;
  }

  if (w[0] == "ip" && w.size() >= 2 && w[1] == "local") {
    // ip local pool NAME A-B [mask M]
    if (w.size() < 5 || w[2] != "pool") {
      error(l, "'" + join_words(w) + "' is incomplete; expected 'ip local pool NAME A.B.C.D-A.B.C.D [mask M]'");
      return true;
    }
    IpLocalPool p;
    p.loc = Loc{l.number};
    p.name = w[3];
    auto dash = w[4].find('-');
    auto first = parse_ipv4(w[4].substr(0, dash));
    auto last = dash == std::string::npos ? first : parse_ipv4(w[4].substr(dash + 1));
    if (!first || !last || last->v4_value() < first->v4_value()) {
      error(l, "pool range '" + w[4] + "' is not valid; expected FIRST-LAST with FIRST <= LAST, e.g. 10.2.2.1-10.2.2.10");
      return true;
    }
    p.first = *first;
    p.last = *last;
    Args b(l, 5);
    if (b.accept("mask")) {
      auto m = parse_dotted(b.next());
      if (!m || !netmask_to_prefix(*m)) {
        error(l, "pool mask is not a netmask; expected e.g. 'mask 255.255.255.0'");
        return true;
      }
      p.netmask = *m;
    }
    if (!b.done()) {
      error(l, "unexpected '" + std::string(b.peek()) + "' after the pool range; expected 'mask M' or nothing");
      return true;
    }
    auto it = std::find_if(model.pools.begin(), model.pools.end(), [&](const auto& x) { return x.name == p.name; });
    if (it != model.pools.end()) {
      error(l, "ip local pool '" + p.name + "' is defined twice (first at line " + std::to_string(it->loc.line) +
                   "); expected one definition");
      return true;
    }
    model.pools.push_back(std::move(p));
    return true;
  }

  if (w[0] == "crypto") {
    if (w.size() < 2) return false;
    const std::string& w1 = w[1];
    if (w1 == "ikev2" && w.size() >= 3) {
      if (w[2] == "policy") {
        auto prio = w.size() == 4 ? parse_number(w[3], 1, 65535) : std::nullopt;
        if (!prio) {
          error(l, "'crypto ikev2 policy' needs a priority; expected a number from 1 to 65535");
          return true;
        }
        auto& ps = model.asa_ikev2_policies;
        auto it = std::find_if(ps.begin(), ps.end(), [&](const auto& p) { return p.priority >= *prio; });
        if (it == ps.end() || it->priority != *prio) {
          AsaIkev2Policy p;
          p.loc = Loc{l.number};
          p.priority = static_cast<int>(*prio);
          it = ps.insert(it, std::move(p));
        }
        Frame f;
        f.mode = Mode::AsaIkev2Policy;
        f.indent = l.indent;
        f.index = static_cast<std::size_t>(it - ps.begin());
        f.kept = &it->other;
        push(f);
        return true;
      }
      if (w[2] == "enable") {
        if (w.size() < 4) {
          error(l, "'crypto ikev2 enable' needs an interface; expected 'crypto ikev2 enable outside'");
          return true;
        }
        Ikev2Enable en{Ref{w[3], Loc{l.number}}, false, std::nullopt};
        Args b(l, 4);
        if (b.accept("client-services")) {
          en.client_services = true;
          if (b.accept("port")) {
            auto port = parse_number(b.next(), 1, 65535);
            if (!port) {
              error(l, "client-services port is not valid; expected a port from 1 to 65535");
              return true;
            }
            en.client_services_port = static_cast<std::uint16_t>(*port);
          }
        }
        if (!b.done()) {
          error(l, "unexpected '" + std::string(b.peek()) + "'; expected 'client-services [port N]' or nothing");
          return true;
        }
        auto& v = model.ikev2_enabled;
        auto it = std::find_if(v.begin(), v.end(), [&](const auto& x) { return x.interface.name == w[3]; });
        if (it != v.end()) *it = en;
        else v.push_back(en);
        return true;
      }
      if (w[2] == "remote-access" && w.size() >= 5 && w[3] == "trustpoint") {
        model.ikev2_remote_access_trustpoint = Ref{w[4], Loc{l.number}};
        return true;
      }
      return false;
    }
    if ((w1 == "isakmp" || w1 == "ikev1") && w.size() >= 3 && w[2] == "enable") {
      if (w1 == "isakmp") model.asa_legacy_ikev1 = true;
      if (w.size() != 4) {
        error(l, "'crypto " + w1 + " enable' needs one interface; expected 'crypto " + w1 + " enable outside'");
        return true;
      }
      if (std::none_of(model.ikev1_enabled.begin(), model.ikev1_enabled.end(),
                       [&](const Ref& r) { return r.name == w[3]; }))
        model.ikev1_enabled.push_back(Ref{w[3], Loc{l.number}});
      return true;
    }
    if (w1 == "ipsec" && w.size() >= 3) {
      if (w[2] == "ikev2" && w.size() >= 4 && w[3] == "ipsec-proposal") {
        if (w.size() != 5) {
          error(l, "'crypto ipsec ikev2 ipsec-proposal' needs one name; expected 'crypto ipsec ikev2 ipsec-proposal NAME'");
          return true;
        }
        auto& v = model.ipsec_proposals;
        auto it = std::find_if(v.begin(), v.end(), [&](const auto& x) { return x.name == w[4]; });
        if (it == v.end()) {
          v.push_back(IpsecProposal{Loc{l.number}, w[4], {}, {}, {}});
          it = v.end() - 1;
        }
        Frame f;
        f.mode = Mode::IpsecProposal;
        f.indent = l.indent;
        f.index = static_cast<std::size_t>(it - v.begin());
        f.kept = &it->other;
        push(f);
        return true;
      }
      std::size_t at = 2;
      if (w[2] == "ikev1") at = 3;
      else if (w[2] == "transform-set") model.asa_legacy_ikev1 = true;
      if (w.size() > at && w[at] == "transform-set") {
        if (w.size() < at + 2) {
          error(l, "transform-set needs a name; expected 'crypto ipsec ikev1 transform-set NAME esp-aes esp-sha-hmac'");
          return true;
        }
        const std::string& name = w[at + 1];
        auto& v = model.transform_sets;
        auto it = std::find_if(v.begin(), v.end(), [&](const auto& x) { return x.name == name; });
        Args b(l, at + 2);
        if (b.peek() == "mode") {  // crypto ipsec ikev1 transform-set NAME mode transport
          b.next();
          if (it == v.end()) {
            error(l, "no transform-set named '" + name + "' to set the mode of; expected its transforms first");
            return true;
          }
          std::string_view m = b.next();
          if (m == "transport") it->mode = IpsecMode::Transport;
          else if (m == "tunnel") it->mode = IpsecMode::Tunnel;
          else error(l, "unknown mode '" + std::string(m) + "'; expected tunnel or transport");
          return true;
        }
        TransformSet ts;
        ts.loc = Loc{l.number};
        ts.name = name;
        if (it != v.end()) ts.mode = it->mode;
        apply_transform_words(ts, b, l);
        if (it == v.end()) v.push_back(std::move(ts));
        else *it = std::move(ts);
        return true;
      }
      return false;
    }
    if ((w1 == "map" || w1 == "dynamic-map") && w.size() >= 3) {
      bool dynamic = w1 == "dynamic-map";
      auto& maps = dynamic ? model.dynamic_maps : model.crypto_maps;
      if (!dynamic && w.size() >= 4 && w[3] == "interface") {
        if (w.size() != 5) {
          error(l, "'crypto map " + w[2] + " interface' needs an interface name; expected 'crypto map " + w[2] +
                       " interface outside'");
          return true;
        }
        map_named(maps, w[2], l).interfaces.push_back(Ref{w[4], Loc{l.number}});
        return true;
      }
      auto seq = w.size() >= 4 ? parse_number(w[3], 1, 65535) : std::nullopt;
      if (!seq || w.size() < 5) {
        error(l, "'crypto " + w1 + " " + w[2] + "' needs a sequence number and a command; expected 'crypto " + w1 +
                     " " + w[2] + " 1-65535 match address|set ...'");
        return true;
      }
      CryptoMapEntry& e = map_entry(map_named(maps, w[2], l), static_cast<int>(*seq), l);
      Args b(l, 4);
      if (!dynamic && b.peek() == "ipsec-isakmp") {
        b.next();
        e.ipsec_isakmp = true;
        if (b.accept("dynamic")) {
          if (b.done()) {
            error(l, "'ipsec-isakmp dynamic' needs a dynamic-map name; expected 'ipsec-isakmp dynamic NAME'");
            return true;
          }
          e.dynamic_map = Ref{std::string(b.next()), Loc{l.number}};
        }
        if (!b.done()) error(l, "unexpected '" + std::string(b.peek()) + "'; expected 'ipsec-isakmp dynamic NAME'");
        return true;
      }
      apply_map_command(e, b, l, "crypto map " + w[2] + " " + w[3] + " ");
      return true;
    }
    if (w1 == "ca" && w.size() >= 3 && w[2] == "trustpoint") {
      if (w.size() != 4) {
        error(l, "'crypto ca trustpoint' needs one name; expected 'crypto ca trustpoint NAME'");
        return true;
      }
      auto& v = model.trustpoints;
      auto it = std::find_if(v.begin(), v.end(), [&](const auto& x) { return x.name == w[3]; });
      if (it == v.end()) {
        v.push_back(Trustpoint{});
        it = v.end() - 1;
        it->loc = Loc{l.number};
        it->name = w[3];
      }
      Frame f;
      f.mode = Mode::Trustpoint;
      f.indent = l.indent;
      f.index = static_cast<std::size_t>(it - v.begin());
      f.kept = &it->other;
      push(f);
      return true;
    }
    return false;
  }

  if (w[0] == "tunnel-group") {
    if (!need(3, "tunnel-group NAME type ipsec-l2l|remote-access")) return true;
    auto& v = model.tunnel_groups;
    auto it = std::find_if(v.begin(), v.end(), [&](const auto& x) { return x.name == w[1]; });
    auto ensure = [&]() -> TunnelGroup& {
      if (it == v.end()) {
        v.push_back(TunnelGroup{});
        it = v.end() - 1;
        it->loc = Loc{l.number};
        it->name = w[1];
      }
      return *it;
    };
    if (w[2] == "type") {
      if (w.size() != 4) {
        error(l, "'tunnel-group " + w[1] + " type' needs a type; expected ipsec-l2l or remote-access");
        return true;
      }
      TunnelGroup::Type t;
      if (w[3] == "ipsec-l2l") t = TunnelGroup::Type::IpsecL2L;
      else if (w[3] == "remote-access") t = TunnelGroup::Type::RemoteAccess;
      else if (w[3] == "ipsec-ra") t = TunnelGroup::Type::IpsecRa;
      else if (w[3] == "webvpn") t = TunnelGroup::Type::Webvpn;
      else {
        error(l, "unknown tunnel-group type '" + w[3] + "'; expected ipsec-l2l or remote-access");
        return true;
      }
      ensure().type = t;
      return true;
    }
    Frame f;
    f.indent = l.indent;
    if (w.size() != 3) {
      error(l, "unexpected words after '" + w[2] + "'; expected 'tunnel-group " + w[1] + " " + w[2] + "'");
      return true;
    }
    TunnelGroup& tg = ensure();
    if (w[2] == "ipsec-attributes") {
      tg.ipsec_attributes = true;
      f.mode = Mode::TunnelIpsec;
      f.kept = &tg.ipsec_other;
    } else if (w[2] == "general-attributes") {
      tg.general_attributes = true;
      f.mode = Mode::TunnelGeneral;
      f.kept = &tg.general_other;
    } else if (w[2] == "webvpn-attributes") {
      tg.webvpn_attributes = true;
      f.mode = Mode::TunnelWebvpn;
      f.kept = &tg.webvpn_other;
    } else {
      error(l, "unknown tunnel-group command '" + w[2] +
                   "'; expected type, ipsec-attributes, general-attributes or webvpn-attributes");
      return true;
    }
    f.index = static_cast<std::size_t>(it - v.begin());
    push(f);
    return true;
  }

  if (w[0] == "group-policy") {
    if (!need(3, "group-policy NAME internal|attributes")) return true;
    if (!(w[2] == "attributes" && w.size() == 3) && w[2] != "internal" && w[2] != "external") {
      error(l, "unknown group-policy command '" + w[2] + "'; expected internal, external or attributes");
      return true;
    }
    auto& v = model.group_policies;
    auto it = std::find_if(v.begin(), v.end(), [&](const auto& x) { return x.name == w[1]; });
    if (it == v.end()) {
      v.push_back(GroupPolicy{Loc{l.number}, w[1], {}, false, {}});
      it = v.end() - 1;
    }
    if (w[2] == "attributes" && w.size() == 3) {
      it->attributes = true;
      Frame f;
      f.mode = Mode::GroupPolicyAttributes;
      f.indent = l.indent;
      f.index = static_cast<std::size_t>(it - v.begin());
      f.kept = &it->attribute_lines;
      push(f);
      return true;
    }
    it->kind = join_words(w, 2);
    return true;
  }

  if (w[0] == "username") {
    if (!need(3, "username NAME password PASSWORD [privilege N]")) return true;
    auto& v = model.users;
    auto it = std::find_if(v.begin(), v.end(), [&](const auto& x) { return x.name == w[1]; });
    if (it == v.end()) {
      v.push_back(User{});
      it = v.end() - 1;
      it->loc = Loc{l.number};
      it->name = w[1];
    }
    if (w[2] == "attributes" && w.size() == 3) {
      it->attributes = true;
      Frame f;
      f.mode = Mode::UserAttributes;
      f.indent = l.indent;
      f.index = static_cast<std::size_t>(it - v.begin());
      f.kept = &it->attribute_lines;
      push(f);
      return true;
    }
    Args b(l, 2);
    if (b.accept("nopassword")) {
      it->nopassword = true;
    } else if (b.accept("password")) {
      it->password = take_secret(b, l, "password of user '" + w[1] + "'");
      if (in(b.peek(), {"encrypted", "nt-encrypted", "pbkdf2"})) {
        it->password_format = std::string(b.next());
        if (it->password.state == ConfigSecret::State::Clear) it->password.state = ConfigSecret::State::Encrypted;
      }
    } else {
      error(l, "unknown username option '" + std::string(b.peek()) + "'; expected password, nopassword or attributes");
      return true;
    }
    if (b.accept("privilege")) {
      auto n = parse_number(b.next(), 0, 15);
      if (!n) {
        error(l, "privilege level is not valid; expected 0 to 15");
        return true;
      }
      it->privilege = static_cast<int>(*n);
    }
    if (!b.done()) error(l, "unexpected '" + std::string(b.peek()) + "'; expected 'privilege N' or nothing");
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------

bool Parser::asa_sub(std::size_t fi, const Line& l, bool apply) {
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
      const std::string& k = w[at];
      bool ip_address = k == "ip" && w.size() > at + 1 && w[at + 1] == "address";
      bool known = in(k, {"nameif", "security-level", "shutdown"}) || ip_address;
      std::vector<std::string> tail(w.begin() + static_cast<long>(at), w.end());
      bool kept = asa_interface_kept(tail);
      if (!known && !kept) return false;
      if (!apply) return true;
      close_to(fi);
      if (kept) {
        kept_here();
        return true;
      }
      Args b(l, at + 1);
      if (k == "shutdown") {
        itf.shutdown = !negated;
      } else if (negated) {
        if (k == "nameif") itf.nameif.clear();
        else if (k == "security-level") itf.security_level.reset();
        else itf.address_mode = Interface::AddressMode::NoAddress;
        itf.address = IpAddress();
        itf.netmask = 0;
        return true;
      } else if (k == "nameif") {
        if (w.size() != 2) {
          error(l, "'nameif' takes one name; expected 'nameif outside'");
          return true;
        }
        itf.nameif = w[1];
        return true;
      } else if (k == "security-level") {
        auto n = parse_number(b.next(), 0, 100);
        if (!n) {
          error(l, "security-level is not valid; expected a number from 0 to 100");
          return true;
        }
        itf.security_level = static_cast<int>(*n);
      } else {  // ip address
        b.next();
        if (b.accept("dhcp")) {
          itf.address_mode = Interface::AddressMode::Dhcp;
          itf.address = IpAddress();
          itf.netmask = 0;
          b.accept("setroute");
        } else {
          std::string_view aw = b.next(), mw = b.next();
          auto addr = parse_ipv4(aw);
          auto mask = parse_dotted(mw);
          if (!addr || !mask || !netmask_to_prefix(*mask)) {
            error(l, "interface address '" + std::string(aw) + " " + std::string(mw) +
                         "' is not valid; expected 'ip address A.B.C.D MASK' or 'ip address dhcp'");
            return true;
          }
          itf.address_mode = Interface::AddressMode::Static;
          itf.address = *addr;
          itf.netmask = *mask;
          if (b.accept("standby")) b.next();
        }
      }
      extra(b);
      return true;
    }

    case Mode::IsakmpPolicy: {
      if (!in(w[0], {"authentication", "encryption", "hash", "group", "lifetime"})) return false;
      if (!apply) return true;
      close_to(fi);
      apply_isakmp_policy(model.isakmp_policies[f.index], a, l);
      return true;
    }

    case Mode::AsaIkev2Policy: {
      if (!in(w[0], {"encryption", "integrity", "group", "prf", "lifetime"})) return false;
      if (!apply) return true;
      close_to(fi);
      AsaIkev2Policy& p = model.asa_ikev2_policies[f.index];
      a.next();
      if (w[0] == "encryption") parse_list(p.transforms.encryption, asa_ikev2_encryption(), a, l, "encryption");
      else if (w[0] == "integrity") parse_list(p.transforms.integrity, asa_ikev2_integrity(), a, l, "integrity");
      else if (w[0] == "prf") parse_list(p.transforms.prf, asa_ikev2_prf(), a, l, "prf");
      else if (w[0] == "group") {
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
        p.transforms.groups = std::move(gs);
      } else {  // lifetime seconds N | lifetime seconds none
        if (!a.accept("seconds")) {
          error(l, "lifetime needs a unit; expected 'lifetime seconds 120-2147483647|none'");
          return true;
        }
        std::string_view v = a.next();
        if (v == "none") {
          p.lifetime_seconds.reset();
        } else if (auto n = parse_number(v, 120, 2147483647)) {
          p.lifetime_seconds = static_cast<std::uint32_t>(*n);
        } else {
          error(l, "lifetime '" + std::string(v) + "' is not valid; expected seconds from 120 to 2147483647 or none");
          return true;
        }
        extra(a);
      }
      return true;
    }

    case Mode::IpsecProposal: {
      if (w[0] != "protocol") return false;
      if (!apply) return true;
      close_to(fi);
      IpsecProposal& p = model.ipsec_proposals[f.index];
      a.next();
      if (!a.accept("esp")) {
        error(l, "only ESP proposals are supported; expected 'protocol esp encryption|integrity ...'");
        return true;
      }
      std::string_view what = a.next();
      if (what == "encryption") parse_list(p.esp_encryption, asa_esp_encryption(), a, l, "ESP encryption");
      else if (what == "integrity") parse_list(p.esp_integrity, asa_esp_integrity(), a, l, "ESP integrity");
      else error(l, "unknown proposal command 'protocol esp " + std::string(what) + "'; expected encryption or integrity");
      return true;
    }

    case Mode::TunnelIpsec: {
      bool ikev2_auth = w[0] == "ikev2" && w.size() > 1 &&
                        (w[1] == "local-authentication" || w[1] == "remote-authentication");
      bool psk = w[0] == "pre-shared-key" || (w[0] == "ikev1" && w.size() > 1 && w[1] == "pre-shared-key");
      bool kept = in(w[0], {"peer-id-validate", "isakmp", "chain", "trust-point", "ikev1", "ikev2",
                            "radius-sdi-xauth", "authorization-server-group", "tunnel-group-map"});
      if (!ikev2_auth && !psk && !kept) return false;
      if (!apply) return true;
      close_to(fi);
      TunnelGroup& tg = model.tunnel_groups[f.index];
      if (psk) {
        if (w[0] == "pre-shared-key") model.asa_legacy_ikev1 = true;
        Args b(l, w[0] == "ikev1" ? 2 : 1);
        tg.ikev1_pre_shared_key = take_secret(b, l, "pre-shared-key of tunnel-group '" + tg.name + "'");
        extra(b);
        return true;
      }
      if (!ikev2_auth) {
        kept_here();
        return true;
      }
      bool local = w[1] == "local-authentication";
      Ikev2Authentication& auth = local ? tg.ikev2_local : tg.ikev2_remote;
      Ikev2Authentication n;
      n.loc = Loc{l.number};
      Args b(l, 2);
      std::string_view method = b.next();
      std::string side = local ? "local" : "remote";
      if (method == "pre-shared-key") {
        n.method = AuthMethod::PreSharedKey;
        n.key = take_secret(b, l, "ikev2 " + side + " pre-shared-key of tunnel-group '" + tg.name + "'");
      } else if (method == "certificate") {
        n.method = AuthMethod::Certificate;
        if (local) {
          if (b.done()) {
            error(l, "local certificate authentication needs a trustpoint; expected 'ikev2 local-authentication certificate TRUSTPOINT'");
            return true;
          }
          n.trustpoint = std::string(b.next());
        }
      } else if (method == "eap" && !local) {
        n.method = AuthMethod::Eap;
        for (auto& r : b.rest()) n.extra.push_back(r);
      } else {
        error(l, "unknown ikev2 " + side + "-authentication method '" + std::string(method) + "'; expected " +
                     (local ? "pre-shared-key or certificate" : "pre-shared-key, certificate or eap"));
        return true;
      }
      extra(b);
      auth = std::move(n);
      return true;
    }

    case Mode::TunnelGeneral: {
      bool known = in(w[0], {"address-pool", "default-group-policy"});
      bool kept = in(w[0], {"authentication-server-group", "authorization-server-group",
                            "accounting-server-group", "dhcp-server", "ipv6-address-pool",
                            "password-management", "strip-realm", "strip-group",
                            "username-from-certificate", "authorization-required", "no"});
      if (!known && !kept) return false;
      if (!apply) return true;
      close_to(fi);
      TunnelGroup& tg = model.tunnel_groups[f.index];
      if (kept) {
        kept_here();
        return true;
      }
      a.next();
      if (w[0] == "default-group-policy") {
        if (w.size() != 2) {
          error(l, "'default-group-policy' takes one name; expected 'default-group-policy NAME'");
          return true;
        }
        tg.default_group_policy = Ref{w[1], Loc{l.number}};
        return true;
      }
      if (a.peek().starts_with("(")) a.next();  // address-pool (inside) NAME
      if (a.done()) {
        error(l, "'address-pool' needs a pool name; expected 'address-pool NAME'");
        return true;
      }
      tg.address_pools.clear();
      while (!a.done()) tg.address_pools.push_back(Ref{std::string(a.next()), Loc{l.number}});
      return true;
    }

    case Mode::TunnelWebvpn: {
      if (!in(w[0], {"group-alias", "group-url", "authentication", "customization", "dns-group",
                     "without-csd", "nbns-server", "radius-reject-message", "proxy-auth", "no"}))
        return false;
      if (!apply) return true;
      close_to(fi);
      kept_here();
      return true;
    }

    case Mode::GroupPolicyAttributes: {
      if (!in_list(w[0], kGroupPolicyAttributes)) return false;
      if (!apply) return true;
      close_to(fi);
      keep_block(*f.kept, l, w[0] == "webvpn" ? &kGroupWebvpnBlock : nullptr);
      return true;
    }

    case Mode::UserAttributes: {
      if (!in_list(w[0], kUserAttributes)) return false;
      if (!apply) return true;
      close_to(fi);
      keep_block(*f.kept, l, w[0] == "webvpn" ? &kGroupWebvpnBlock : nullptr);
      return true;
    }

    case Mode::Trustpoint: {
      bool known = w[0] == "enrollment" || (w[0] == "crl" && w.size() == 2 && w[1] == "configure");
      bool kept = in(w[0], {"subject-name", "keypair", "fqdn", "email", "ip-address", "serial-number",
                            "id-usage", "validation-usage", "revocation-check", "crl", "ca-check",
                            "proxy-ldap-trustpoint", "no", "ignore-ipsec-keyusage",
                            "ignore-ssl-keyusage", "password", "id-cert-issuer", "accept-subordinates",
                            "support-user-cert-validation", "match", "client-types"});
      if (!known && !kept) return false;
      if (!apply) return true;
      close_to(fi);
      Trustpoint& tp = model.trustpoints[f.index];
      if (w[0] == "enrollment") {
        if (w.size() < 2) {
          error(l, "'enrollment' needs a method; expected 'enrollment self', 'enrollment terminal' or 'enrollment url URL'");
          return true;
        }
        if (w[1] == "retry") {
          kept_here();
          return true;
        }
        tp.enrollment = join_words(w, 1);
        return true;
      }
      if (w[0] == "crl" && known) {
        tp.crl_configure = true;
        Frame c;
        c.mode = Mode::TrustpointCrl;
        c.indent = l.indent;
        c.index = f.index;
        c.kept = &tp.crl_lines;
        push(c);
        return true;
      }
      kept_here();
      return true;
    }

    case Mode::TrustpointCrl: {
      if (!in(w[0], {"policy", "url", "protocol", "cache-time", "enforcenextupdate", "ldap-defaults",
                     "ldap-dn", "no"}))
        return false;
      if (!apply) return true;
      close_to(fi);
      kept_here();
      return true;
    }

    case Mode::ObjectNetwork: {
      bool known = in(w[0], {"host", "subnet", "range", "fqdn"});
      bool kept = in(w[0], {"description", "nat"});
      if (!known && !kept) return false;
      if (!apply) return true;
      close_to(fi);
      NetworkObject& o = model.network_objects[f.index];
      if (kept) {
        kept_here();
        return true;
      }
      a.next();
      std::string_view x = a.next(), y = a.next();
      if (w[0] == "host") {
        auto h = IpAddress::parse(x);
        if (!h || !y.empty()) {
          error(l, "object host '" + std::string(x) + "' is not valid; expected 'host A.B.C.D'");
          return true;
        }
        o.kind = NetworkObject::Kind::Host;
        o.first = *h;
      } else if (w[0] == "subnet") {
        auto n = parse_ipv4(x);
        auto m = parse_dotted(y);
        if (!n || !m || !netmask_to_prefix(*m) || (n->v4_value() & ~*m) != 0) {
          error(l, "object subnet '" + std::string(x) + " " + std::string(y) +
                       "' is not valid; expected 'subnet NETWORK NETMASK', e.g. 'subnet 192.168.1.0 255.255.255.0'");
          return true;
        }
        o.kind = NetworkObject::Kind::Subnet;
        o.first = *n;
        o.netmask = *m;
      } else if (w[0] == "range") {
        auto p = parse_ipv4(x), q = parse_ipv4(y);
        if (!p || !q || q->v4_value() < p->v4_value()) {
          error(l, "object range is not valid; expected 'range FIRST LAST' with FIRST <= LAST");
          return true;
        }
        o.kind = NetworkObject::Kind::Range;
        o.first = *p;
        o.last = *q;
      } else {
        o.kind = NetworkObject::Kind::Fqdn;
        o.fqdn = join_words(w, 1);
      }
      extra(a);
      return true;
    }

    case Mode::ObjectGroupNetwork: {
      bool known = in(w[0], {"network-object", "group-object"});
      bool kept = w[0] == "description";
      if (!known && !kept) return false;
      if (!apply) return true;
      close_to(fi);
      NetworkObjectGroup& g = model.network_groups[f.index];
      if (kept) {
        kept_here();
        return true;
      }
      a.next();
      AddrMatch m;
      if (w[0] == "group-object") {
        m.kind = AddrMatch::Kind::ObjectGroup;
        m.ref = Ref{std::string(a.next()), Loc{l.number}};
      } else {
        std::string_view x = a.next();
        if (x == "host") {
          auto h = IpAddress::parse(a.next());
          if (!h) {
            error(l, "network-object host is not a valid address; expected 'network-object host A.B.C.D'");
            return true;
          }
          m.kind = AddrMatch::Kind::Host;
          m.address = *h;
        } else if (x == "object") {
          m.kind = AddrMatch::Kind::Object;
          m.ref = Ref{std::string(a.next()), Loc{l.number}};
        } else {
          auto n = parse_ipv4(x);
          auto mk = parse_dotted(a.next());
          if (!n || !mk || !netmask_to_prefix(*mk) || (n->v4_value() & ~*mk) != 0) {
            error(l, "network-object is not valid; expected 'network-object NETWORK NETMASK', 'host A.B.C.D' or 'object NAME'");
            return true;
          }
          m.kind = AddrMatch::Kind::Subnet;
          m.address = *n;
          m.netmask = *mk;
        }
      }
      if (m.ref.name.empty() && (m.kind == AddrMatch::Kind::Object || m.kind == AddrMatch::Kind::ObjectGroup)) {
        error(l, "'" + w[0] + "' names no object; expected a name");
        return true;
      }
      extra(a);
      g.members.push_back(std::move(m));
      return true;
    }

    case Mode::OtherObject: {
      if (!in(w[0], {"service-object", "port-object", "protocol-object", "icmp-object", "group-object",
                     "description", "service", "user", "user-group", "security-group"}))
        return false;
      if (!apply) return true;
      close_to(fi);
      kept_here();
      return true;
    }

    default:
      return false;
  }
}

}  // namespace ikegate::config::detail
