// `debug crypto ipsec` (the seed pix-ios-ikev1-dynamic-map-nat's `debug crypto ipsec 7` on the
// PIX, and the IOS router's `IPSEC(create_sa)` lines), and IOS `show crypto isakmp policy` /
// `show crypto isakmp default policy`.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>

#include "cli/commands.h"
#include "cli/debug.h"
#include "policy/from_model.h"

namespace ikegate::cli {
namespace {

using policy::Personality;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

// The seed's PIX (172.16.1.1) and its SA pair with the router (192.168.1.2), 10.1.1.0/24 to
// 10.2.1.0/24: inbound SPI 0xAD0608C2, outbound 0x9BEF30FB.
std::pair<IpsecSaDebug, IpsecSaDebug> seed_pair() {
  IpsecSaDebug in;
  in.direction = dataplane::Direction::Inbound;
  in.spi = 0xAD0608C2;
  in.reqid = 4;
  in.local = ip("172.16.1.1");
  in.remote = ip("192.168.1.2");
  in.encr = EncrId::DES;
  in.integ = IntegId::HMAC_MD5_96;
  IpsecSaDebug out = in;
  out.direction = dataplane::Direction::Outbound;
  out.spi = 0x9BEF30FB;
  TrafficSelector s;
  s.src_start = ip("10.1.1.0");
  s.src_end = ip("10.1.1.255");
  s.dst_start = ip("10.2.1.0");
  s.dst_end = ip("10.2.1.255");
  out.selector = s;
  in.selector = s;
  return {in, out};
}

std::vector<std::string> headers(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines)
    if (l.starts_with("IPSEC:")) out.push_back(l);
  return out;
}

// Everything the block after `header` says, up to the next "IPSEC:" line.
std::vector<std::string> block_of(const std::vector<std::string>& lines, std::string_view header) {
  auto it = std::find(lines.begin(), lines.end(), header);
  std::vector<std::string> out;
  if (it == lines.end()) return out;
  for (++it; it != lines.end() && !it->starts_with("IPSEC:"); ++it) out.push_back(*it);
  return out;
}

TEST(IpsecDebug, AsaLinesFollowTheSeedsOrderAndRules) {
  DebugRenderer r(Personality::Asa);
  DebugLevels levels;
  auto [in, out] = seed_pair();
  EXPECT_TRUE(r.render_ipsec_added(in, levels).empty()) << "nothing without `debug crypto ipsec`";
  levels.ipsec = 7;
  auto lines = r.render_ipsec_added(in, levels);
  auto more = r.render_ipsec_added(out, levels);
  lines.insert(lines.end(), more.begin(), more.end());
  more = r.render_ipsec_complete(out, &in, levels);
  lines.insert(lines.end(), more.begin(), more.end());

  // The seed's sequence of IPSEC: lines, less the one naming the ASA's VPN context handle.
  EXPECT_EQ(headers(lines), (std::vector<std::string>{
                                "IPSEC: New embryonic SA created @ 0xAD0608C2,",
                                "IPSEC: New embryonic SA created @ 0x9BEF30FB,",
                                "IPSEC: Completed host OBSA update, SPI 0x9BEF30FB",
                                "IPSEC: Creating outbound VPN context, SPI 0x9BEF30FB",
                                "IPSEC: Completed outbound VPN context, SPI 0x9BEF30FB",
                                "IPSEC: New outbound encrypt rule, SPI 0x9BEF30FB",
                                "IPSEC: Completed outbound encrypt rule, SPI 0x9BEF30FB",
                                "IPSEC: New outbound permit rule, SPI 0x9BEF30FB",
                                "IPSEC: Completed outbound permit rule, SPI 0x9BEF30FB",
                                "IPSEC: Completed host IBSA update, SPI 0xAD0608C2",
                                "IPSEC: Creating inbound VPN context, SPI 0xAD0608C2",
                                "IPSEC: Completed inbound VPN context, SPI 0xAD0608C2",
                                "IPSEC: Completed outbound inner rule, SPI 0x9BEF30FB",
                                "IPSEC: Completed outbound outer SPD rule, SPI 0x9BEF30FB",
                                "IPSEC: New inbound tunnel flow rule, SPI 0xAD0608C2",
                                "IPSEC: Completed inbound tunnel flow rule, SPI 0xAD0608C2",
                                "IPSEC: New inbound decrypt rule, SPI 0xAD0608C2",
                                "IPSEC: Completed inbound decrypt rule, SPI 0xAD0608C2",
                                "IPSEC: New inbound permit rule, SPI 0xAD0608C2",
                                "IPSEC: Completed inbound permit rule, SPI 0xAD0608C2",
                            }));
  auto embryonic = block_of(lines, "IPSEC: New embryonic SA created @ 0xAD0608C2,");
  EXPECT_NE(std::find(embryonic.begin(), embryonic.end(), "   Direction: inbound"), embryonic.end());
  EXPECT_NE(std::find(embryonic.begin(), embryonic.end(), "   Protocol : esp"), embryonic.end());
  // The rules of the seed, field by field.
  EXPECT_EQ(block_of(lines, "IPSEC: New outbound encrypt rule, SPI 0x9BEF30FB"),
            (std::vector<std::string>{"   Src addr: 10.1.1.0", "   Src mask: 255.255.255.0", "   Dst addr: 10.2.1.0",
                                      "   Dst mask: 255.255.255.0", "   Src ports", "     Upper: 0", "     Lower: 0",
                                      "     Op   : ignore", "   Dst ports", "     Upper: 0", "     Lower: 0",
                                      "     Op   : ignore", "   Protocol: 0", "   Use protocol: false",
                                      "   SPI: 0x00000000", "   Use SPI: false"}));
  auto permit = block_of(lines, "IPSEC: New outbound permit rule, SPI 0x9BEF30FB");
  ASSERT_GE(permit.size(), 16u);
  EXPECT_EQ(permit[0], "   Src addr: 172.16.1.1");
  EXPECT_EQ(permit[1], "   Src mask: 255.255.255.255");
  EXPECT_EQ(permit[2], "   Dst addr: 192.168.1.2");
  EXPECT_EQ(permit[12], "   Protocol: 50");
  EXPECT_EQ(permit[13], "   Use protocol: true");
  EXPECT_EQ(permit[14], "   SPI: 0x9BEF30FB");
  EXPECT_EQ(permit[15], "   Use SPI: true");
  auto flow = block_of(lines, "IPSEC: New inbound tunnel flow rule, SPI 0xAD0608C2");
  ASSERT_GE(flow.size(), 3u);
  EXPECT_EQ(flow[0], "   Src addr: 10.2.1.0") << "the mirror of the crypto ACL";
  EXPECT_EQ(flow[2], "   Dst addr: 10.1.1.0");
  auto decrypt = block_of(lines, "IPSEC: New inbound decrypt rule, SPI 0xAD0608C2");
  ASSERT_GE(decrypt.size(), 15u);
  EXPECT_EQ(decrypt[0], "   Src addr: 192.168.1.2");
  EXPECT_EQ(decrypt[2], "   Dst addr: 172.16.1.1");
  EXPECT_EQ(decrypt[14], "   SPI: 0xAD0608C2");
}

TEST(IpsecDebug, NatTraversalRulesMatchEspInUdp) {
  DebugRenderer r(Personality::Asa);
  DebugLevels levels;
  levels.ipsec = 1;
  auto [in, out] = seed_pair();
  in.udp_encap = out.udp_encap = true;
  auto lines = r.render_ipsec_complete(out, &in, levels);
  auto permit = block_of(lines, "IPSEC: New outbound permit rule, SPI 0x9BEF30FB");
  ASSERT_GE(permit.size(), 13u);
  EXPECT_EQ(permit[9], "     Upper: 4500");
  EXPECT_EQ(permit[11], "     Op   : equal");
  EXPECT_EQ(permit[12], "   Protocol: 17");
}

TEST(IpsecDebug, IosCreateSaLinesAsTheRouterPrintsThem) {
  DebugRenderer r(Personality::Ios);
  DebugLevels levels;
  levels.ipsec = 255;
  // The router's side of the seed: inbound 0x9BEF30FB to itself (192.168.1.2).
  auto [in, out] = seed_pair();
  IpsecSaDebug router_in = out;
  router_in.direction = dataplane::Direction::Inbound;
  router_in.local = ip("192.168.1.2");
  router_in.remote = ip("172.16.1.1");
  router_in.reqid = 2002;
  EXPECT_EQ(r.render_ipsec_added(router_in, levels),
            (std::vector<std::string>{"IPSEC(create_sa): sa created,", "  (sa) sa_dest= 192.168.1.2, sa_proto= 50,",
                                      "    sa_spi= 0x9BEF30FB(2616144123),",
                                      "    sa_trans= esp-des esp-md5-hmac , sa_conn_id= 2002"}));
  IpsecSaDebug router_out = in;
  router_out.direction = dataplane::Direction::Outbound;
  router_out.local = ip("192.168.1.2");
  router_out.remote = ip("172.16.1.1");
  auto lines = r.render_ipsec_added(router_out, levels);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1], "  (sa) sa_dest= 172.16.1.1, sa_proto= 50,");
  EXPECT_EQ(lines[2], "    sa_spi= 0xAD0608C2(2902853826),");
  EXPECT_TRUE(r.render_ipsec_complete(router_out, &router_in, levels).empty()) << "IOS prints create_sa only";
}

CommandInterpreter interpreter(Personality personality, std::vector<policy::IsakmpProposal> isakmp = {}) {
  auto p = std::make_shared<policy::Policy>();
  p->personality = personality;
  p->isakmp_proposals = std::move(isakmp);
  CommandInterpreter::Actions a;
  return CommandInterpreter(personality, p, std::move(a));
}

TEST(IpsecDebug, DebugCryptoIpsecCommands) {
  auto asa = interpreter(Personality::Asa);
  EXPECT_EQ(asa.execute("debug crypto ipsec 7").status, 0);
  EXPECT_EQ(asa.debug_levels().ipsec, 7);
  EXPECT_TRUE(asa.debug_levels().any());
  EXPECT_EQ(asa.execute("show debug").text, "debug crypto ipsec 7\n");
  EXPECT_EQ(asa.execute("debug crypto isakmp 7").status, 0);
  EXPECT_EQ(asa.execute("undebug crypto ipsec").status, 0);
  EXPECT_EQ(asa.debug_levels().ipsec, 0);
  EXPECT_EQ(asa.debug_levels().isakmp, 7) << "isakmp stays on";
  EXPECT_EQ(asa.execute("deb cry ipsec").status, 0);
  EXPECT_EQ(asa.debug_levels().ipsec, 1);
  EXPECT_EQ(asa.execute("undebug all").status, 0);
  EXPECT_FALSE(asa.debug_levels().any());

  auto ios = interpreter(Personality::Ios);
  EXPECT_EQ(ios.execute("debug crypto ipsec").status, 0);
  EXPECT_GT(ios.debug_levels().ipsec, 0);
  EXPECT_NE(ios.execute("show debugging").text.find("Crypto IPSEC debugging is on"), std::string::npos);
  EXPECT_EQ(ios.execute("no debug crypto ipsec").status, 0);
  EXPECT_EQ(ios.debug_levels().ipsec, 0);
}

TEST(IsakmpPolicyShow, IosDefaultSuitesWhenNothingIsConfigured) {
  auto ios = interpreter(Personality::Ios, policy::ios_default_isakmp_policies());
  auto text = ios.execute("show crypto isakmp policy").text;
  EXPECT_TRUE(text.starts_with("Default IKE policy\nProtection suite of priority 65507\n")) << text;
  EXPECT_NE(text.find("Protection suite of priority 65508\n"
                      "\tencryption algorithm:   AES - Advanced Encryption Standard (128 bit keys).\n"
                      "\thash algorithm:         Secure Hash Standard\n"
                      "\tauthentication method:  Pre-Shared Key\n"
                      "\tDiffie-Hellman group:   #5 (1536 bit)\n"
                      "\tlifetime:               86400 seconds, no volume limit\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Protection suite of priority 65514\n"
                      "\tencryption algorithm:   Three key triple DES\n"
                      "\thash algorithm:         Message Digest 5\n"
                      "\tauthentication method:  Pre-Shared Key\n"
                      "\tDiffie-Hellman group:   #2 (1024 bit)\n"),
            std::string::npos)
      << text;
  auto defaults = ios.execute("show crypto isakmp default policy").text;
  EXPECT_TRUE(defaults.starts_with("Default IKE policy\nDefault protection suite of priority 65507\n")) << defaults;
  EXPECT_EQ(std::count(defaults.begin(), defaults.end(), '\n'), 1 + 8 * 6);
}

TEST(IsakmpPolicyShow, IosConfiguredPoliciesAndTheDefaultsStillListed) {
  using namespace std::chrono_literals;
  auto ios = interpreter(Personality::Ios,
                         {{10, true, {EncrId::AES_CBC, 256}, PrfId::HMAC_SHA2_256, DhGroup::MODP_2048, 3600s}});
  auto text = ios.execute("sh crypto isakmp pol").text;
  EXPECT_EQ(text,
            "Global IKE policy\n"
            "Protection suite of priority 10\n"
            "\tencryption algorithm:   AES - Advanced Encryption Standard (256 bit keys).\n"
            "\thash algorithm:         Secure Hash Standard 2 (256 bit)\n"
            "\tauthentication method:  Pre-Shared Key\n"
            "\tDiffie-Hellman group:   #14 (2048 bit)\n"
            "\tlifetime:               3600 seconds, no volume limit\n");
  // `show crypto isakmp default policy` lists the suites even when configured ones replace them.
  EXPECT_NE(ios.execute("show crypto isakmp default policy").text.find("priority 65514"), std::string::npos);
  // The ASA has neither command.
  EXPECT_NE(interpreter(Personality::Asa).execute("show crypto isakmp default policy").status, 0);
}

}  // namespace
}  // namespace ikegate::cli
