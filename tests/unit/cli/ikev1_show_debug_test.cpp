// IKEv1 in the show commands and in `debug crypto isakmp`: hand-made ikev1::Snapshot values with
// the numbers of the IKEv1 seeds (pix-ios-ikev1-dynamic-map-nat, ios-strongswan-ikev1-ikev2) give
// the seeds' show text through the view mapping, and ikev1::TraceEvent values give the seeds'
// debug lines (the PDF line breaks and markdown escapes of the seeds undone).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/debug.h"
#include "cli/show_asa.h"
#include "cli/show_ios.h"
#include "cli/views.h"
#include "show_test_util.h"

namespace ikegate::cli {
namespace {

using namespace test;
using std::chrono::seconds;
using policy::Personality;

policy::Selector subnets(const char* local, const char* remote) {
  policy::Selector s;
  s.src_start = ip(local);
  s.src_end = ip(fmt::format("{}255", std::string(local).substr(0, std::string(local).size() - 1)).c_str());
  s.dst_start = ip(remote);
  s.dst_end = ip(fmt::format("{}255", std::string(remote).substr(0, std::string(remote).size() - 1)).c_str());
  return s;
}

ikev1::IsakmpSaInfo isakmp(std::uint32_t conn, const char* local, const char* remote, bool initiator) {
  ikev1::IsakmpSaInfo sa;
  sa.conn_id = conn;
  sa.local = ep(local, 500);
  sa.remote = ep(remote, 500);
  sa.state = "QM_IDLE";
  sa.initiator = initiator;
  sa.established = true;
  sa.cookie_i = 0x1122334455667788;
  sa.cookie_r = 0x99AABBCCDDEEFF00;
  sa.lifetime = seconds{86400};
  sa.remaining = seconds{86400};
  sa.tunnel_group = remote;
  return sa;
}

// ios-strongswan-ikev1-ikev2: R1 (172.16.10.1) initiated to strongSwan, aes/sha/psk/group 5.
ikev1::Snapshot r1_snapshot(seconds remaining) {
  ikev1::Snapshot s;
  auto sa = isakmp(1003, "172.16.10.1", "172.16.10.2", true);
  sa.encr = EncrId::AES_CBC;
  sa.key_bits = 128;
  sa.hash = PrfId::HMAC_SHA1;
  sa.dh = DhGroup::MODP_1536;
  sa.remaining = remaining;
  s.isakmp.push_back(sa);
  ikev1::IpsecSaInfo c;
  c.local = sa.local;
  c.remote = sa.remote;
  c.conn_id = sa.conn_id;
  c.map = "cmap";
  c.seq = 10;
  c.selector = subnets("192.168.1.0", "192.168.2.0");
  c.spi_in = 0xC1A2B3C4;
  c.spi_out = 0xD1E2F3A4;
  c.encr = EncrId::AES_CBC;
  c.key_bits = 128;
  c.integ = IntegId::HMAC_SHA1_96;
  c.lifetime = seconds{3600};
  c.remaining = seconds{3590};
  c.reqid = 0x4000;
  for (auto* k : {&c.in, &c.out}) {
    k->encaps_or_decaps = k->encrypt_or_decrypt = k->digest_or_verify = 100;
    k->bytes = (4608000 - 4164202) * 1024;  // leaves 4164202 of 4608000 kB
  }
  s.ipsec.push_back(c);
  return s;
}

policy::Policy r1_policy() {
  policy::Policy p;
  p.personality = Personality::Ios;
  policy::CryptoMapEntry e;
  e.map = "cmap";
  e.seq = 10;
  e.interface = "Ethernet0/0";
  e.peers = {ip("172.16.10.2")};
  e.ikev1 = true;
  p.map_entries.push_back(e);
  return p;
}

TEST(Ikev1Views, IosIsakmpSaDetailMatchesSeedR1) {
  auto views = ike_sa_views(r1_snapshot(seconds{23 * 3600 + 59 * 60 + 35}), Personality::Ios);
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].v1_state, IkeV1State::QmIdle);
  EXPECT_EQ(views[0].engine_conn, "SW:3");
  EXPECT_EQ(views[0].integ, IntegId::HMAC_SHA1_96);
  EXPECT_EQ(views[0].local_spi, 0x1122334455667788u);  // the initiator's cookie is ours
  expect_same_text(ios::show_crypto_isakmp_sa(views, true),
                   expected_output("ios_strongswan_ikev1_isakmp_sa_detail.txt"));
}

TEST(Ikev1Views, IosSessionDetailMatchesSeedR1) {
  auto policy = r1_policy();
  std::vector<SessionView> sessions;
  add_session_views(sessions, r1_snapshot(seconds{23 * 3600 + 59 * 60 + 50}), policy);
  // The seed's router read its uptime a second before the IKE lifetime (9 s next to 23:59:50 of
  // 24 h); the snapshot is one instant, so the mapping says 10 s.
  auto expected = expected_output("ios_strongswan_ikev1_session_detail.txt");
  auto at = expected.find("Uptime: 00:00:09");
  ASSERT_NE(at, std::string::npos);
  expected.replace(at, 16, "Uptime: 00:00:10");
  expect_same_text(ios::show_crypto_session_detail(sessions), expected);
}

TEST(Ikev1Views, SessionMergesWithTheIkev2SessionOfTheSamePeer) {
  auto policy = r1_policy();
  SessionView v2;
  v2.peer = ep("172.16.10.2", 500);
  v2.ike_sas.push_back({IkeVersion::IKEv2, ep("172.16.10.1", 500), ep("172.16.10.2", 500), true,
                        "", 1, seconds{100}});
  std::vector<SessionView> sessions{v2};
  add_session_views(sessions, r1_snapshot(seconds{86000}), policy);
  ASSERT_EQ(sessions.size(), 1u);
  ASSERT_EQ(sessions[0].ike_sas.size(), 2u);
  EXPECT_EQ(sessions[0].ike_sas[1].version, IkeVersion::IKEv1);
  EXPECT_EQ(sessions[0].ike_sas[1].conn_id, 1003u);
  EXPECT_EQ(sessions[0].flows.size(), 1u);
  EXPECT_EQ(sessions[0].status, "UP-ACTIVE");
}

// pix-ios-ikev1-dynamic-map-nat: the PIX (172.16.1.1) initiates, the router (192.168.1.2)
// answers through its dynamic map.
TEST(Ikev1Views, AsaIsakmpSaMatchesSeedPix) {
  ikev1::Snapshot s;
  s.isakmp.push_back(isakmp(1001, "172.16.1.1", "192.168.1.2", true));
  auto views = ike_sa_views(s, Personality::Asa);
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].v1_state, IkeV1State::MmActive);
  expect_same_text(asa::show_crypto_isakmp_sa(views, false), expected_output("pix_asa_isakmp_sa.txt"));
}

TEST(Ikev1Views, IosIsakmpSaMatchesSeedPixRouter) {
  ikev1::Snapshot s;
  s.isakmp.push_back(isakmp(2, "192.168.1.2", "172.16.1.1", false));
  expect_same_text(ios::show_crypto_isakmp_sa(ike_sa_views(s, Personality::Ios), false,
                                              {.isakmp_slot_column = true}),
                   expected_output("pix_ios_router_isakmp_sa.txt"));
}

TEST(Ikev1Views, NegotiatingSaShowsItsMainModeState) {
  ikev1::Snapshot s;
  auto sa = isakmp(1004, "172.16.10.1", "172.16.10.2", true);
  sa.established = false;
  sa.state = "MM_KEY_EXCH";
  sa.remaining = seconds{0};
  s.isakmp.push_back(sa);
  auto text = ios::show_crypto_isakmp_sa(ike_sa_views(s, Personality::Ios), false);
  EXPECT_NE(text.find("172.16.10.2     172.16.10.1     MM_KEY_EXCH       1004"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("ACTIVE"), std::string::npos) << text;
}

TEST(Ikev1Views, IosIpsecSaMatchesSeedPixRouter) {
  policy::Policy p;
  p.personality = Personality::Ios;
  policy::CryptoMapEntry e;
  e.map = "IPSEC";
  e.seq = 10;
  e.interface = "Ethernet0/0";
  e.dynamic = true;  // no peer: the endpoints come from the IPsec SA itself
  e.ikev1 = true;
  p.map_entries.push_back(e);
  ikev1::Snapshot s;
  s.isakmp.push_back(isakmp(2, "192.168.1.2", "172.16.1.1", false));
  ikev1::IpsecSaInfo c;
  c.local = s.isakmp[0].local;
  c.remote = s.isakmp[0].remote;
  c.conn_id = 2;
  c.map = "IPSEC";
  c.seq = 10;
  c.selector = subnets("10.2.1.0", "10.1.1.0");
  c.spi_in = 0x537BC76F;
  c.spi_out = 0x64D800CB;
  c.encr = EncrId::DES;
  c.integ = IntegId::HMAC_MD5_96;
  c.lifetime = seconds{3600};
  c.remaining = seconds{3494};
  c.reqid = 2001;
  for (auto* k : {&c.in, &c.out}) {
    k->encaps_or_decaps = k->encrypt_or_decrypt = k->digest_or_verify = 10;
    k->bytes = (4608000 - 4390267) * 1024;
  }
  s.ipsec.push_back(c);

  auto views = child_sa_views(s, p);
  ASSERT_EQ(views.size(), 1u);
  auto& v = views[0];
  EXPECT_EQ(v.ike_version, IkeVersion::IKEv1);
  EXPECT_EQ(v.local_endpoint, ep("192.168.1.2", 500));
  EXPECT_EQ(v.remote_endpoint, ep("172.16.1.1", 500));
  // What the seed's IOS 12.x router prints differently from IOS 15 (see the expected file's
  // header), and the per-direction numbers it had: conn ids 2001/2002, SW:1/SW:2, and the
  // outbound SA read two seconds later.
  v.ios_flags.clear();
  v.plaintext_mtu.reset();
  v.pfs_group.reset();
  for (auto* list : {&v.inbound, &v.outbound})
    for (auto& esp : *list) {
      esp.sibling_flags.reset();
      esp.hw_status.reset();
    }
  v.inbound[0].flow_id = "SW:1";
  v.outbound[0].conn_id = 2002;
  v.outbound[0].flow_id = "SW:2";
  v.outbound[0].remaining_seconds = seconds{3492};
  expect_same_text(ios::show_crypto_ipsec_sa(views), expected_output("pix_ios_router_ipsec_sa.txt"));
}

// Two peers through one dynamic crypto map entry: each IPsec SA names its own peer, endpoints
// and C-id, so `show crypto ipsec sa [peer]` and `show crypto session detail` put each under the
// right peer (the entry has no peer to tell them apart).
TEST(Ikev1Views, TwoPeersOnOneDynamicMapEachShowTheirOwnPeer) {
  auto snap = r1_snapshot(seconds{86000});
  auto second = isakmp(1005, "172.16.10.1", "172.16.10.9", false);
  snap.isakmp.push_back(second);
  auto c2 = snap.ipsec[0];
  c2.local = second.local;
  c2.remote = ep("172.16.10.9", 4500);  // this one floated behind a NAT
  c2.conn_id = 1005;
  c2.selector = subnets("192.168.1.0", "192.168.9.0");
  c2.spi_in = 0xE1E2E3E4;
  snap.ipsec.push_back(c2);
  auto policy = r1_policy();
  policy.map_entries[0].peers.clear();
  policy.map_entries[0].dynamic = true;

  auto views = child_sa_views(snap, policy);
  ASSERT_EQ(views.size(), 2u);
  EXPECT_EQ(views[0].remote_endpoint, ep("172.16.10.2", 500));
  EXPECT_EQ(views[1].remote_endpoint, ep("172.16.10.9", 4500));
  EXPECT_EQ(views[1].local_endpoint, ep("172.16.10.1", 500));
  auto text = ios::show_crypto_ipsec_sa(views);
  EXPECT_NE(text.find("current_peer 172.16.10.2 port 500"), std::string::npos) << text;
  EXPECT_NE(text.find("current_peer 172.16.10.9 port 4500"), std::string::npos) << text;

  std::vector<SessionView> sessions;
  add_session_views(sessions, snap, policy);
  ASSERT_EQ(sessions.size(), 2u);
  for (const auto& sess : sessions) {
    ASSERT_EQ(sess.flows.size(), 1u) << sess.peer.address.to_string();
    ASSERT_EQ(sess.ike_sas.size(), 1u);
    EXPECT_EQ(sess.status, "UP-ACTIVE");
  }
  EXPECT_EQ(sessions[0].ike_sas[0].conn_id, 1003u);
  EXPECT_EQ(sessions[1].ike_sas[0].conn_id, 1005u);
  EXPECT_EQ(sessions[1].peer, ep("172.16.10.9", 500));
  auto detail = ios::show_crypto_session_detail(sessions);
  auto peer2 = detail.find("Peer: 172.16.10.9");
  ASSERT_NE(peer2, std::string::npos) << detail;
  EXPECT_NE(detail.find("192.168.9.0", peer2), std::string::npos) << "the second peer's flow is under it";
  EXPECT_EQ(detail.find("192.168.9.0"), detail.find("192.168.9.0", peer2)) << detail;
}

// ---- debug crypto isakmp ----

ikev1::TraceEvent event(ikev1::TraceEvent::Kind kind, int level, std::string text) {
  ikev1::TraceEvent ev;
  ev.kind = kind;
  ev.level = level;
  ev.conn_id = 1003;
  ev.local = ep("172.16.1.1", 500);
  ev.remote = ep("192.168.1.2", 500);
  ev.text = std::move(text);
  return ev;
}

TEST(Ikev1Debug, AsaLinesMatchSeedPix) {
  DebugRenderer r(Personality::Asa);
  DebugLevels levels;
  levels.isakmp = 7;
  using Kind = ikev1::TraceEvent::Kind;
  auto sent = event(Kind::Sent, 4,
                    "IKE_DECODE SENDING Message (msgid=0) with payloads : HDR + SA (1) + VENDOR (13) "
                    "+ NONE (0) total length : 144");
  sent.group = "192.168.1.2";  // the IKE_DECODE lines name the address only
  EXPECT_EQ(r.render(sent, levels),
            std::vector<std::string>{"[IKEv1]: IP = 192.168.1.2, IKE_DECODE SENDING Message (msgid=0) "
                                     "with payloads : HDR + SA (1) + VENDOR (13) + NONE (0) total "
                                     "length : 144"});
  EXPECT_EQ(r.render(event(Kind::Note, 7, "Oakley proposal is acceptable"), levels),
            std::vector<std::string>{"[IKEv1 DEBUG]: IP = 192.168.1.2, Oakley proposal is acceptable"});
  auto done = event(Kind::Note, 1, "PHASE 1 COMPLETED");
  done.group = "192.168.1.2";
  EXPECT_EQ(r.render(done, levels),
            std::vector<std::string>{"[IKEv1]: Group = 192.168.1.2, IP = 192.168.1.2, PHASE 1 COMPLETED"});
  // The ASA has no IOS state names in its trace.
  auto sc = event(Kind::StateChange, 5, "");
  sc.old_state = "IKE_I_MM4";
  sc.new_state = "IKE_I_MM5";
  EXPECT_TRUE(r.render(sc, levels).empty());
  // Levels: 1 shows only level-1 lines, 0 none.
  levels.isakmp = 1;
  EXPECT_TRUE(r.render(sent, levels).empty());
  EXPECT_EQ(r.render(done, levels).size(), 1u);
  levels.isakmp = 0;
  EXPECT_TRUE(r.render(done, levels).empty());
  EXPECT_FALSE(r.wants_isakmp(1, levels));
}

TEST(Ikev1Debug, IosLinesMatchSeedR1) {
  DebugRenderer r(Personality::Ios);
  DebugLevels levels;
  levels.isakmp = 255;
  using Kind = ikev1::TraceEvent::Kind;
  auto sc = event(Kind::StateChange, 5, "");
  sc.remote = ep("172.16.10.2", 500);
  sc.old_state = "IKE_I_MM4";
  sc.new_state = "IKE_I_MM5";
  EXPECT_EQ(r.render(sc, levels),
            std::vector<std::string>{"ISAKMP:(1003):Old State = IKE_I_MM4 New State = IKE_I_MM5"});
  auto sent = event(Kind::Sent, 4, "IKE_DECODE SENDING ...");
  sent.remote = ep("172.16.10.2", 500);
  EXPECT_EQ(r.render(sent, levels),
            std::vector<std::string>{"ISAKMP:(1003): sending packet to 172.16.10.2 my_port 500 peer_port 500"});
  auto received = event(Kind::Received, 4, "IKE_DECODE RECEIVED ...");
  received.remote = ep("172.16.10.2", 500);
  EXPECT_EQ(r.render(received, levels),
            std::vector<std::string>{"ISAKMP (1003): received packet from 172.16.10.2 dport 500 sport 500 Global"});
  // A peer's text cannot forge a second line.
  auto note = event(Kind::Note, 7, "vendor ID is DPD\nISAKMP:(1):forged");
  auto lines = r.render(note, levels);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "ISAKMP:(1003):vendor ID is DPD");
  EXPECT_EQ(lines[1], "ISAKMP:(1003):ISAKMP:(1):forged");
}

// ---- the command interpreter ----

CommandInterpreter interpreter(Personality personality, const ikev1::Snapshot& snap) {
  auto policy = std::make_shared<policy::Policy>(r1_policy());
  policy->personality = personality;
  CommandInterpreter::Actions a;
  a.snapshot = [] { return std::vector<ikev2::IkeSaInfo>{}; };
  a.v1_snapshot = [snap] { return snap; };
  return CommandInterpreter(personality, policy, std::move(a));
}

TEST(Ikev1Commands, ShowCommandsListIkev1Tunnels) {
  auto snap = r1_snapshot(seconds{86000});
  auto ios = interpreter(Personality::Ios, snap);
  auto isakmp = ios.execute("show crypto isakmp sa");
  EXPECT_EQ(isakmp.status, 0);
  EXPECT_NE(isakmp.text.find("172.16.10.2     172.16.10.1     QM_IDLE           1003 ACTIVE"),
            std::string::npos) << isakmp.text;
  auto ipsec = ios.execute("sh cry ipsec sa");
  EXPECT_NE(ipsec.text.find("current_peer 172.16.10.2 port 500"), std::string::npos) << ipsec.text;
  EXPECT_NE(ipsec.text.find("#pkts encaps: 100, #pkts encrypt: 100, #pkts digest: 100"),
            std::string::npos) << ipsec.text;
  EXPECT_EQ(ios.execute("show crypto ipsec sa peer 172.16.10.9").text, "");
  EXPECT_NE(ios.execute("show crypto session detail").text.find("IKEv1 SA: local 172.16.10.1/500"),
            std::string::npos);
  // `show crypto ikev2 sa` is about IKEv2 only.
  EXPECT_EQ(ios.execute("show crypto ikev2 sa").text.find("172.16.10.2"), std::string::npos);

  auto asa = interpreter(Personality::Asa, snap);
  auto text = asa.execute("show crypto isakmp sa detail").text;
  EXPECT_NE(text.find("1   IKE Peer: 172.16.10.2"), std::string::npos) << text;
  EXPECT_NE(text.find("State   : MM_ACTIVE"), std::string::npos) << text;
  EXPECT_NE(text.find("There are no IKEv2 SAs"), std::string::npos) << text;
}

TEST(Ikev1Commands, DebugCryptoIsakmpLevels) {
  auto asa = interpreter(Personality::Asa, {});
  EXPECT_EQ(asa.execute("debug crypto isakmp 7").status, 0);
  EXPECT_EQ(asa.debug_levels().isakmp, 7);
  EXPECT_TRUE(asa.debug_levels().any());
  EXPECT_EQ(asa.execute("show debug").text, "debug crypto isakmp 7\n");
  EXPECT_EQ(asa.execute("debug crypto ikev2 protocol 3").status, 0);
  EXPECT_EQ(asa.execute("undebug crypto ikev2").status, 0);  // leaves isakmp alone
  EXPECT_EQ(asa.debug_levels().isakmp, 7);
  EXPECT_EQ(asa.debug_levels().protocol, 0);
  EXPECT_EQ(asa.execute("debug crypto isakmp").status, 0);
  EXPECT_EQ(asa.debug_levels().isakmp, 1);
  EXPECT_EQ(asa.execute("debug crypto isakmp 256").status, 1);
  EXPECT_EQ(asa.debug_levels().isakmp, 1);
  EXPECT_EQ(asa.execute("undebug all").status, 0);
  EXPECT_FALSE(asa.debug_levels().any());

  auto ios = interpreter(Personality::Ios, {});
  EXPECT_EQ(ios.execute("debug crypto isakmp").status, 0);
  EXPECT_EQ(ios.debug_levels().isakmp, 255);
  EXPECT_NE(ios.execute("show debugging").text.find("Crypto ISAKMP debugging is on"), std::string::npos);
  EXPECT_EQ(ios.execute("no debug crypto isakmp").status, 0);
  EXPECT_EQ(ios.debug_levels().isakmp, 0);
  EXPECT_EQ(ios.execute("debug crypto isakmp").status, 0);
  EXPECT_EQ(ios.execute("undebug all").text, "All possible debugging has been turned off\n");
  EXPECT_EQ(ios.debug_levels().isakmp, 0);
}

TEST(Ikev1Commands, ClearReachesTheIkev1Engine) {
  for (auto personality : {Personality::Asa, Personality::Ios}) {
    std::vector<std::optional<IpAddress>> ike, v1_isakmp, v1_ipsec;
    CommandInterpreter::Actions a;
    a.clear_ike = [&](std::optional<IpAddress> peer) { ike.push_back(peer); return std::size_t{0}; };
    a.clear_ipsec = [](std::optional<IpAddress>) { return std::size_t{0}; };
    a.clear_v1_isakmp = [&](std::optional<IpAddress> peer) { v1_isakmp.push_back(peer); return std::size_t{1}; };
    a.clear_v1_ipsec = [&](std::optional<IpAddress> peer) { v1_ipsec.push_back(peer); return std::size_t{1}; };
    CommandInterpreter cli(personality, std::make_shared<policy::Policy>(r1_policy()), std::move(a));
    EXPECT_EQ(cli.execute("clear crypto isakmp sa").status, 0);
    EXPECT_EQ(cli.execute("clear crypto ipsec sa peer 172.16.10.2").status, 0);
    EXPECT_EQ(cli.execute("clear crypto ikev2 sa").status, 0);
    EXPECT_EQ(v1_isakmp, (std::vector<std::optional<IpAddress>>{std::nullopt}));
    EXPECT_EQ(v1_ipsec, (std::vector<std::optional<IpAddress>>{ip("172.16.10.2")}));
    // The ASA's `clear crypto isakmp sa` clears the IKEv2 SAs too, IOS's does not.
    EXPECT_EQ(ike.size(), personality == Personality::Asa ? 2u : 1u);
  }
}

}  // namespace
}  // namespace ikegate::cli
