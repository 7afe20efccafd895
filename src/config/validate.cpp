#include "config/validate.h"

#include <algorithm>
#include <functional>

#include "config/printer.h"

namespace ikegate::config {

namespace {

class Checker {
 public:
  explicit Checker(const Model& m) : m_(m) {}
  std::vector<Diagnostic> run();

 private:
  void error(const Loc& at, std::string msg) { out_.push_back({Severity::Error, at.line, std::move(msg)}); }
  void warning(const Loc& at, std::string msg) { out_.push_back({Severity::Warning, at.line, std::move(msg)}); }

  // "no access-list named 'l2l_lst' (did you mean 'l2l_list'?); expected ..."
  template <class Container, class NameOf>
  bool resolve(const Ref& r, std::string_view what, const Container& c, NameOf name_of, std::string_view expected) {
    std::vector<std::string> names;
    for (const auto& x : c) {
      if (name_of(x) == r.name) return true;
      names.push_back(name_of(x));
    }
    missing(r, what, names, expected);
    return false;
  }
  void missing(const Ref& r, std::string_view what, const std::vector<std::string>& names, std::string_view expected) {
    std::string msg = "no " + std::string(what) + " named '" + r.name + "'";
    std::string near = closest_name(r.name, names);
    if (!near.empty()) msg += " (did you mean '" + near + "'?)";
    msg += "; expected " + std::string(expected);
    error(r.loc, std::move(msg));
  }

  bool interface_ref(const Ref& r) {
    std::vector<std::string> names;
    for (const auto& i : m_.interfaces) {
      if (!i.nameif.empty() && i.nameif == r.name) return true;
      if (!i.nameif.empty()) names.push_back(i.nameif);
    }
    missing(r, "interface", names, "the nameif of an interface, e.g. 'outside'");
    return false;
  }

  void interfaces();
  void objects();
  void access_lists();
  void crypto_maps();
  void map_entry(const CryptoMap& map, const CryptoMapEntry& e, bool dynamic);
  void peer_keys(const CryptoMap& map, const CryptoMapEntry& e);
  void crypto_acl(const AccessList& acl, const std::string& where);
  void tunnel_groups();
  void ios_objects();

  const Model& m_;
  std::vector<Diagnostic> out_;
};

std::string acl_expectation(const Model& m) {
  return m.dialect == Dialect::Asa ? "an access-list defined with 'access-list NAME extended permit ...'"
                                   : "an access-list defined with 'ip access-list extended NAME'";
}

std::vector<Diagnostic> Checker::run() {
  interfaces();
  objects();
  access_lists();
  crypto_maps();
  tunnel_groups();
  ios_objects();
  std::stable_sort(out_.begin(), out_.end(), [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
  return std::move(out_);
}

void Checker::interfaces() {
  for (std::size_t i = 0; i < m_.interfaces.size(); ++i) {
    const Interface& a = m_.interfaces[i];
    if (a.nameif.empty()) continue;
    for (std::size_t j = 0; j < i; ++j)
      if (m_.interfaces[j].nameif == a.nameif)
        error(a.loc, "interface " + a.name + " is named '" + a.nameif + "' like " + m_.interfaces[j].name +
                         " (line " + std::to_string(m_.interfaces[j].loc.line) + "); expected a unique nameif");
  }
  for (const auto& e : m_.ikev2_enabled) interface_ref(e.interface);
  for (const auto& r : m_.ikev1_enabled) interface_ref(r);
  if (m_.ikev2_remote_access_trustpoint)
    resolve(*m_.ikev2_remote_access_trustpoint, "trustpoint", m_.trustpoints,
            [](const Trustpoint& t) { return t.name; }, "a trustpoint defined with 'crypto ca trustpoint NAME'");
}

void Checker::objects() {
  auto check_member = [&](const AddrMatch& a) {
    if (a.kind == AddrMatch::Kind::Object)
      resolve(a.ref, "network object", m_.network_objects, [](const NetworkObject& o) { return o.name; },
              "an object defined with 'object network NAME'");
    else if (a.kind == AddrMatch::Kind::ObjectGroup)
      resolve(a.ref, "network object-group", m_.network_groups, [](const NetworkObjectGroup& g) { return g.name; },
              "a group defined with 'object-group network NAME'");
  };
  for (const auto& g : m_.network_groups)
    for (const auto& mem : g.members) check_member(mem);
  for (const auto& o : m_.network_objects)
    if (o.kind == NetworkObject::Kind::Unset)
      warning(o.loc, "object network '" + o.name + "' has no address; expected host, subnet, range or fqdn");
}

void Checker::access_lists() {
  for (const auto& acl : m_.access_lists) {
    for (const auto& e : acl.entries) {
      if (e.is_remark) continue;
      for (const AddrMatch* a : {&e.source, &e.destination}) {
        switch (a->kind) {
          case AddrMatch::Kind::Object:
            resolve(a->ref, "network object", m_.network_objects, [](const NetworkObject& o) { return o.name; },
                    "an object defined with 'object network NAME'");
            break;
          case AddrMatch::Kind::ObjectGroup: {
            std::vector<std::string> names;
            bool found = false;
            for (const auto& g : m_.network_groups) {
              found |= g.name == a->ref.name;
              names.push_back(g.name);
            }
            for (const auto& o : m_.other_objects)
              if (o.group) found |= o.name == a->ref.name;
            if (!found) missing(a->ref, "object-group", names, "a group defined with 'object-group network NAME'");
            break;
          }
          case AddrMatch::Kind::Interface:
            interface_ref(a->ref);
            break;
          default:
            break;
        }
      }
      if (e.protocol.kind != Protocol::Kind::Number) {
        std::vector<std::string> names;
        bool found = false;
        for (const auto& o : m_.other_objects) {
          if (o.group == (e.protocol.kind == Protocol::Kind::ObjectGroup)) {
            found |= o.name == e.protocol.ref.name;
            names.push_back(o.name);
          }
        }
        if (!found)
          missing(e.protocol.ref, e.protocol.kind == Protocol::Kind::Object ? "service object" : "service or protocol object-group",
                  names, "an object defined with 'object service NAME' or 'object-group service|protocol NAME'");
      }
    }
  }
}

void Checker::crypto_maps() {
  std::vector<std::string> dyn_names;
  for (const auto& d : m_.dynamic_maps) dyn_names.push_back(d.name);
  for (const auto& map : m_.dynamic_maps)
    for (const auto& e : map.entries) map_entry(map, e, true);
  for (const auto& map : m_.crypto_maps) {
    for (const auto& e : map.entries) {
      if (e.dynamic_map) {
        if (std::find(dyn_names.begin(), dyn_names.end(), e.dynamic_map->name) == dyn_names.end())
          missing(*e.dynamic_map, "crypto dynamic-map", dyn_names,
                  "a map defined with 'crypto dynamic-map " + e.dynamic_map->name + " SEQ ...'");
        continue;
      }
      map_entry(map, e, false);
    }
    for (const auto& r : map.interfaces) interface_ref(r);
    bool applied = !map.interfaces.empty() ||
                   std::any_of(m_.interfaces.begin(), m_.interfaces.end(), [&](const Interface& i) {
                     return i.crypto_map && i.crypto_map->name == map.name;
                   });
    if (!applied)
      warning(map.loc, "crypto map '" + map.name + "' is not applied to any interface; expected " +
                           (m_.dialect == Dialect::Asa ? "'crypto map " + map.name + " interface IF'"
                                                       : "'crypto map " + map.name + "' under an interface"));
    // ASA: IKEv2 entries on an interface where IKEv2 is not enabled never negotiate.
    bool wants_ikev2 = std::any_of(map.entries.begin(), map.entries.end(), [&](const CryptoMapEntry& e) {
      if (!e.ikev2_proposals.empty()) return true;
      if (!e.dynamic_map) return false;
      const CryptoMap* d = m_.dynamic_map(e.dynamic_map->name);
      return d && std::any_of(d->entries.begin(), d->entries.end(),
                              [](const CryptoMapEntry& x) { return !x.ikev2_proposals.empty(); });
    });
    bool wants_ikev1 = std::any_of(map.entries.begin(), map.entries.end(), [&](const CryptoMapEntry& e) {
      if (!e.transform_sets.empty()) return true;
      if (!e.dynamic_map) return false;
      const CryptoMap* d = m_.dynamic_map(e.dynamic_map->name);
      return d && std::any_of(d->entries.begin(), d->entries.end(),
                              [](const CryptoMapEntry& x) { return !x.transform_sets.empty(); });
    });
    if (m_.dialect == Dialect::Asa && wants_ikev1) {
      std::string v1 = m_.asa_legacy_ikev1 ? "isakmp" : "ikev1";
      for (const auto& r : map.interfaces) {
        bool enabled = std::any_of(m_.ikev1_enabled.begin(), m_.ikev1_enabled.end(),
                                   [&](const Ref& x) { return x.name == r.name; });
        if (!enabled && m_.interface_by_nameif(r.name))
          warning(r.loc, "crypto map '" + map.name + "' offers IKEv1 on '" + r.name +
                             "' but IKEv1 is not enabled there; expected 'crypto " + v1 + " enable " + r.name + "'");
      }
    }
    if (m_.dialect == Dialect::Asa && wants_ikev2) {
      for (const auto& r : map.interfaces) {
        bool enabled = std::any_of(m_.ikev2_enabled.begin(), m_.ikev2_enabled.end(),
                                   [&](const Ikev2Enable& x) { return x.interface.name == r.name; });
        if (!enabled && m_.interface_by_nameif(r.name))
          warning(r.loc, "crypto map '" + map.name + "' offers IKEv2 on '" + r.name +
                             "' but IKEv2 is not enabled there; expected 'crypto ikev2 enable " + r.name + "'");
      }
    }
  }
  for (const auto& itf : m_.interfaces) {
    if (!itf.crypto_map) continue;
    std::vector<std::string> names;
    for (const auto& c : m_.crypto_maps) names.push_back(c.name);
    if (!m_.crypto_map(itf.crypto_map->name))
      missing(*itf.crypto_map, "crypto map", names, "a map defined with 'crypto map " + itf.crypto_map->name + " SEQ ipsec-isakmp'");
  }
}

void Checker::map_entry(const CryptoMap& map, const CryptoMapEntry& e, bool dynamic) {
  std::string label = std::string(dynamic ? "crypto dynamic-map " : "crypto map ") + map.name + " " +
                      std::to_string(e.sequence);
  if (e.match_address) {
    const AccessList* acl = m_.access_list(e.match_address->name);
    if (!acl) {
      std::vector<std::string> names;
      for (const auto& a : m_.access_lists) names.push_back(a.name);
      missing(*e.match_address, "access-list", names, acl_expectation(m_));
    } else if (acl->kind != AccessList::Kind::Extended) {
      warning(e.match_address->loc, "access-list '" + acl->name + "' of " + label +
                                        " is a standard list; expected an extended access-list");
    } else {
      crypto_acl(*acl, label);
    }
  } else if (!dynamic) {
    warning(e.loc, label + " has no 'match address' and protects no traffic; expected an access-list");
  }
  if (!dynamic && e.peers.empty())
    warning(e.loc, label + " has no peer; expected '" +
                       (m_.dialect == Dialect::Asa ? "crypto map " + map.name + " " + std::to_string(e.sequence) + " set peer A.B.C.D'"
                                                   : std::string("set peer A.B.C.D'")));
  for (const auto& p : e.ikev2_proposals)
    resolve(p, "ipsec-proposal", m_.ipsec_proposals, [](const IpsecProposal& x) { return x.name; },
            "a proposal defined with 'crypto ipsec ikev2 ipsec-proposal " + p.name + "'");
  for (const auto& t : e.transform_sets)
    resolve(t, "transform-set", m_.transform_sets, [](const TransformSet& x) { return x.name; },
            "a transform-set defined with 'crypto ipsec " + std::string(m_.dialect == Dialect::Asa && !m_.asa_legacy_ikev1 ? "ikev1 " : "") +
                "transform-set " + t.name + " ...'");
  if (e.ikev2_profile)
    resolve(*e.ikev2_profile, "ikev2 profile", m_.ikev2_profiles, [](const Ikev2Profile& x) { return x.name; },
            "a profile defined with 'crypto ikev2 profile " + e.ikev2_profile->name + "'");
  if (e.ikev2_proposals.empty() && e.transform_sets.empty())
    warning(e.loc, label + " has no " +
                       std::string(m_.dialect == Dialect::Asa ? "ikev2 ipsec-proposal or transform-set" : "transform-set") +
                       " and cannot negotiate; expected 'set " +
                       (m_.dialect == Dialect::Asa ? "ikev2 ipsec-proposal NAME'" : "transform-set NAME'"));
  if (!dynamic) peer_keys(map, e);
}

bool covers(const IpAddress& net, std::uint32_t mask, const IpAddress& a) {
  return net.is_v4() && a.is_v4() && (a.v4_value() & mask) == (net.v4_value() & mask);
}

void Checker::peer_keys(const CryptoMap& map, const CryptoMapEntry& e) {
  for (const auto& p : e.peers) {
    if (!p.address) continue;
    std::string addr = p.address->to_string();
    if (m_.dialect == Dialect::Asa) {
      const TunnelGroup* tg = m_.tunnel_group(addr);
      if (!tg) {
        warning(p.loc, "no tunnel-group named '" + addr + "' for peer " + addr +
                           "; expected 'tunnel-group " + addr + " type ipsec-l2l' with its keys");
        continue;
      }
      if (tg->type != TunnelGroup::Type::IpsecL2L)
        warning(p.loc, "tunnel-group '" + addr + "' is not of type ipsec-l2l; expected 'tunnel-group " + addr +
                           " type ipsec-l2l'");
      if (!e.ikev2_proposals.empty()) {
        if (tg->ikev2_local.method == AuthMethod::Unset || tg->ikev2_remote.method == AuthMethod::Unset)
          warning(p.loc, "tunnel-group '" + addr + "' has no ikev2 " +
                             (tg->ikev2_local.method == AuthMethod::Unset ? "local" : "remote") +
                             "-authentication for IKEv2 peer " + addr +
                             "; expected 'ikev2 local-authentication' and 'ikev2 remote-authentication' under its ipsec-attributes");
      } else if (!e.transform_sets.empty() && !tg->ikev1_pre_shared_key.is_set()) {
        warning(p.loc, "tunnel-group '" + addr + "' has no pre-shared-key for IKEv1 peer " + addr +
                           "; expected '" + (m_.asa_legacy_ikev1 ? "" : "ikev1 ") + "pre-shared-key KEY' under its ipsec-attributes");
      }
      continue;
    }
    // IOS: IKEv2 keys come from the profile's keyring, IKEv1 keys from crypto isakmp key.
    if (e.ikev2_profile) {
      const Ikev2Profile* prof = nullptr;
      for (const auto& x : m_.ikev2_profiles)
        if (x.name == e.ikev2_profile->name) prof = &x;
      if (!prof || !prof->keyring) continue;
      const Keyring* kr = nullptr;
      for (const auto& k : m_.keyrings)
        if (k.name == prof->keyring->name) kr = &k;
      if (!kr) continue;
      bool found = std::any_of(kr->peers.begin(), kr->peers.end(), [&](const KeyringPeer& kp) {
        return kp.address && covers(*kp.address, kp.netmask.value_or(0xffffffffu), *p.address);
      });
      if (!found)
        warning(p.loc, "keyring '" + kr->name + "' has no peer whose address covers " + addr +
                           "; expected 'peer NAME' with 'address " + addr + "' in 'crypto ikev2 keyring " + kr->name + "'");
    } else {
      bool found = std::any_of(m_.isakmp_keys.begin(), m_.isakmp_keys.end(), [&](const IsakmpKey& k) {
        return k.address && covers(*k.address, k.netmask.value_or(0xffffffffu), *p.address);
      });
      if (!found)
        warning(p.loc, "no pre-shared key for peer " + addr + "; expected 'crypto isakmp key KEY address " + addr + "'");
    }
  }
  (void)map;
}

void Checker::crypto_acl(const AccessList& acl, const std::string& where) {
  struct Sel {
    const AclEntry* e;
    AddrRange src, dst;
  };
  std::vector<Sel> sels;
  for (const auto& e : acl.entries) {
    if (e.is_remark || e.action == AclAction::Deny) continue;
    auto selector_problem = [&]() -> std::string {
      for (const AddrMatch* a : {&e.source, &e.destination})
        if (a->kind == AddrMatch::Kind::Subnet && !netmask_to_prefix(a->netmask))
          return "its wildcard mask " + IpAddress::v4(~a->netmask).to_string() + " is not contiguous";
      for (const PortMatch* p : {&e.source_port, &e.destination_port})
        if (p->op == PortMatch::Op::Neq) return "'neq' is not a port range";
      return {};
    }();
    if (!selector_problem.empty()) {
      warning(e.loc, "access-list '" + acl.name + "' entry cannot be mirrored as IKE traffic selectors (" +
                         selector_problem + "); expected a subnet or host with a contiguous mask and port ranges");
      continue;
    }
    auto s = address_range(m_, e.source), d = address_range(m_, e.destination);
    if (!s || !d) continue;
    for (const auto& o : sels) {
      bool overlap = s->low <= o.src.high && o.src.low <= s->high && d->low <= o.dst.high && o.dst.low <= d->high;
      bool proto_overlap = e.protocol.number == 0 || o.e->protocol.number == 0 || e.protocol.number == o.e->protocol.number;
      if (overlap && proto_overlap) {
        warning(e.loc, "access-list '" + acl.name + "' entry overlaps the entry at line " + std::to_string(o.e->loc.line) +
                           " (" + where + "); expected entries that select disjoint traffic");
        break;
      }
    }
    sels.push_back({&e, *s, *d});
  }
}

void Checker::tunnel_groups() {
  for (const auto& tg : m_.tunnel_groups) {
    for (const auto& p : tg.address_pools)
      resolve(p, "ip local pool", m_.pools, [](const IpLocalPool& x) { return x.name; },
              "a pool defined with 'ip local pool " + p.name + " FIRST-LAST'");
    if (tg.default_group_policy && tg.default_group_policy->name != "DfltGrpPolicy")
      resolve(*tg.default_group_policy, "group-policy", m_.group_policies, [](const GroupPolicy& x) { return x.name; },
              "a group-policy defined with 'group-policy " + tg.default_group_policy->name + " internal'");
    if (tg.ikev2_local.method == AuthMethod::Certificate && !tg.ikev2_local.trustpoint.empty())
      resolve(Ref{tg.ikev2_local.trustpoint, tg.ikev2_local.loc}, "trustpoint", m_.trustpoints,
              [](const Trustpoint& t) { return t.name; }, "a trustpoint defined with 'crypto ca trustpoint NAME'");
    if (tg.type == TunnelGroup::Type::Unset)
      warning(tg.loc, "tunnel-group '" + tg.name + "' has no type; expected 'tunnel-group " + tg.name +
                          " type ipsec-l2l|remote-access'");
  }
  for (const auto& gp : m_.group_policies)
    if (gp.kind.empty() && gp.name != "DfltGrpPolicy")
      warning(gp.loc, "group-policy '" + gp.name + "' has attributes but is not declared; expected 'group-policy " +
                          gp.name + " internal'");
  for (const auto& p : m_.pools)
    if (p.netmask && (p.first.v4_value() & *p.netmask) != (p.last.v4_value() & *p.netmask))
      warning(p.loc, "ip local pool '" + p.name + "' spans more than one subnet of its mask; expected a range inside one subnet");
}

void Checker::ios_objects() {
  for (const auto& p : m_.ios_ikev2_policies)
    for (const auto& r : p.proposals)
      resolve(r, "ikev2 proposal", m_.ikev2_proposals, [](const IosIkev2Proposal& x) { return x.name; },
              "a proposal defined with 'crypto ikev2 proposal " + r.name + "'");
  for (const auto& p : m_.ikev2_profiles) {
    if (p.keyring)
      resolve(*p.keyring, "ikev2 keyring", m_.keyrings, [](const Keyring& x) { return x.name; },
              "a keyring defined with 'crypto ikev2 keyring " + p.keyring->name + "'");
    if (p.match_remote.empty())
      warning(p.loc, "ikev2 profile '" + p.name + "' matches no remote identity; expected 'match identity remote address A.B.C.D'");
    bool psk = std::find(p.auth_local.begin(), p.auth_local.end(), ProfileAuth::PreShare) != p.auth_local.end() ||
               std::find(p.auth_remote.begin(), p.auth_remote.end(), ProfileAuth::PreShare) != p.auth_remote.end();
    if (psk && !p.keyring)
      warning(p.loc, "ikev2 profile '" + p.name + "' authenticates with pre-shared keys but has no keyring; expected 'keyring local NAME'");
    if (p.auth_local.empty() || p.auth_remote.empty())
      warning(p.loc, "ikev2 profile '" + p.name + "' has no " + (p.auth_local.empty() ? "local" : "remote") +
                         " authentication; expected 'authentication " + (p.auth_local.empty() ? "local" : "remote") + " pre-share'");
  }
  for (const auto& p : m_.ipsec_profiles) {
    for (const auto& t : p.transform_sets)
      resolve(t, "transform-set", m_.transform_sets, [](const TransformSet& x) { return x.name; },
              "a transform-set defined with 'crypto ipsec transform-set " + t.name + " ...'");
    if (p.ikev2_profile)
      resolve(*p.ikev2_profile, "ikev2 profile", m_.ikev2_profiles, [](const Ikev2Profile& x) { return x.name; },
              "a profile defined with 'crypto ikev2 profile " + p.ikev2_profile->name + "'");
  }
  for (const auto& k : m_.keyrings)
    for (const auto& p : k.peers)
      if (!p.key.is_set() && !p.local_key.is_set() && !p.remote_key.is_set())
        warning(p.loc, "keyring peer '" + p.name + "' has no pre-shared-key; expected 'pre-shared-key local KEY' and 'pre-shared-key remote KEY'");
}

}  // namespace

std::optional<AddrRange> address_range(const Model& m, const AddrMatch& a) {
  switch (a.kind) {
    case AddrMatch::Kind::Any:
    case AddrMatch::Kind::Any4:
      return AddrRange{0, 0xffffffffu};
    case AddrMatch::Kind::Host:
      if (!a.address.is_v4()) return std::nullopt;
      return AddrRange{a.address.v4_value(), a.address.v4_value()};
    case AddrMatch::Kind::Subnet:
      if (!netmask_to_prefix(a.netmask)) return std::nullopt;
      return AddrRange{a.address.v4_value() & a.netmask, (a.address.v4_value() & a.netmask) | ~a.netmask};
    case AddrMatch::Kind::Object:
      for (const auto& o : m.network_objects) {
        if (o.name != a.ref.name) continue;
        if (o.kind == NetworkObject::Kind::Host && o.first.is_v4()) return AddrRange{o.first.v4_value(), o.first.v4_value()};
        if (o.kind == NetworkObject::Kind::Subnet)
          return AddrRange{o.first.v4_value(), o.first.v4_value() | ~o.netmask};
        if (o.kind == NetworkObject::Kind::Range) return AddrRange{o.first.v4_value(), o.last.v4_value()};
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::vector<std::pair<std::size_t, Diagnostic>> check_peers(std::span<const Model* const> models,
                                                            std::span<const std::string> names) {
  std::vector<std::pair<std::size_t, Diagnostic>> out;
  auto owns = [](const Model& m, const IpAddress& a) {
    return std::any_of(m.interfaces.begin(), m.interfaces.end(), [&](const Interface& i) {
      return i.address_mode == Interface::AddressMode::Static && i.address == a;
    });
  };
  for (std::size_t i = 0; i < models.size(); ++i) {
    const Model& a = *models[i];
    for (std::size_t j = 0; j < models.size(); ++j) {
      if (i == j) continue;
      const Model& b = *models[j];
      for (const auto& map : a.crypto_maps) {
        for (const auto& e : map.entries) {
          if (!e.match_address) continue;
          bool peer_is_b = std::any_of(e.peers.begin(), e.peers.end(),
                                       [&](const Peer& p) { return p.address && owns(b, *p.address); });
          if (!peer_is_b) continue;
          // b's entry whose peer is a.
          const AccessList* b_acl = nullptr;
          for (const auto& bm : b.crypto_maps)
            for (const auto& be : bm.entries)
              if (be.match_address && std::any_of(be.peers.begin(), be.peers.end(), [&](const Peer& p) {
                    return p.address && owns(a, *p.address);
                  }))
                b_acl = b.access_list(be.match_address->name);
          const AccessList* a_acl = a.access_list(e.match_address->name);
          if (!a_acl || !b_acl) continue;
          for (const auto& ae : a_acl->entries) {
            if (ae.is_remark || ae.action != AclAction::Permit) continue;
            auto s = address_range(a, ae.source), d = address_range(a, ae.destination);
            if (!s || !d) continue;
            bool mirrored = std::any_of(b_acl->entries.begin(), b_acl->entries.end(), [&](const AclEntry& be) {
              if (be.is_remark || be.action != AclAction::Permit) return false;
              auto bs = address_range(b, be.source), bd = address_range(b, be.destination);
              return bs && bd && *bs == *d && *bd == *s && be.protocol == ae.protocol &&
                     be.source_port == ae.destination_port && be.destination_port == ae.source_port;
            });
            if (!mirrored) {
              AclEntry mirror = ae;
              std::swap(mirror.source, mirror.destination);
              std::swap(mirror.source_port, mirror.destination_port);
              out.push_back({i, Diagnostic{Severity::Warning, ae.loc.line,
                                           "access-list '" + a_acl->name + "' entry has no mirror in " + names[j] +
                                               " (access-list '" + b_acl->name + "' of its peer); expected '" +
                                               acl_entry_text(b, mirror) + "' there"}});
            }
          }
        }
      }
    }
  }
  return out;
}

std::vector<Diagnostic> validate(const Model& m) { return Checker(m).run(); }

}  // namespace ikegate::config
