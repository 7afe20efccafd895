#include "cli/show_ios.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <limits>

#include "cli/show_asa.h"
#include "show_test_util.h"

namespace ikegate::cli {
namespace {

using namespace test;

// R1 of ios-strongswan-ikev1-ikev2, IKEv2 half: the initiator towards strongSwan.
IkeSaView r1_ikev2_sa() {
  IkeSaView sa;
  sa.tunnel_id = 1;
  sa.session_id = 3;
  sa.ce_id = 1019;
  sa.local = ep("172.16.10.1", 500);
  sa.remote = ep("172.16.10.2", 500);
  sa.role = IkeRole::Initiator;
  sa.encr = EncrId::AES_CBC;
  sa.key_bits = 128;
  sa.integ = IntegId::HMAC_SHA1_96;
  sa.dh_group = DhGroup::MODP_1536;
  sa.active_time = Seconds{152};
  sa.local_spi = 0x9FFC38791FFEF212;
  sa.remote_spi = 0x6CDC17F5B0B10C1A;
  sa.local_id = "172.16.10.1";
  sa.remote_id = "172.16.10.2";
  sa.local_req_msg_id = sa.local_next_msg_id = sa.local_req_queued = 2;
  sa.local_window = 5;
  sa.dpd_interval = Seconds{0};
  sa.dpd_retry = 0;
  return sa;
}

EspSaView ios_esp(std::uint32_t spi, std::uint64_t conn, std::uint64_t kb, std::int64_t secs) {
  EspSaView e;
  e.spi = spi;
  e.transform = {EncrId::AES_CBC, 128, IntegId::HMAC_SHA1_96};
  e.conn_id = conn;
  e.flow_id = fmt::format("SW:{}", conn);
  e.sibling_flags = 0x80000040;
  e.remaining_kilobytes = kb;
  e.remaining_seconds = Seconds{secs};
  e.hw_status = "ACTIVE";
  return e;
}

ChildSaView r1_flow() {
  ChildSaView c;
  c.interface_name = "Ethernet0/0";
  c.crypto_map = "cmap";
  c.local_ident = ident("192.168.1.0", 24);
  c.remote_ident = ident("192.168.2.0", 24);
  c.local_endpoint = ep("172.16.10.1", 500);
  c.remote_endpoint = ep("172.16.10.2", 500);
  auto& k = c.counters;
  k.encaps = k.encrypt = k.digest = k.decaps = k.decrypt = k.verify = 100;
  c.plaintext_mtu = 1438;
  c.inbound = {ios_esp(0xDF405365, 6, 4375803, 3442)};
  c.outbound = {ios_esp(0xC0CC116C, 5, 4375803, 3442)};
  return c;
}

TEST(IosShow, Ikev2SaDetailedMatchesSeedR1) {
  expect_same_text(ios::show_crypto_ikev2_sa({r1_ikev2_sa()}, true, {.ikev2_prf = false}),
                   expected_output("ios_strongswan_ikev2_sa_detailed.txt"));
}

TEST(IosShow, Ikev2SaPrintsPrfByDefault) {
  auto text = ios::show_crypto_ikev2_sa({r1_ikev2_sa()}, false);
  EXPECT_NE(text.find("      Encr: AES-CBC, keysize: 128, PRF: SHA1, Hash: SHA96, DH Grp:5, "
                      "Auth sign: PSK, Auth verify: PSK\n      Life/Active Time: 86400/152 sec\n"
                      "\n IPv6"),
            std::string::npos)
      << text;
}

TEST(IosShow, IpsecSaMatchesSeedR1) {
  expect_same_text(ios::show_crypto_ipsec_sa({r1_flow()}),
                   expected_output("ios_strongswan_ikev2_ipsec_sa.txt"));
}

TEST(IosShow, SessionDetailMatchesSeedR1Ikev1) {
  SessionView s;
  s.interface_name = "Ethernet0/0";
  s.uptime = Seconds{9};
  s.peer = ep("172.16.10.2", 500);
  s.phase1_id = "172.16.10.2";
  s.ike_sas.push_back({IkeVersion::IKEv1, ep("172.16.10.1", 500), ep("172.16.10.2", 500), true,
                       "", 1003, Seconds{23 * 3600 + 59 * 60 + 50}});
  SessionFlowView f;
  f.acl_text = "permit ip 192.168.1.0/255.255.255.0 192.168.2.0/255.255.255.0";
  f.active_sas = 2;
  f.pkts_decrypted = f.pkts_encrypted = 100;
  f.inbound_kilobytes_left = f.outbound_kilobytes_left = 4164202;
  f.inbound_seconds_left = f.outbound_seconds_left = Seconds{3590};
  s.flows.push_back(f);
  expect_same_text(ios::show_crypto_session_detail({s}),
                   expected_output("ios_strongswan_ikev1_session_detail.txt"));
}

IkeSaView ikev1_sa(std::uint64_t conn, const char* local, const char* remote, IkeRole role) {
  IkeSaView sa;
  sa.version = IkeVersion::IKEv1;
  sa.tunnel_id = conn;
  sa.local = ep(local, 500);
  sa.remote = ep(remote, 500);
  sa.role = role;
  return sa;
}

TEST(IosShow, IsakmpSaDetailMatchesSeedR1) {
  auto sa = ikev1_sa(1003, "172.16.10.1", "172.16.10.2", IkeRole::Initiator);
  sa.dh_group = DhGroup::MODP_1536;
  sa.lifetime_remaining = Seconds{23 * 3600 + 59 * 60 + 35};
  sa.engine_conn = "SW:3";
  expect_same_text(ios::show_crypto_isakmp_sa({sa, r1_ikev2_sa()}, true),
                   expected_output("ios_strongswan_ikev1_isakmp_sa_detail.txt"));
}

TEST(IosShow, IsakmpSaMatchesSeedPixRouter) {
  auto sa = ikev1_sa(2, "192.168.1.2", "172.16.1.1", IkeRole::Responder);
  sa.v1_state = IkeV1State::QmIdle;
  expect_same_text(ios::show_crypto_isakmp_sa({sa}, false, {.isakmp_slot_column = true}),
                   expected_output("pix_ios_router_isakmp_sa.txt"));
}

TEST(IosShow, IpsecSaMatchesSeedPixRouter) {
  ChildSaView c;
  c.interface_name = "Ethernet0/0";
  c.crypto_map = "IPSEC";
  c.local_ident = ident("10.2.1.0", 24);
  c.remote_ident = ident("10.1.1.0", 24);
  c.local_endpoint = ep("192.168.1.2", 500);
  c.remote_endpoint = ep("172.16.1.1", 500);
  c.ios_flags = "";
  auto& k = c.counters;
  k.encaps = k.encrypt = k.digest = k.decaps = k.decrypt = k.verify = 10;
  c.pfs_group.reset();
  for (auto [list, spi, conn, flow, secs] :
       {std::tuple{&c.inbound, 0x537BC76Fu, 2001, "SW:1", 3494},
        std::tuple{&c.outbound, 0x64D800CBu, 2002, "SW:2", 3492}}) {
    EspSaView e;
    e.spi = spi;
    e.transform = {EncrId::DES, 0, IntegId::HMAC_MD5_96};
    e.conn_id = static_cast<std::uint64_t>(conn);
    e.flow_id = flow;
    e.remaining_kilobytes = 4390267;
    e.remaining_seconds = Seconds{secs};
    e.iv_size_bytes = 8;
    list->push_back(e);
  }
  expect_same_text(ios::show_crypto_ipsec_sa({c}), expected_output("pix_ios_router_ipsec_sa.txt"));
}

TEST(AsaShow, IsakmpSaMatchesSeedPix) {
  auto sa = ikev1_sa(1, "172.16.1.1", "192.168.1.2", IkeRole::Initiator);
  expect_same_text(asa::show_crypto_isakmp_sa({sa}, false),
                   expected_output("pix_asa_isakmp_sa.txt"));
}

TEST(IosShow, EmptyTables) {
  EXPECT_EQ(ios::show_crypto_ikev2_sa({}, true), " IPv4 Crypto IKEv2  SA\n\n IPv6 Crypto IKEv2  SA\n\n");
  EXPECT_EQ(ios::show_crypto_isakmp_sa({}, false), "IPv4 Crypto ISAKMP SA\nIPv6 Crypto ISAKMP SA\n\n");
  EXPECT_EQ(ios::show_crypto_ipsec_sa({}), "");
  auto session = ios::show_crypto_session_detail({});
  EXPECT_EQ(session.rfind("Crypto session current status\n\nCode: C", 0), 0u);
  EXPECT_EQ(session.substr(session.size() - 15), "Fragmentation\n\n");
}

TEST(IosShow, TransformNames) {
  EXPECT_EQ(ios::esp_transform_name({EncrId::AES_CBC, 128, IntegId::HMAC_SHA1_96}),
            "esp-aes esp-sha-hmac");
  EXPECT_EQ(ios::esp_transform_name({EncrId::AES_CBC, 256, IntegId::HMAC_SHA2_256_128}),
            "esp-256-aes esp-sha256-hmac");
  EXPECT_EQ(ios::esp_transform_name({EncrId::AES_GCM_16, 256, IntegId::NONE}), "esp-gcm 256");
  EXPECT_EQ(ios::esp_transform_name({EncrId::AES_GCM_16, 128, IntegId::NONE}), "esp-gcm");
  EXPECT_EQ(ios::esp_transform_name({EncrId::TRIPLE_DES, 0, IntegId::HMAC_MD5_96}),
            "esp-3des esp-md5-hmac");
}

// IPv6 SAs go to the IPv6 section; a long endpoint widens the columns for every row.
TEST(IosShow, Ipv6SectionAndManySasStayAligned) {
  std::vector<IkeSaView> sas;
  for (int i = 0; i < 12; ++i) {
    auto sa = r1_ikev2_sa();
    sa.tunnel_id = i == 11 ? std::numeric_limits<std::uint32_t>::max() : static_cast<unsigned>(i + 1);
    sa.local = ep("2001:db8::1", 500);
    sa.remote = ep(i == 5 ? "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe" : "2001:db8::2", 4500);
    sas.push_back(sa);
  }
  sas.push_back(r1_ikev2_sa());
  auto text = ios::show_crypto_ikev2_sa(sas, false);
  auto lines = split_lines(text);
  std::vector<std::size_t> header;
  std::size_t v6_rows = 0;
  bool in_v6 = false;
  for (const auto& line : lines) {
    if (line == " IPv6 Crypto IKEv2  SA") in_v6 = true;
    if (line.rfind("Tunnel-id", 0) == 0) header = column_starts(line);
    if (line.find("READY") != std::string::npos) {
      EXPECT_EQ(column_starts(line), header) << line;
      v6_rows += in_v6 ? 1 : 0;
    }
  }
  EXPECT_EQ(v6_rows, 12u);
  EXPECT_NE(text.find("4294967295 2001:db8::1/500"), std::string::npos) << text;
}

TEST(IosShow, HugeCountersPfsAndNatT) {
  auto c = r1_flow();
  c.counters.decaps = std::numeric_limits<std::uint64_t>::max();
  c.pfs_group = DhGroup::MODP_2048;
  c.nat_t = true;
  c.remote_endpoint.port = 4500;
  auto text = ios::show_crypto_ipsec_sa({c, c});
  EXPECT_NE(text.find("    #pkts decaps: 18446744073709551615, #pkts decrypt: 100"),
            std::string::npos);
  EXPECT_NE(text.find("     PFS (Y/N): Y, DH group: group14\n"), std::string::npos);
  EXPECT_NE(text.find("        in use settings ={Tunnel UDP-Encaps, }\n"), std::string::npos);
  EXPECT_NE(text.find("   current_peer 172.16.10.2 port 4500\n"), std::string::npos);
  // The second flow of the same map shares the interface and crypto map lines.
  EXPECT_EQ(text.find("interface:", 1), std::string::npos);
  EXPECT_EQ(text.find("Crypto map tag:", text.find("Crypto map tag:") + 1), std::string::npos);
}

}  // namespace
}  // namespace ikegate::cli
