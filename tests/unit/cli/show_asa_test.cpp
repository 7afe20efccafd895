#include "cli/show_asa.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdint>
#include <limits>

#include "show_test_util.h"

namespace ikegate::cli {
namespace {

using namespace test;

// ASA1 of asa-ikev2-l2l-psk-debug: the responder of one IKEv2 SA with two CHILD SAs.
IkeSaView asa1_ike_sa(Seconds active) {
  IkeSaView sa;
  sa.tunnel_id = 1889403559;
  sa.session_id = 99220;
  sa.local = ep("10.0.0.1", 500);
  sa.remote = ep("10.0.0.2", 500);
  sa.role = IkeRole::Responder;
  sa.encr = EncrId::TRIPLE_DES;
  sa.key_bits = 0;
  sa.integ = IntegId::HMAC_MD5_96;
  sa.dh_group = DhGroup::MODP_1024;
  sa.active_time = active;
  sa.local_spi = 0xA75B9B2582AAECB7;
  sa.remote_spi = 0xFD366326E1FED6FE;
  sa.local_id = "10.0.0.1";
  sa.remote_id = "10.0.0.2";
  sa.local_req_msg_id = sa.local_next_msg_id = sa.local_req_queued = 14;
  sa.remote_req_msg_id = sa.remote_next_msg_id = sa.remote_req_queued = 16;
  for (auto [host, in, out] : {std::tuple{"192.168.1.12", 0x8564387du, 0x8717a5au},
                               std::tuple{"192.168.1.1", 0x74756292u, 0xf0d97b2au}}) {
    IkeChildView c;
    c.local_selector = host_selector(host);
    c.remote_selector = host_selector("192.168.2.99");
    c.esp_spi_in = in;
    c.esp_spi_out = out;
    c.transform = {EncrId::AES_CBC, 256, IntegId::HMAC_SHA1_96};
    sa.children.push_back(c);
  }
  return sa;
}

EspSaView esp(std::uint32_t spi, std::uint64_t kb, std::int64_t secs, std::uint32_t bitmap) {
  EspSaView e;
  e.spi = spi;
  e.transform = {EncrId::AES_CBC, 256, IntegId::HMAC_SHA1_96};
  e.conn_id = 137990144;
  e.remaining_kilobytes = kb;
  e.remaining_seconds = Seconds{secs};
  e.anti_replay_bitmap = {0, bitmap};
  return e;
}

ChildSaView asa1_child(const char* host, EspSaView in, EspSaView out) {
  ChildSaView c;
  c.interface_name = "outside";
  c.crypto_map = "outside_map";
  c.crypto_map_seq = 1;
  c.acl_line = fmt::format("access-list l2l_list extended permit ip host {} host 192.168.2.99", host);
  c.local_ident = ident(host, 32);
  c.remote_ident = ident("192.168.2.99", 32);
  c.local_endpoint = ep("10.0.0.1", 500);
  c.remote_endpoint = ep("10.0.0.2", 500);
  auto& k = c.counters;
  k.encaps = k.encrypt = k.digest = k.decaps = k.decrypt = k.verify = k.not_compressed = 3;
  c.ipsec_overhead = 74;
  c.inbound = {in};
  c.outbound = {out};
  return c;
}

std::vector<ChildSaView> asa1_children() {
  return {asa1_child("192.168.1.1", esp(0x74756292, 4008959, 28628, 0xF),
                     esp(0xF0D97B2A, 4147199, 28628, 1)),
          asa1_child("192.168.1.12", esp(0x8564387D, 4285439, 28734, 0xF),
                     esp(0x08717A5A, 4055039, 28734, 1))};
}

TEST(AsaShow, IsakmpSaDetailMatchesSeedAsa1) {
  expect_same_text(asa::show_crypto_isakmp_sa({asa1_ike_sa(Seconds{195})}, true),
                   expected_output("asa_l2l_asa1_isakmp_sa_detail.txt"));
}

TEST(AsaShow, Ikev2SaMatchesSeedAsa1) {
  expect_same_text(asa::show_crypto_ikev2_sa({asa1_ike_sa(Seconds{179})}, false),
                   expected_output("asa_l2l_asa1_ikev2_sa.txt"));
}

TEST(AsaShow, IpsecSaMatchesSeedAsa1) {
  expect_same_text(asa::show_crypto_ipsec_sa(asa1_children()),
                   expected_output("asa_l2l_asa1_ipsec_sa.txt"));
}

TEST(AsaShow, EmptyTablesSayWhatTheBoxSays) {
  EXPECT_EQ(asa::show_crypto_ikev2_sa({}, false), "There are no IKEv2 SAs\n");
  EXPECT_EQ(asa::show_crypto_isakmp_sa({}, true),
            "There are no IKEv1 SAs\n\nThere are no IKEv2 SAs\n");
  EXPECT_EQ(asa::show_crypto_ipsec_sa({}), "There are no ipsec sas\n");
  EXPECT_EQ(asa::show_vpn_sessiondb_detail_anyconnect({}),
            "INFO: There are presently no active sessions\n");
}

TEST(AsaShow, TransformNames) {
  EXPECT_EQ(asa::esp_transform_name({EncrId::AES_CBC, 256, IntegId::HMAC_SHA1_96}),
            "esp-aes-256 esp-sha-hmac");
  EXPECT_EQ(asa::esp_transform_name({EncrId::AES_CBC, 128, IntegId::HMAC_SHA2_256_128}),
            "esp-aes esp-sha256-hmac");
  EXPECT_EQ(asa::esp_transform_name({EncrId::AES_GCM_16, 256, IntegId::NONE}),
            "esp-aes-gcm-256 esp-null-hmac");
  EXPECT_EQ(asa::esp_transform_name({EncrId::TRIPLE_DES, 0, IntegId::HMAC_MD5_96}),
            "esp-3des esp-md5-hmac");
  EXPECT_EQ(asa::esp_transform_name({EncrId::DES, 0, IntegId::HMAC_MD5_96}),
            "esp-des esp-md5-hmac");
}

// Many SAs, IPv6 endpoints and huge ids: every row's columns end where the header's do.
TEST(AsaShow, TableStaysAlignedWithIpv6AndHugeIds) {
  std::vector<IkeSaView> sas;
  auto a = asa1_ike_sa(Seconds{1});
  sas.push_back(a);
  a.tunnel_id = std::numeric_limits<std::uint64_t>::max();
  a.local = ep("2001:db8:ffff:ffff:ffff:ffff:ffff:1", 4500);
  a.remote = ep("2001:db8::2", 65535);
  a.status = IkeSaStatus::InNeg;
  a.role = IkeRole::Initiator;
  sas.push_back(a);
  a.tunnel_id = 7;
  a.local = ep("10.0.0.1", 500);
  sas.push_back(a);
  auto text = asa::show_crypto_ikev2_sa(sas, false);
  auto lines = split_lines(text);
  std::vector<std::size_t> header;
  std::size_t rows = 0;
  for (const auto& line : lines) {
    if (line.find("Tunnel-id") != std::string::npos) {
      header = column_ends(line);
    } else if (line.find("READY") != std::string::npos ||
               line.find("IN-NEG") != std::string::npos) {
      EXPECT_EQ(column_ends(line), header) << line;
      ++rows;
    }
  }
  EXPECT_EQ(rows, 3u);
  EXPECT_EQ(header.size(), 5u);
  EXPECT_NE(text.find("18446744073709551615 2001:db8:ffff:ffff:ffff:ffff:ffff:1/4500 "),
            std::string::npos)
      << text;
}

TEST(AsaShow, HugeCountersAndIpv6Idents) {
  auto c = asa1_children().front();
  c.counters.encaps = std::numeric_limits<std::uint64_t>::max();
  c.local_ident = {ip("2001:db8:1::"), 48, 6, 443};
  auto text = asa::show_crypto_ipsec_sa({c});
  EXPECT_NE(text.find("      #pkts encaps: 18446744073709551615, #pkts encrypt: 3, #pkts digest: 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("      local ident (addr/mask/prot/port): (2001:db8:1::/48/6/443)\n"),
            std::string::npos);
}

TEST(AsaShow, NatTAndRemoteAccessSettings) {
  auto c = asa1_children().front();
  c.nat_t = true;
  c.remote_access = true;
  auto text = asa::show_crypto_ipsec_sa({c});
  EXPECT_NE(text.find("in use settings ={RA, Tunnel, NAT-T-Encaps, }"), std::string::npos);
}

// The AnyConnect head-end of asa-ikev2-remote-access-anyconnect.
TEST(AsaShow, VpnSessiondbMatchesSeedAnyConnect) {
  VpnSessionView s;
  s.username = "Anu";
  s.index = 2;
  s.assigned_ip = ip("10.2.2.1");
  s.public_ip = ip("192.168.1.1");
  s.encryption = "AES192 AES256";
  s.hashing = "none SHA1 SHA1";
  s.bytes_rx = 11192;
  s.pkts_rx = 171;
  s.group_policy = s.tunnel_group = "ASA-IKEV2";
  s.login_time = "22:06:24 UTC Mon Apr 22 2013";
  s.duration = Seconds{146};
  s.eou_age = Seconds{146};
  s.parent = VpnSessionView::Parent{};
  s.parent->tunnel_id = "2.1";
  s.parent->idle_left = std::chrono::minutes{27};
  s.parent->client_version = "3.0.1047";
  s.ikev2 = VpnSessionView::Ikev2{};
  s.ikev2->tunnel_id = "2.2";
  s.ikev2->udp_src_port = 25171;
  s.ikev2->udp_dst_port = 4500;
  s.ikev2->key_bits = 192;
  s.ikev2->dh_group = DhGroup::MODP_768;
  s.ikev2->rekey_left = Seconds{86254};
  s.ikev2->client_os = "Windows";
  s.ipsec = VpnSessionView::Ipsec{};
  s.ipsec->tunnel_id = "2.3";
  s.ipsec->local_addr = ident("0.0.0.0", 0);
  s.ipsec->remote_addr = ident("10.2.2.1", 32);
  s.ipsec->key_bits = 256;
  s.ipsec->rekey_left = Seconds{28654};
  s.ipsec->rekey_kilobytes_left = 4607990;
  s.ipsec->idle_left = std::chrono::minutes{29};
  s.ipsec->bytes_rx = 11192;
  s.ipsec->pkts_rx = 171;
  expect_same_text(asa::show_vpn_sessiondb_detail_anyconnect({s}),
                   expected_output("asa_ra_vpn_sessiondb_detail.txt"));
}

TEST(AsaShow, Ikev2SaDetailMatchesSeedAnyConnect) {
  IkeSaView sa;
  sa.tunnel_id = 55182129;
  sa.session_id = 2;
  sa.local = ep("10.0.0.1", 4500);
  sa.remote = ep("192.168.1.1", 25171);
  sa.role = IkeRole::Responder;
  sa.key_bits = 192;
  sa.dh_group = DhGroup::MODP_768;
  sa.auth_sign = AuthMethod::Rsa;
  sa.auth_verify = AuthMethod::Eap;
  sa.active_time = Seconds{98};
  sa.local_spi = 0xFC696330E6B94D7F;
  sa.remote_spi = 0x58AFF71141BA436B;
  sa.local_id = "hostname=ASA-IKEV2";
  sa.remote_id = "*$AnyConnectClient$*";
  sa.remote_req_msg_id = sa.remote_next_msg_id = sa.remote_req_queued = 9;
  sa.nat = NatDetected::Outside;
  sa.assigned_address = ip("10.2.2.1");
  IkeChildView c;
  c.local_selector = {ip("0.0.0.0"), ip("255.255.255.255"), 0, 65535};
  c.remote_selector = host_selector("10.2.2.1");
  c.esp_spi_in = 0x30b848a4;
  c.esp_spi_out = 0x77ee5348;
  c.transform = {EncrId::AES_CBC, 256, IntegId::HMAC_SHA1_96};
  sa.children.push_back(c);
  expect_same_text(asa::show_crypto_ikev2_sa({sa}, true),
                   expected_output("asa_ra_ikev2_sa_detail.txt"));
}

}  // namespace
}  // namespace ikegate::cli
