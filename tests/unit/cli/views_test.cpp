// The snapshot adapter: hand-made engine snapshots with the seeds' numbers, rendered by the show
// formatters, give the seeds' show text (tests/data/show/).
#include "cli/views.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "cli/show_asa.h"
#include "cli/show_ios.h"
#include "show_test_util.h"

namespace ikegate::cli {
namespace {

using namespace test;
using std::chrono::seconds;

policy::Selector hosts(const char* local, const char* remote) {
  policy::Selector s;
  s.src_start = s.src_end = ip(local);
  s.dst_start = s.dst_end = ip(remote);
  return s;
}

// Octets that leave `kb_left` of a 4608000 kB lifetime.
std::uint64_t bytes_for(std::uint64_t kb_left) { return (4608000 - kb_left) * 1024; }

ikev2::ChildSaInfo asa1_child(const char* host, std::uint32_t in, std::uint32_t out,
                              std::uint64_t kb_in, std::uint64_t kb_out, std::int64_t secs) {
  ikev2::ChildSaInfo c;
  c.map = "outside_map";
  c.seq = 1;
  c.acl_text = fmt::format("access-list l2l_list extended permit ip host {} host 192.168.2.99", host);
  c.selector = hosts(host, "192.168.2.99");
  c.spi_in = in;
  c.spi_out = out;
  c.encr = EncrId::AES_CBC;
  c.key_bits = 256;
  c.integ = IntegId::HMAC_SHA1_96;
  c.lifetime = seconds{28800};
  c.remaining = seconds{secs};
  c.lifetime_kb = 4608000;
  c.in.encaps_or_decaps = c.in.encrypt_or_decrypt = c.in.digest_or_verify = 3;
  c.out.encaps_or_decaps = c.out.encrypt_or_decrypt = c.out.digest_or_verify = 3;
  c.in.bytes = bytes_for(kb_in);
  c.out.bytes = bytes_for(kb_out);
  c.reqid = 137990144;
  return c;
}

// ASA1 of asa-ikev2-l2l-psk-debug, the responder: 192.168.1.1 came with IKE_AUTH, 192.168.1.12
// with CREATE_CHILD_SA.
ikev2::IkeSaInfo asa1_sa(seconds active) {
  ikev2::IkeSaInfo sa;
  sa.id = 1889403559;
  sa.local = ep("10.0.0.1", 500);
  sa.remote = ep("10.0.0.2", 500);
  sa.status = "READY";
  sa.initiator = false;
  sa.spi_local = 0xA75B9B2582AAECB7;
  sa.spi_remote = 0xFD366326E1FED6FE;
  sa.encr = EncrId::TRIPLE_DES;
  sa.integ = IntegId::HMAC_MD5_96;
  sa.dh = DhGroup::MODP_1024;
  sa.lifetime = seconds{86400};
  sa.active = active;
  sa.local_id = "10.0.0.1";
  sa.remote_id = "10.0.0.2";
  sa.local_req_mid = 14;
  sa.remote_req_mid = 16;
  sa.dpd_interval = seconds{10};
  sa.dpd_retry = seconds{2};
  sa.children = {asa1_child("192.168.1.1", 0x74756292, 0xF0D97B2A, 4008959, 4147199, 28628),
                 asa1_child("192.168.1.12", 0x8564387D, 0x08717A5A, 4285439, 4055039, 28734)};
  return sa;
}

policy::Policy asa1_policy() {
  policy::Policy p;
  p.personality = policy::Personality::Asa;
  policy::CryptoMapEntry e;
  e.map = "outside_map";
  e.seq = 1;
  e.interface = "outside";
  e.peers = {ip("10.0.0.2")};
  p.map_entries.push_back(e);
  return p;
}

// The engine has one number per SA; the seed's ASA prints a separate session number.
std::vector<IkeSaView> asa1_views(seconds active) {
  auto views = ike_sa_views({asa1_sa(active)}, policy::Personality::Asa);
  for (auto& v : views) v.session_id = 99220;
  return views;
}

TEST(Views, AsaIkev2SaMatchesSeed) {
  expect_same_text(asa::show_crypto_ikev2_sa(asa1_views(seconds{179}), false),
                   expected_output("asa_l2l_asa1_ikev2_sa.txt"));
}

TEST(Views, AsaIsakmpSaDetailMatchesSeed) {
  expect_same_text(asa::show_crypto_isakmp_sa(asa1_views(seconds{195}), true),
                   expected_output("asa_l2l_asa1_isakmp_sa_detail.txt"));
}

TEST(Views, AsaIpsecSaMatchesSeed) {
  auto views = child_sa_views({asa1_sa(seconds{179})}, asa1_policy());
  ASSERT_EQ(views.size(), 2u);
  // The data plane does not report its anti-replay bitmap yet: the seed's words are put in.
  for (auto& v : views) {
    v.inbound.at(0).anti_replay_bitmap = {0, 0xF};
    v.outbound.at(0).anti_replay_bitmap = {0, 1};
  }
  expect_same_text(asa::show_crypto_ipsec_sa(views),
                   expected_output("asa_l2l_asa1_ipsec_sa.txt"));
}

TEST(Views, CountersComeFromTheirDirection) {
  auto sa = asa1_sa(seconds{1});
  auto& c = sa.children.at(0);
  c.out = {};
  c.in = {};
  c.out.encaps_or_decaps = 1;
  c.out.encrypt_or_decrypt = 2;
  c.out.digest_or_verify = 3;
  c.out.send_errors = 4;
  c.in.encaps_or_decaps = 5;
  c.in.encrypt_or_decrypt = 6;
  c.in.digest_or_verify = 7;
  c.in.recv_errors = 8;
  c.in.auth_failures = 9;
  c.in.replay_failures = 10;
  c.out.bytes = 4608000ull * 1024 + 5;  // beyond the lifetime: 0 left, not a wrap-around
  auto v = child_sa_views({sa}, asa1_policy()).at(0);
  const auto& k = v.counters;
  EXPECT_EQ(k.encaps, 1u);
  EXPECT_EQ(k.encrypt, 2u);
  EXPECT_EQ(k.digest, 3u);
  EXPECT_EQ(k.send_errors, 4u);
  EXPECT_EQ(k.decaps, 5u);
  EXPECT_EQ(k.decrypt, 6u);
  EXPECT_EQ(k.verify, 7u);
  EXPECT_EQ(k.recv_errors, 17u);
  EXPECT_EQ(k.replay_failures, 10u);
  EXPECT_EQ(v.outbound.at(0).remaining_kilobytes, 0u);
  EXPECT_EQ(v.inbound.at(0).remaining_kilobytes, 4608000u);
  EXPECT_EQ(v.interface_name, "outside");
  EXPECT_EQ(v.pfs_group, DhGroup::NONE);
}

TEST(Views, NatTUsesTheEncapsulationPortsAndAddsTheUdpHeader) {
  auto sa = asa1_sa(seconds{1});
  sa.nat_remote = true;
  auto& c = sa.children.at(0);
  c.nat_t = true;
  c.encap_local_port = 4500;
  c.encap_remote_port = 4500;
  c.pfs = DhGroup::MODP_2048;
  auto v = child_sa_views({sa}, asa1_policy()).at(0);
  EXPECT_TRUE(v.nat_t);
  EXPECT_EQ(v.local_endpoint.port, 4500);
  EXPECT_EQ(v.remote_endpoint.port, 4500);
  EXPECT_EQ(v.ipsec_overhead, 82u);
  EXPECT_EQ(v.pfs_group, DhGroup::MODP_2048);
  EXPECT_EQ(ike_sa_views({sa}, policy::Personality::Asa).at(0).nat, NatDetected::Outside);
  sa.nat_local = true;
  EXPECT_EQ(ike_sa_views({sa}, policy::Personality::Asa).at(0).nat, NatDetected::Inside);
}

TEST(Views, IdentsOfRanges) {
  auto id = ident_of(ip("192.168.1.0"), ip("192.168.1.255"), 0, 0, 65535);
  EXPECT_EQ(id.address, ip("192.168.1.0"));
  EXPECT_EQ(id.prefix_len, 24);
  EXPECT_EQ(id.port, 0);
  id = ident_of(ip("10.1.2.3"), ip("10.1.2.3"), 6, 443, 443);
  EXPECT_EQ(id.prefix_len, 32);
  EXPECT_EQ(id.protocol, 6);
  EXPECT_EQ(id.port, 443);
  id = ident_of(ip("0.0.0.0"), ip("255.255.255.255"), 0, 0, 65535);
  EXPECT_EQ(id.prefix_len, 0);
  // Not a prefix: the smallest covering one.
  id = ident_of(ip("10.0.0.5"), ip("10.0.0.9"), 0, 0, 65535);
  EXPECT_EQ(id.address, ip("10.0.0.0"));
  EXPECT_EQ(id.prefix_len, 28);
  id = ident_of(ip("2001:db8::"), ip("2001:db8::ffff"), 0, 0, 65535);
  EXPECT_EQ(id.prefix_len, 112);
  id = ident_of(ip("2001:db8::1"), ip("2001:db8::1"), 0, 0, 65535);
  EXPECT_EQ(id.prefix_len, 128);
}

// R1 of ios-strongswan-ikev1-ikev2, the IKEv2 half.
ikev2::IkeSaInfo r1_sa() {
  ikev2::IkeSaInfo sa;
  sa.id = 1;
  sa.local = ep("172.16.10.1", 500);
  sa.remote = ep("172.16.10.2", 500);
  sa.status = "READY";
  sa.initiator = true;
  sa.spi_local = 0x9FFC38791FFEF212;
  sa.spi_remote = 0x6CDC17F5B0B10C1A;
  sa.encr = EncrId::AES_CBC;
  sa.key_bits = 128;
  sa.integ = IntegId::HMAC_SHA1_96;
  sa.dh = DhGroup::MODP_1536;
  sa.lifetime = seconds{86400};
  sa.active = seconds{152};
  sa.local_id = "172.16.10.1";
  sa.remote_id = "172.16.10.2";
  sa.local_req_mid = 2;
  sa.window = 5;
  ikev2::ChildSaInfo c;
  c.map = "cmap";
  c.seq = 10;
  c.acl_text = "permit ip 192.168.1.0 0.0.0.255 192.168.2.0 0.0.0.255";
  c.selector.src_start = ip("192.168.1.0");
  c.selector.src_end = ip("192.168.1.255");
  c.selector.dst_start = ip("192.168.2.0");
  c.selector.dst_end = ip("192.168.2.255");
  c.spi_in = 0xDF405365;
  c.spi_out = 0xC0CC116C;
  c.key_bits = 128;
  c.integ = IntegId::HMAC_SHA1_96;
  c.lifetime = seconds{3600};
  c.remaining = seconds{3442};
  c.lifetime_kb = 4608000;
  c.in.encaps_or_decaps = c.in.encrypt_or_decrypt = c.in.digest_or_verify = 100;
  c.out.encaps_or_decaps = c.out.encrypt_or_decrypt = c.out.digest_or_verify = 100;
  c.in.bytes = c.out.bytes = bytes_for(4375803);
  c.reqid = 6;
  sa.children.push_back(c);
  return sa;
}

policy::Policy r1_policy() {
  policy::Policy p;
  p.personality = policy::Personality::Ios;
  policy::CryptoMapEntry e;
  e.map = "cmap";
  e.seq = 10;
  e.interface = "Ethernet0/0";
  e.peers = {ip("172.16.10.2")};
  e.ikev2_profile = "IKEV2-PROFILE";
  p.map_entries.push_back(e);
  return p;
}

TEST(Views, IosIkev2SaDetailedMatchesSeed) {
  auto views = ike_sa_views({r1_sa()}, policy::Personality::Ios);
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].dpd_interval, seconds{0});
  // The engine has no CE id nor a separate session number; the seed's are put in.
  views[0].ce_id = 1019;
  views[0].session_id = 3;
  expect_same_text(ios::show_crypto_ikev2_sa(views, true, {.ikev2_prf = false}),
                   expected_output("ios_strongswan_ikev2_sa_detailed.txt"));
}

TEST(Views, IosIpsecSaMatchesSeed) {
  auto views = child_sa_views({r1_sa()}, r1_policy());
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].plaintext_mtu, 1438u);
  // One request id per CHILD SA in the engine; IOS numbers each direction's connection.
  views[0].outbound.at(0).conn_id = 5;
  views[0].outbound.at(0).flow_id = "SW:5";
  expect_same_text(ios::show_crypto_ipsec_sa(views),
                   expected_output("ios_strongswan_ikev2_ipsec_sa.txt"));
}

TEST(Views, IosSessionDetail) {
  auto sa = r1_sa();
  sa.children.at(0).in.bytes = sa.children.at(0).out.bytes = bytes_for(4164202);
  sa.children.at(0).remaining = seconds{3590};
  auto sessions = session_views({sa}, r1_policy());
  ASSERT_EQ(sessions.size(), 1u);
  auto text = ios::show_crypto_session_detail(sessions);
  for (const char* line : {
           "Interface: Ethernet0/0\n",
           "Profile: IKEV2-PROFILE\n",
           "Uptime: 00:02:32\n",
           "Session status: UP-ACTIVE\n",
           "Peer: 172.16.10.2 port 500 fvrf: (none) ivrf: (none)\n",
           "      Phase1_id: 172.16.10.2\n",
           "  IKEv2 SA: local 172.16.10.1/500 remote 172.16.10.2/500 Active\n",
           "          Capabilities:(none) connid:1 lifetime:23:57:28\n",
           "  IPSEC FLOW: permit ip 192.168.1.0/255.255.255.0 192.168.2.0/255.255.255.0\n",
           "        Active SAs: 2, origin: crypto map\n",
           "        Inbound:  #pkts dec'ed 100 drop 0 life (KB/Sec) 4164202/3590\n",
           "        Outbound: #pkts enc'ed 100 drop 0 life (KB/Sec) 4164202/3590\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  }
  // Two IKE SAs with one peer are one session; a negotiating one alone is not up.
  auto second = r1_sa();
  second.id = 2;
  second.status = "IN-NEG";
  second.children.clear();
  second.dpd_interval = seconds{10};
  second.nat_remote = true;
  sessions = session_views({sa, second}, r1_policy());
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].ike_sas.size(), 2u);
  EXPECT_EQ(sessions[0].ike_sas[1].capabilities, "DN");
  EXPECT_FALSE(sessions[0].ike_sas[1].active);
  sessions = session_views({second}, r1_policy());
  EXPECT_EQ(sessions.at(0).status, "DOWN-NEGOTIATING");
  EXPECT_EQ(sessions.at(0).interface_name, "Ethernet0/0");
}

}  // namespace
}  // namespace ikegate::cli
