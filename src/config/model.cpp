#include "config/model.h"

#include <algorithm>

namespace ikegate::config {

namespace {
void mask(ConfigSecret& s) {
  if (!s.is_set()) return;
  s.state = ConfigSecret::State::Masked;
  s.value = SecretBytes();
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
