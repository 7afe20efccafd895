// The PIX/IOS seed (pix-ios-ikev1-dynamic-map-nat) from its configurations: both files go
// through the configuration parser and policy::from_model into two IKEv1 engines. The PIX's
// outside address comes from DHCP (learned at run time); the IOS router knows no peer address:
// a wildcard `crypto isakmp key ... address 0.0.0.0 0.0.0.0` and a dynamic crypto map. Only the
// PIX can initiate. The seed negotiates DES/MD5/group 1 (PIX policy 10, IOS policy 10).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "config/parser.h"
#include "dataplane/fake.h"
#include "ikev1/engine.h"
#include "policy/from_model.h"

using namespace ikegate;
using namespace std::chrono_literals;

namespace {

std::string read(const std::string& name) {
  std::ifstream in(std::string(IKEGATE_SOURCE_DIR) + "/tests/data/configs/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::shared_ptr<policy::Policy> load(std::string text, const policy::LearnedAddresses& learned) {
  auto r = config::load_config(text);
  EXPECT_TRUE(r.ok());
  auto p = policy::from_model(r.model, learned);
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  return std::make_shared<policy::Policy>(p ? std::move(*p) : policy::Policy{});
}

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

TEST(Ikev1Policy, IsakmpPoliciesFromTheSeedsIncludingTheAsaDefault) {
  auto pix = load(read("pix-dynamic-l2l.cfg"), {{"outside", ip("172.16.1.1")}});
  ASSERT_EQ(pix->isakmp_proposals.size(), 2u);
  EXPECT_EQ(pix->isakmp_proposals[0].priority, 10u);
  EXPECT_EQ(pix->isakmp_proposals[0].encr.id, EncrId::DES);
  EXPECT_EQ(pix->isakmp_proposals[0].hash, PrfId::HMAC_MD5);
  EXPECT_EQ(pix->isakmp_proposals[0].group, DhGroup::MODP_768);
  EXPECT_EQ(pix->isakmp_proposals[1].priority, 65535u);
  EXPECT_EQ(pix->isakmp_proposals[1].encr.id, EncrId::TRIPLE_DES);
  // An ASA without a 65535 policy still has the default one.
  auto asa = load("hostname asa\ncrypto isakmp policy 5\n authentication pre-share\n encryption aes-256\n hash sha\n group 5\n", {});
  ASSERT_EQ(asa->isakmp_proposals.size(), 2u);
  EXPECT_EQ(asa->isakmp_proposals[0].encr.key_bits, 256);
  EXPECT_EQ(asa->isakmp_proposals[0].group, DhGroup::MODP_1536);
  EXPECT_EQ(asa->isakmp_proposals[1].priority, 65535u);
  EXPECT_EQ(asa->isakmp_proposals[1].encr.id, EncrId::TRIPLE_DES);
  EXPECT_EQ(asa->isakmp_proposals[1].group, DhGroup::MODP_1024);
  auto ios = load(read("ios-dynamic-map-nat.cfg"), {});
  ASSERT_EQ(ios->isakmp_proposals.size(), 1u);
  EXPECT_EQ(ios->isakmp_proposals[0].encr.id, EncrId::DES) << "IOS default encryption";
  EXPECT_EQ(ios->isakmp_proposals[0].group, DhGroup::MODP_768) << "IOS default group 1";
  ASSERT_FALSE(ios->map_entries.empty());
  EXPECT_TRUE(ios->map_entries[0].ikev1);
  EXPECT_TRUE(ios->map_entries[0].dynamic);
}

// IOS 12.4(20)T and later: without any `crypto isakmp policy`, the default protection suites
// 65507-65514 negotiate (the pre-shared-key ones: 65508, 65510, 65512, 65514); a configured
// policy or `no crypto isakmp default policy` removes them.
TEST(Ikev1Policy, IosDefaultProtectionSuitesOnlyWithoutConfiguredPolicies) {
  auto none = load("version 15.4\nhostname r1\ncrypto isakmp key k address 0.0.0.0 0.0.0.0\n", {});
  ASSERT_EQ(none->isakmp_proposals.size(), 8u);
  EXPECT_EQ(none->isakmp_proposals.front().priority, 65507u);
  EXPECT_EQ(none->isakmp_proposals.back().priority, 65514u);
  const auto& p65508 = none->isakmp_proposals[1];
  EXPECT_TRUE(p65508.pre_share);
  EXPECT_EQ(p65508.encr.id, EncrId::AES_CBC);
  EXPECT_EQ(p65508.encr.key_bits, 128);
  EXPECT_EQ(p65508.hash, PrfId::HMAC_SHA1);
  EXPECT_EQ(p65508.group, DhGroup::MODP_1536);
  EXPECT_FALSE(none->isakmp_proposals[0].pre_share) << "65507 is RSA signature";
  const auto& p65514 = none->isakmp_proposals[7];
  EXPECT_TRUE(p65514.pre_share);
  EXPECT_EQ(p65514.encr.id, EncrId::TRIPLE_DES);
  EXPECT_EQ(p65514.hash, PrfId::HMAC_MD5);
  EXPECT_EQ(p65514.group, DhGroup::MODP_1024);
  EXPECT_EQ(p65514.lifetime, 86400s);

  auto disabled = load("version 15.4\nhostname r1\nno crypto isakmp default policy\n", {});
  EXPECT_TRUE(disabled->isakmp_proposals.empty());
  auto configured = load("version 15.4\nhostname r1\ncrypto isakmp policy 10\n encr aes 256\n authentication pre-share\n group 14\n", {});
  ASSERT_EQ(configured->isakmp_proposals.size(), 1u);
  EXPECT_EQ(configured->isakmp_proposals[0].priority, 10u);
  // The ASA has no such suites; its default is 65535 alone.
  auto asa = load("ASA Version 9.8(1)\nhostname asa\n", {});
  ASSERT_EQ(asa->isakmp_proposals.size(), 1u);
  EXPECT_EQ(asa->isakmp_proposals[0].priority, 65535u);
}

struct Side : ikev1::Host {
  dataplane::FakeDataPlane dp;
  TestRandom random;
  std::unique_ptr<ikev1::Engine> engine;
  std::vector<std::tuple<Endpoint, Endpoint, Bytes>>* wire;
  std::vector<std::string> lines;
  Side(std::shared_ptr<policy::Policy> p, std::uint64_t seed, std::vector<std::tuple<Endpoint, Endpoint, Bytes>>* w)
      : dp(seed), random(seed), wire(w) {
    engine = std::make_unique<ikev1::Engine>(std::move(p), dp, random, *this);
    EXPECT_TRUE(engine->install_policies());
  }
  void send(const Endpoint& l, const Endpoint& r, ByteView d) override { wire->emplace_back(l, r, Bytes(d.begin(), d.end())); }
  void trace(const ikev1::TraceEvent& e) override {
    lines.push_back(e.kind == ikev1::TraceEvent::Kind::StateChange
                        ? std::string(e.old_state) + " -> " + std::string(e.new_state)
                        : e.text);
  }
  bool traced(std::string_view needle) const {
    return std::any_of(lines.begin(), lines.end(), [&](const auto& l) { return l.find(needle) != std::string::npos; });
  }
  bool tracing(int) const override { return true; }
  void send_keepalive(const Endpoint&, const Endpoint&) override {}
};

// The seed's first ping from behind the PIX, and the negotiation it starts, to the end.
void pix_pings_ios(Side& pix, Side& ios, std::vector<std::tuple<Endpoint, Endpoint, Bytes>>& wire, TimePoint now) {
  pix.dp.connect(ios.dp);
  Bytes ping(28, 0);
  ping[0] = 0x45;
  store_be16(&ping[2], 28);
  ping[9] = 1;
  store_be32(&ping[12], ip("10.1.1.10").v4_value());
  store_be32(&ping[16], ip("10.2.1.10").v4_value());
  EXPECT_EQ(pix.dp.send(ping), dataplane::FakeDataPlane::SendOutcome::Queued);
  for (int round = 0; round < 50; ++round) {
    for (auto& e : pix.dp.drain_events()) pix.engine->on_dataplane_event(e, now);
    auto batch = std::move(wire);
    wire.clear();
    for (auto& [from, to, bytes] : batch) {
      Side& dst = to.address == ip("192.168.1.2") ? ios : pix;
      dst.engine->on_datagram(to, from, bytes, now);
    }
    if (wire.empty()) break;
  }
}

// The seed's configurations with the DES ESP transform swapped for 3DES (see below).
std::pair<std::string, std::string> seed_configs() {
  std::string pix_cfg = read("pix-dynamic-l2l.cfg");
  auto at = pix_cfg.find(" pre-shared-key *");
  EXPECT_NE(at, std::string::npos);
  if (at != std::string::npos) pix_cfg.replace(at, 17, " pre-shared-key cisco123");
  std::string ios_cfg = read("ios-dynamic-map-nat.cfg");
  for (std::string* cfg : {&pix_cfg, &ios_cfg}) {
    auto ts = cfg->find("esp-des esp-md5-hmac");
    EXPECT_NE(ts, std::string::npos);
    if (ts != std::string::npos) cfg->replace(ts, 7, "esp-3des");
  }
  return {pix_cfg, ios_cfg};
}

// `crypto map IPSEC 10 set phase1-mode aggressive` (PIX 7 spelling) on the seed's PIX: phase 1
// goes out as Aggressive Mode, and the IOS router's dynamic map answers it.
TEST(Ikev1Seed, PixWithPhase1ModeAggressiveInitiatesAggressiveMode) {
  auto [pix_cfg, ios_cfg] = seed_configs();
  auto at = pix_cfg.find("crypto map IPSEC 10 set peer 192.168.1.2\n");
  ASSERT_NE(at, std::string::npos);
  pix_cfg.insert(at, "crypto map IPSEC 10 set phase1-mode aggressive group1\n");
  auto pix_policy = load(pix_cfg, {{"outside", ip("172.16.1.1")}});
  ASSERT_FALSE(pix_policy->map_entries.empty());
  EXPECT_TRUE(pix_policy->map_entries[0].aggressive);
  EXPECT_EQ(pix_policy->map_entries[0].aggressive_group, DhGroup::MODP_768);
  std::vector<std::tuple<Endpoint, Endpoint, Bytes>> wire;
  Side pix(pix_policy, 5, &wire);
  Side ios(load(ios_cfg, {}), 6, &wire);
  TimePoint now{std::chrono::hours(1)};
  pix_pings_ios(pix, ios, wire, now);
  auto ps = pix.engine->snapshot(now);
  ASSERT_EQ(ps.isakmp.size(), 1u);
  EXPECT_TRUE(ps.isakmp[0].established);
  EXPECT_TRUE(pix.traced("IKE_READY -> IKE_I_AM1"));
  EXPECT_TRUE(ios.traced("IKE_R_AM1 -> IKE_R_AM2"));
  EXPECT_EQ(ios.engine->snapshot(now).ipsec.size(), 1u);
  EXPECT_EQ(ios.dp.take_delivered().size(), 1u);
}

// The seed's router without its `crypto isakmp policy 10`: the IOS default suites answer. The
// PIX offers DES/MD5/group 1 (its policy 10) and 3DES/SHA/group 2 (65535); the router takes the
// second with its default suite 65512, checked after 65508 and 65510 as IOS's debug shows. With
// `no crypto isakmp default policy` it has nothing to offer.
TEST(Ikev1Seed, IosDefaultPoliciesAnswerWhenNoneIsConfigured) {
  for (bool disabled : {false, true}) {
    auto [pix_cfg, ios_cfg] = seed_configs();
    const std::string policy10 = "crypto isakmp policy 10\n hash md5\n authentication pre-share\n";
    auto at = ios_cfg.find(policy10);
    ASSERT_NE(at, std::string::npos);
    ios_cfg.replace(at, policy10.size(), disabled ? "no crypto isakmp default policy\n" : "");
    std::vector<std::tuple<Endpoint, Endpoint, Bytes>> wire;
    Side pix(load(pix_cfg, {{"outside", ip("172.16.1.1")}}), 7, &wire);
    Side ios(load(ios_cfg, {}), 8, &wire);
    TimePoint now{std::chrono::hours(1)};
    pix_pings_ios(pix, ios, wire, now);
    auto is = ios.engine->snapshot(now);
    if (disabled) {
      EXPECT_TRUE(is.isakmp.empty());
      EXPECT_EQ(ios.engine->stats().no_proposal, 1u);
      continue;
    }
    ASSERT_EQ(is.isakmp.size(), 1u);
    EXPECT_TRUE(is.isakmp[0].established);
    EXPECT_EQ(is.isakmp[0].encr, EncrId::TRIPLE_DES);
    EXPECT_EQ(is.isakmp[0].hash, PrfId::HMAC_SHA1);
    EXPECT_EQ(is.isakmp[0].dh, DhGroup::MODP_1024);
    EXPECT_TRUE(ios.traced("Checking ISAKMP transform 2 against priority 65508 policy"));
    EXPECT_TRUE(ios.traced("Checking ISAKMP transform 2 against priority 65512 policy"));
    EXPECT_FALSE(ios.traced("against priority 65507 policy")) << "RSA-signature suites are not tried with a key";
    EXPECT_EQ(ios.dp.take_delivered().size(), 1u);
  }
}

TEST(Ikev1Seed, PixInitiatesToTheIosDynamicMap) {
  // The seed masks the key as '*'; the IOS side shows it: cisco123. The transform set is the
  // seed's esp-des esp-md5-hmac, with 3DES for DES: the ESP data plane has no single-DES cipher
  // (phase 1 still runs DES, as in the seed).
  auto [pix_cfg, ios_cfg] = seed_configs();
  std::vector<std::tuple<Endpoint, Endpoint, Bytes>> wire;
  Side pix(load(pix_cfg, {{"outside", ip("172.16.1.1")}}), 3, &wire);
  Side ios(load(ios_cfg, {}), 4, &wire);
  TimePoint now{std::chrono::hours(1)};
  pix_pings_ios(pix, ios, wire, now);
  auto ps = pix.engine->snapshot(now), is = ios.engine->snapshot(now);
  ASSERT_EQ(ps.isakmp.size(), 1u);
  ASSERT_TRUE(ps.isakmp[0].established);
  EXPECT_EQ(ps.isakmp[0].encr, EncrId::DES);
  EXPECT_EQ(ps.isakmp[0].hash, PrfId::HMAC_MD5);
  EXPECT_EQ(ps.isakmp[0].dh, DhGroup::MODP_768);
  EXPECT_EQ(ps.isakmp[0].tunnel_group, "192.168.1.2");
  ASSERT_EQ(ps.ipsec.size(), 1u);
  ASSERT_EQ(is.ipsec.size(), 1u);
  EXPECT_EQ(ps.ipsec[0].encr, EncrId::TRIPLE_DES);
  EXPECT_EQ(ps.ipsec[0].integ, IntegId::HMAC_MD5_96);
  EXPECT_EQ(is.ipsec[0].map, "IPSEC") << "the dynamic map's parent crypto map";
  EXPECT_EQ(is.ipsec[0].selector.src_start, ip("10.2.1.0"));
  EXPECT_EQ(is.ipsec[0].selector.dst_end, ip("10.1.1.255"));
  EXPECT_EQ(ios.dp.take_delivered().size(), 1u) << "the first ping, queued during the negotiation";
  // The IOS side cannot initiate: its map has no peer.
  EXPECT_FALSE(ios.engine->initiate("IPSEC", 10, 0, now));
}

}  // namespace
