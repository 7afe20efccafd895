#include "config/model.h"

#include <algorithm>

#include "config/diagnostics.h"

namespace ikegate::config {

namespace {
void mask(ConfigSecret& s) {
  if (!s.is_set()) return;
  s.state = ConfigSecret::State::Masked;
  s.value = SecretBytes();
}

void mask_kept(std::vector<RawCommand>& cmds) {
  for (auto& c : cmds) {
    c.text = redact_text(c.text);
    mask_kept(c.children);
  }
}

template <class V>
auto find_named(const V& v, std::string_view name) -> decltype(&v.front()) {
  auto it = std::find_if(v.begin(), v.end(), [&](const auto& x) { return x.name == name; });
  return it == v.end() ? nullptr : &*it;
}
}  // namespace

Model Model::redacted() const {
  Model m = *this;
  for (auto& tg : m.tunnel_groups) {
    mask(tg.ikev1_pre_shared_key);
    mask(tg.ikev2_local.key);
    mask(tg.ikev2_remote.key);
  }
  for (auto& u : m.users) mask(u.password);
  for (auto& k : m.isakmp_keys) mask(k.key);
  for (auto& kr : m.keyrings)
    for (auto& p : kr.peers) {
      mask(p.key);
      mask(p.local_key);
      mask(p.remote_key);
    }
  // Kept commands may carry secrets too (enable password, snmp-server community, ...).
  for (auto& s : m.kept) mask_kept(s);
  auto each = [](auto& v, auto member) {
    for (auto& x : v) mask_kept(x.*member);
  };
  each(m.interfaces, &Interface::other);
  each(m.network_objects, &NetworkObject::other);
  each(m.network_groups, &NetworkObjectGroup::other);
  each(m.other_objects, &OtherObject::children);
  each(m.asa_ikev2_policies, &AsaIkev2Policy::other);
  each(m.ikev2_proposals, &IosIkev2Proposal::other);
  each(m.ios_ikev2_policies, &IosIkev2Policy::other);
  each(m.isakmp_policies, &IsakmpPolicy::other);
  each(m.ipsec_proposals, &IpsecProposal::other);
  each(m.transform_sets, &TransformSet::other);
  each(m.trustpoints, &Trustpoint::other);
  each(m.trustpoints, &Trustpoint::crl_lines);
  each(m.keyrings, &Keyring::other);
  each(m.ikev2_profiles, &Ikev2Profile::other);
  each(m.ipsec_profiles, &IpsecProfile::other);
  each(m.group_policies, &GroupPolicy::attribute_lines);
  each(m.users, &User::attribute_lines);
  each(m.tunnel_groups, &TunnelGroup::ipsec_other);
  each(m.tunnel_groups, &TunnelGroup::general_other);
  each(m.tunnel_groups, &TunnelGroup::webvpn_other);
  for (auto& kr : m.keyrings) each(kr.peers, &KeyringPeer::other);
  for (auto* maps : {&m.crypto_maps, &m.dynamic_maps})
    for (auto& map : *maps)
      for (auto& e : map.entries)
        for (auto& o : e.other) o = redact_text(o);
  return m;
}

const Interface* Model::interface_by_nameif(std::string_view nameif) const {
  auto it = std::find_if(interfaces.begin(), interfaces.end(), [&](const Interface& i) { return i.nameif == nameif; });
  return it == interfaces.end() ? nullptr : &*it;
}
const Interface* Model::interface_by_name(std::string_view name) const { return find_named(interfaces, name); }
const AccessList* Model::access_list(std::string_view name) const { return find_named(access_lists, name); }
const CryptoMap* Model::crypto_map(std::string_view name) const { return find_named(crypto_maps, name); }
const CryptoMap* Model::dynamic_map(std::string_view name) const { return find_named(dynamic_maps, name); }
const TunnelGroup* Model::tunnel_group(std::string_view name) const { return find_named(tunnel_groups, name); }

}  // namespace ikegate::config
