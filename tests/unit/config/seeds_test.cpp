// Every configuration block of the five seeds (tests/data/configs/) loads with exactly the
// problems expected of it, and round-trips: print -> parse gives the same model.
#include <gtest/gtest.h>

#include "config/parser.h"
#include "config/printer.h"
#include "config/validate.h"
#include "test_util.h"

namespace ikegate::config {
namespace {

using test::formatted;
using test::read_config;

struct Seed {
  std::string file;
  Dialect dialect;
  std::vector<std::string> diagnostics;
};

const std::string kMasked = "; the tunnel cannot authenticate until a real key is set";

std::vector<Seed> seeds() {
  return {
      {"asa1-l2l.cfg", Dialect::Asa,
       {"asa1-l2l.cfg:36: warning: ikev2 remote pre-shared-key of tunnel-group '10.0.0.2' is masked ('*****')" + kMasked,
        "asa1-l2l.cfg:37: warning: ikev2 local pre-shared-key of tunnel-group '10.0.0.2' is masked ('*****')" + kMasked}},
      {"asa2-l2l.cfg", Dialect::Asa,
       {"asa2-l2l.cfg:38: warning: ikev2 remote pre-shared-key of tunnel-group '10.0.0.1' is masked ('*****')" + kMasked,
        "asa2-l2l.cfg:39: warning: ikev2 local pre-shared-key of tunnel-group '10.0.0.1' is masked ('*****')" + kMasked}},
      {"asa2-l2l.as-printed.cfg", Dialect::Asa,
       {"asa2-l2l.as-printed.cfg:33: warning: ikev2 remote pre-shared-key of tunnel-group '10.0.0.1' is masked ('*****')" + kMasked,
        "asa2-l2l.as-printed.cfg:34: warning: ikev2 local pre-shared-key of tunnel-group '10.0.0.1' is masked ('*****')" + kMasked}},
      {"asa-ra-anyconnect.cfg", Dialect::Asa, {}},
      {"asa-ra-anyconnect.as-printed.cfg", Dialect::Asa, {}},
      {"pix-dynamic-l2l.cfg", Dialect::Asa,
       {"pix-dynamic-l2l.cfg:90: warning: pre-shared-key of tunnel-group '192.168.1.2' is masked ('*')" + kMasked}},
      {"pix-nonat.cfg", Dialect::Asa, {}},
      {"ios-dynamic-map-nat.cfg", Dialect::Ios, {}},
      {"ios-strongswan-ikev1.cfg", Dialect::Ios, {}},
      {"ios-strongswan-ikev2.cfg", Dialect::Ios, {}},
      {"ios-ikev2-router1.cfg", Dialect::Ios, {}},
      {"ios-ikev2-router1.fragments.cfg", Dialect::Ios,
       {"ios-ikev2-router1.fragments.cfg:19: error: no ikev2 profile named 'IKEV2-SETUP'; expected a profile "
        "defined with 'crypto ikev2 profile IKEV2-SETUP'"}},
      {"ios-ikev2-router2.fragments.cfg", Dialect::Ios, {}},
  };
}

class SeedConfig : public ::testing::TestWithParam<Seed> {};

TEST_P(SeedConfig, LoadsWithExactlyTheExpectedProblems) {
  const Seed& s = GetParam();
  std::string text = read_config(s.file);
  ASSERT_FALSE(text.empty()) << s.file;
  EXPECT_EQ(detect_dialect(text), s.dialect);
  auto r = load_config(text);
  EXPECT_EQ(formatted(s.file, r.diagnostics), s.diagnostics);
}

TEST_P(SeedConfig, RoundTripsThroughTheRunningConfig) {
  const Seed& s = GetParam();
  auto r = load_config(read_config(s.file));
  std::string shown = print_running_config(r.model);
  auto back = parse_config(shown);  // the dialect is detected from the printed text too
  EXPECT_EQ(back.model.dialect, s.dialect);
  EXPECT_TRUE(back.model == r.model.redacted()) << shown;
  // Printing is a fixed point: what show prints, show prints again.
  EXPECT_EQ(print_running_config(back.model), shown);
  // The printed text itself loads without errors where the original did.
  if (r.ok()) {
    EXPECT_TRUE(load_config(shown).ok()) << shown;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, SeedConfig, ::testing::ValuesIn(seeds()), [](const auto& info) {
  std::string n = info.param.file;
  for (auto& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
});

TEST(SeedModel, Asa1SiteToSite) {
  auto r = load_config(read_config("asa1-l2l.cfg"));
  const Model& m = r.model;
  ASSERT_EQ(m.interfaces.size(), 2u);
  EXPECT_EQ(m.interfaces[0].nameif, "outside");
  EXPECT_EQ(m.interfaces[0].address.to_string(), "10.0.0.1");
  EXPECT_EQ(m.interfaces[0].netmask, 0xffffff00u);
  EXPECT_EQ(m.interfaces[1].security_level, 100);
  ASSERT_EQ(m.ipsec_proposals.size(), 1u);
  EXPECT_EQ(m.ipsec_proposals[0].esp_encryption, (std::vector<Cipher>{{EncrId::AES_CBC, 256}}));
  EXPECT_EQ(m.ipsec_proposals[0].esp_integrity,
            (std::vector<IntegId>{IntegId::HMAC_SHA1_96, IntegId::HMAC_MD5_96}));
  const AccessList* acl = m.access_list("l2l_list");
  ASSERT_NE(acl, nullptr);
  ASSERT_EQ(acl->entries.size(), 2u);
  EXPECT_EQ(acl->entries[1].source.kind, AddrMatch::Kind::Host);
  EXPECT_EQ(acl->entries[1].source.address.to_string(), "192.168.1.12");
  EXPECT_EQ(acl->entries[1].destination.address.to_string(), "192.168.2.99");
  const CryptoMap* map = m.crypto_map("outside_map");
  ASSERT_NE(map, nullptr);
  ASSERT_EQ(map->entries.size(), 1u);
  const CryptoMapEntry& e = map->entries[0];
  EXPECT_EQ(e.sequence, 1);
  EXPECT_EQ(e.match_address->name, "l2l_list");
  ASSERT_EQ(e.peers.size(), 1u);
  EXPECT_EQ(e.peers[0].address->to_string(), "10.0.0.2");
  EXPECT_EQ(e.ikev2_proposals[0].name, "AES256");
  EXPECT_EQ(map->interfaces[0].name, "outside");
  ASSERT_EQ(m.asa_ikev2_policies.size(), 1u);
  const auto& t = m.asa_ikev2_policies[0].transforms;
  EXPECT_EQ(t.encryption, (std::vector<Cipher>{{EncrId::AES_CBC, 256}}));
  EXPECT_EQ(t.integrity, std::vector<IntegId>{IntegId::HMAC_SHA1_96});
  EXPECT_EQ(t.groups, std::vector<DhGroup>{DhGroup::MODP_1024});
  EXPECT_EQ(t.prf, std::vector<PrfId>{PrfId::HMAC_SHA1});
  EXPECT_EQ(m.asa_ikev2_policies[0].lifetime_seconds, 86400u);
  ASSERT_EQ(m.ikev2_enabled.size(), 1u);
  const TunnelGroup* tg = m.tunnel_group("10.0.0.2");
  ASSERT_NE(tg, nullptr);
  EXPECT_EQ(tg->type, TunnelGroup::Type::IpsecL2L);
  EXPECT_EQ(tg->ikev2_local.method, AuthMethod::PreSharedKey);
  EXPECT_EQ(tg->ikev2_local.key.state, ConfigSecret::State::Masked);
  EXPECT_FALSE(tg->ikev2_remote.key.usable());
}

TEST(SeedModel, RemoteAccessHeadEnd) {
  const Model m = load_config(read_config("asa-ra-anyconnect.cfg")).model;
  ASSERT_EQ(m.pools.size(), 1u);
  EXPECT_EQ(m.pools[0].first.to_string(), "10.2.2.1");
  EXPECT_EQ(m.pools[0].last.to_string(), "10.2.2.10");
  EXPECT_EQ(m.ipsec_proposals[0].esp_encryption.size(), 4u);
  ASSERT_EQ(m.dynamic_maps.size(), 1u);
  EXPECT_EQ(m.dynamic_maps[0].entries[0].sequence, 1000);
  EXPECT_EQ(m.crypto_maps[0].entries[0].dynamic_map->name, "dynmap");
  EXPECT_EQ(m.ikev2_enabled[0].client_services_port, 443);
  EXPECT_EQ(m.ikev2_remote_access_trustpoint->name, "Anu-ikev2");
  EXPECT_EQ(m.trustpoints[0].enrollment, "self");
  EXPECT_TRUE(m.trustpoints[0].crl_configure);
  ASSERT_EQ(m.users.size(), 1u);
  EXPECT_EQ(m.users[0].password.state, ConfigSecret::State::Encrypted);
  EXPECT_EQ(m.users[0].privilege, 15);
  const TunnelGroup* tg = m.tunnel_group("ASA-IKEV2");
  ASSERT_NE(tg, nullptr);
  EXPECT_EQ(tg->type, TunnelGroup::Type::RemoteAccess);
  EXPECT_EQ(tg->address_pools[0].name, "webvpn1");
  EXPECT_EQ(tg->default_group_policy->name, "ASA-IKEV2");
  ASSERT_EQ(m.group_policies.size(), 1u);
  ASSERT_EQ(m.group_policies[0].attribute_lines.size(), 5u);
  EXPECT_EQ(m.group_policies[0].attribute_lines[4].text, "webvpn");
  EXPECT_EQ(m.group_policies[0].attribute_lines[4].children.size(), 2u);
}

TEST(SeedModel, PixLegacyIkev1AndDhcp) {
  const Model m = load_config(read_config("pix-dynamic-l2l.cfg")).model;
  EXPECT_EQ(m.version, "PIX Version 7.2(2)");
  EXPECT_TRUE(m.asa_legacy_ikev1);
  EXPECT_EQ(m.interfaces[0].address_mode, Interface::AddressMode::Dhcp);
  ASSERT_EQ(m.isakmp_policies.size(), 2u);
  EXPECT_EQ(m.isakmp_policies[0].encryption, (Cipher{EncrId::DES, 0}));
  EXPECT_EQ(m.isakmp_policies[0].hash, IntegId::HMAC_MD5_96);
  EXPECT_EQ(m.isakmp_policies[0].group, DhGroup::MODP_768);
  EXPECT_EQ(m.isakmp_policies[1].priority, 65535);
  ASSERT_EQ(m.transform_sets.size(), 1u);
  EXPECT_EQ(m.transform_sets[0].esp_encryption, (Cipher{EncrId::DES, 0}));
  EXPECT_EQ(m.transform_sets[0].esp_integrity, IntegId::HMAC_MD5_96);
  EXPECT_EQ(m.ikev1_enabled[0].name, "outside");
  EXPECT_EQ(m.tunnel_group("192.168.1.2")->ikev1_pre_shared_key.state, ConfigSecret::State::Masked);
  // Kept as written: nat, global, route, timeouts, policy-map with its nested classes.
  const auto& mid = m.kept[static_cast<int>(Section::AccessLists)];
  EXPECT_TRUE(std::any_of(mid.begin(), mid.end(), [](const RawCommand& c) { return c.text == "nat (inside) 0 access-list NO-NAT"; }));
  const auto& trailer = m.kept[static_cast<int>(Section::Trailer)];
  auto pm = std::find_if(trailer.begin(), trailer.end(), [](const RawCommand& c) { return c.text == "policy-map global_policy"; });
  ASSERT_NE(pm, trailer.end());
  ASSERT_EQ(pm->children.size(), 1u);
  EXPECT_EQ(pm->children[0].children.size(), 14u);
}

TEST(SeedModel, IosDynamicMapAndWildcardKey) {
  const Model m = load_config(read_config("ios-dynamic-map-nat.cfg")).model;
  EXPECT_EQ(m.version, "version 12.4");
  EXPECT_EQ(m.hostname, "Router");
  const IsakmpPolicy& p = m.isakmp_policies[0];
  EXPECT_EQ(p.encryption, (Cipher{EncrId::DES, 0}));  // IOS default, not printed
  EXPECT_EQ(p.hash, IntegId::HMAC_MD5_96);
  EXPECT_EQ(p.authentication, Ikev1Auth::PreShare);
  EXPECT_EQ(p.group, DhGroup::MODP_768);
  ASSERT_EQ(m.isakmp_keys.size(), 1u);
  EXPECT_TRUE(m.isakmp_keys[0].key.usable());
  EXPECT_EQ(m.isakmp_keys[0].netmask, 0u);
  EXPECT_EQ(m.dynamic_maps[0].entries[0].transform_sets[0].name, "DYN-TS");
  EXPECT_EQ(m.crypto_maps[0].entries[0].dynamic_map->name, "DYN");
  EXPECT_EQ(m.interface_by_name("Ethernet0/0")->crypto_map->name, "IPSEC");
  EXPECT_EQ(m.interface_by_name("Serial2/0")->address_mode, Interface::AddressMode::NoAddress);
  EXPECT_TRUE(m.interface_by_name("Serial2/0")->shutdown);
  const AccessList* acl = m.access_list("100");
  ASSERT_NE(acl, nullptr);
  EXPECT_TRUE(acl->numbered);
  EXPECT_EQ(acl->entries[0].action, AclAction::Deny);
  EXPECT_EQ(acl->entries[0].source.netmask, 0xffffff00u);  // wildcard 0.0.0.255
  EXPECT_EQ(acl->entries[1].destination.kind, AddrMatch::Kind::Any);
}

TEST(SeedModel, IosIkev2ProfileAndKeyring) {
  const Model m = load_config(read_config("ios-strongswan-ikev2.cfg")).model;
  ASSERT_EQ(m.ikev2_proposals.size(), 1u);
  EXPECT_EQ(m.ikev2_proposals[0].transforms.encryption, (std::vector<Cipher>{{EncrId::AES_CBC, 128}}));
  EXPECT_EQ(m.ikev2_proposals[0].transforms.groups, std::vector<DhGroup>{DhGroup::MODP_1536});
  EXPECT_EQ(m.ios_ikev2_policies[0].match_fvrf, "any");
  ASSERT_EQ(m.keyrings[0].peers.size(), 1u);
  const KeyringPeer& kp = m.keyrings[0].peers[0];
  EXPECT_EQ(kp.address->to_string(), "172.16.10.2");
  EXPECT_TRUE(kp.local_key.usable());
  EXPECT_TRUE(kp.remote_key.usable());
  const Ikev2Profile& pr = m.ikev2_profiles[0];
  EXPECT_EQ(pr.match_remote[0].address->to_string(), "172.16.10.2");
  EXPECT_EQ(pr.auth_local, std::vector<ProfileAuth>{ProfileAuth::PreShare});
  EXPECT_EQ(pr.keyring->name, "keys");
  EXPECT_EQ(m.transform_sets[0].mode, IpsecMode::Tunnel);
  EXPECT_EQ(m.crypto_maps[0].entries[0].ikev2_profile->name, "ikev2profile");
  EXPECT_EQ(m.access_list("cryptoacl")->entries[0].destination.address.to_string(), "192.168.2.0");
}

// The document's own layout (indentation lost, a page break inside a block) loads to the same
// model as the cleaned-up file, as it would on the device.
TEST(SeedModel, DocumentLayoutLoadsLikeTheCleanFile) {
  auto clean = load_config(read_config("asa-ra-anyconnect.cfg"));
  auto printed = load_config(read_config("asa-ra-anyconnect.as-printed.cfg"));
  EXPECT_TRUE(printed.diagnostics.empty()) << formatted("as-printed", printed.diagnostics)[0];
  EXPECT_TRUE(clean.model == printed.model);
}

TEST(SeedModel, Asa2AsPrintedDoesNotMirrorAsa1) {
  auto a1 = load_config(read_config("asa1-l2l.cfg"));
  auto a2 = load_config(read_config("asa2-l2l.as-printed.cfg"));
  auto fixed = load_config(read_config("asa2-l2l.cfg"));
  std::vector<std::string> names{"asa1-l2l.cfg", "asa2-l2l.as-printed.cfg"};
  const Model* bad[] = {&a1.model, &a2.model};
  auto found = check_peers(bad, names);
  std::vector<std::string> lines;
  for (const auto& [i, d] : found) lines.push_back(format_diagnostic(names[i], d));
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "asa1-l2l.cfg:17: warning: access-list 'l2l_list' entry has no mirror in asa2-l2l.as-printed.cfg "
                       "(access-list 'l2l_list' of its peer); expected 'permit ip host 192.168.2.99 host 192.168.1.1' there",
                       "asa1-l2l.cfg:18: warning: access-list 'l2l_list' entry has no mirror in asa2-l2l.as-printed.cfg "
                       "(access-list 'l2l_list' of its peer); expected 'permit ip host 192.168.2.99 host 192.168.1.12' there",
                       "asa2-l2l.as-printed.cfg:15: warning: access-list 'l2l_list' entry has no mirror in asa1-l2l.cfg "
                       "(access-list 'l2l_list' of its peer); expected 'permit ip host 191.168.1.1 host 192.168.2.99' there",
                       "asa2-l2l.as-printed.cfg:16: warning: access-list 'l2l_list' entry has no mirror in asa1-l2l.cfg "
                       "(access-list 'l2l_list' of its peer); expected 'permit ip host 191.168.1.12 host 192.168.2.99' there",
                   }));
  const Model* good[] = {&a1.model, &fixed.model};
  EXPECT_TRUE(check_peers(good, names).empty());
}

}  // namespace
}  // namespace ikegate::config
