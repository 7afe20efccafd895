// `debug crypto ipsec` in the daemon: the data plane wrapper reports each SA pair an engine
// installs through the debug renderer, with the selector of the policy that names its reqid,
// and only while the debug level asks for it.
#include <gtest/gtest.h>

#include <algorithm>

#include "daemon/ipsec_debug.h"
#include "dataplane/fake.h"

namespace ikegate::daemon {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

struct Fixture {
  cli::DebugRenderer renderer{policy::Personality::Asa};
  cli::DebugLevels levels;
  std::vector<std::string> lines;
  dataplane::FakeDataPlane* fake = nullptr;
  std::unique_ptr<IpsecDebugDataPlane> dp;
  Fixture() {
    auto f = std::make_unique<dataplane::FakeDataPlane>(3);
    fake = f.get();
    dp = std::make_unique<IpsecDebugDataPlane>(std::move(f), [this](const IpsecDebugDataPlane::Lines& make) {
      auto more = make(renderer, levels);
      lines.insert(lines.end(), more.begin(), more.end());
    });
  }
  dataplane::SaParams sa(std::uint32_t spi, dataplane::Direction d) {
    dataplane::SaParams p;
    p.spi = spi;
    p.direction = d;
    p.reqid = 7;
    p.local = ip("172.16.1.1");
    p.remote = ip("192.168.1.2");
    p.encr = EncrId::AES_CBC;
    p.key_bits = 128;
    p.integ = IntegId::HMAC_SHA1_96;
    p.encr_key = SecretBytes(Bytes(16, 1));
    p.integ_key = SecretBytes(Bytes(20, 2));
    return p;
  }
  bool said(std::string_view line) const { return std::find(lines.begin(), lines.end(), line) != lines.end(); }
};

TEST(IpsecDebugDataPlane, ReportsAnSaPairWithItsPolicySelector) {
  Fixture f;
  f.levels.ipsec = 7;
  dataplane::PolicyParams pp;
  pp.reqid = 7;
  pp.selector.src_start = ip("10.1.1.0");
  pp.selector.src_end = ip("10.1.1.255");
  pp.selector.dst_start = ip("10.2.1.0");
  pp.selector.dst_end = ip("10.2.1.255");
  pp.local = ip("172.16.1.1");
  pp.remote = ip("192.168.1.2");
  ASSERT_TRUE(f.dp->add_policy(pp));
  ASSERT_TRUE(f.dp->add_sa(f.sa(0xAD0608C2, dataplane::Direction::Inbound)));
  EXPECT_TRUE(f.said("IPSEC: New embryonic SA created @ 0xAD0608C2,"));
  EXPECT_FALSE(f.said("IPSEC: Completed host IBSA update, SPI 0xAD0608C2")) << "not before the pair is complete";
  ASSERT_TRUE(f.dp->add_sa(f.sa(0x9BEF30FB, dataplane::Direction::Outbound)));
  EXPECT_TRUE(f.said("IPSEC: New outbound encrypt rule, SPI 0x9BEF30FB"));
  EXPECT_TRUE(f.said("   Src addr: 10.1.1.0"));
  EXPECT_TRUE(f.said("IPSEC: Completed host IBSA update, SPI 0xAD0608C2"));
  EXPECT_TRUE(f.said("IPSEC: New inbound decrypt rule, SPI 0xAD0608C2"));
  // The calls reached the real data plane, keys and all.
  EXPECT_EQ(f.fake->sa_count(), 2u);
  EXPECT_EQ(f.dp->name(), "fake");
}

TEST(IpsecDebugDataPlane, SilentWithoutDebugAndForRefusedSas) {
  Fixture f;
  ASSERT_TRUE(f.dp->add_sa(f.sa(0x1000, dataplane::Direction::Inbound)));
  ASSERT_TRUE(f.dp->add_sa(f.sa(0x2000, dataplane::Direction::Outbound)));
  EXPECT_TRUE(f.lines.empty());
  f.levels.ipsec = 1;
  // A duplicate SPI is refused by the data plane: nothing is reported for it.
  EXPECT_FALSE(f.dp->add_sa(f.sa(0x1000, dataplane::Direction::Inbound)));
  EXPECT_TRUE(f.lines.empty());
  ASSERT_TRUE(f.dp->delete_sa(0x1000, dataplane::Direction::Inbound));
  EXPECT_EQ(f.fake->sa_count(), 1u);
}

}  // namespace
}  // namespace ikegate::daemon
