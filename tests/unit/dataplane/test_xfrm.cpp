// The XFRM backend: the netlink messages it builds and parses (no kernel needed), and what the
// kernel of the machine running the tests does with them, each kernel test in a network
// namespace of its own (a thread that unshared CLONE_NEWNET; `ip` runs inside it).
#include "dataplane/xfrm.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

namespace ikegate::dataplane {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

SecretBytes key(std::size_t n, std::uint8_t fill) {
  SecretBytes k(n);
  std::memset(k.data(), fill, n);
  return k;
}

SaParams gcm_sa(Direction d) {
  SaParams p;
  p.spi = 0xc0ffee01;
  p.direction = d;
  p.reqid = 3;
  p.local = ip("10.0.0.1");
  p.remote = ip("10.0.0.2");
  p.encr = EncrId::AES_GCM_16;
  p.key_bits = 128;
  p.encr_key = key(20, 0xab);
  return p;
}

// The attributes of a built message, by type.
struct Parsed {
  std::uint16_t type = 0;
  xfrm_usersa_info sa{};
  std::map<std::uint16_t, std::vector<std::uint8_t>> attrs;
};

Parsed parse_sa(const SecretBytes& msg) {
  Parsed out;
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(msg.data());
  EXPECT_EQ(nlh->nlmsg_len, msg.size());
  out.type = nlh->nlmsg_type;
  std::memcpy(&out.sa, mnl_nlmsg_get_payload(nlh), sizeof out.sa);
  const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  for (auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(xfrm_usersa_info)));
       mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a)) {
    const auto* p = static_cast<const std::uint8_t*>(mnl_attr_get_payload(a));
    out.attrs[mnl_attr_get_type(a)].assign(p, p + mnl_attr_get_payload_len(a));
  }
  return out;
}

TEST(XfrmAlgorithms, KernelNamesAndTruncations) {
  auto gcm = xfrm::algorithms_for(EncrId::AES_GCM_16, IntegId::NONE);
  ASSERT_TRUE(gcm);
  EXPECT_TRUE(gcm->aead);
  EXPECT_EQ(gcm->encr, "rfc4106(gcm(aes))");
  EXPECT_EQ(gcm->icv_bits, 128u);
  EXPECT_EQ(xfrm::algorithms_for(EncrId::AES_GCM_12, IntegId::NONE)->icv_bits, 96u);
  EXPECT_EQ(xfrm::algorithms_for(EncrId::AES_GCM_8, IntegId::NONE)->icv_bits, 64u);
  const std::pair<IntegId, std::pair<const char*, unsigned>> integ[] = {
      {IntegId::HMAC_MD5_96, {"hmac(md5)", 96}},
      {IntegId::HMAC_SHA1_96, {"hmac(sha1)", 96}},
      {IntegId::HMAC_SHA2_256_128, {"hmac(sha256)", 128}},
      {IntegId::HMAC_SHA2_384_192, {"hmac(sha384)", 192}},
      {IntegId::HMAC_SHA2_512_256, {"hmac(sha512)", 256}},
  };
  for (const auto& [id, want] : integ) {
    auto a = xfrm::algorithms_for(EncrId::AES_CBC, id);
    ASSERT_TRUE(a);
    EXPECT_FALSE(a->aead);
    EXPECT_EQ(a->encr, "cbc(aes)");
    EXPECT_EQ(a->integ, want.first);
    EXPECT_EQ(a->trunc_bits, want.second);
  }
  EXPECT_EQ(xfrm::algorithms_for(EncrId::TRIPLE_DES, IntegId::HMAC_SHA1_96)->encr, "cbc(des3_ede)");
  EXPECT_FALSE(xfrm::algorithms_for(EncrId::AES_GCM_16, IntegId::HMAC_SHA1_96));
  EXPECT_FALSE(xfrm::algorithms_for(EncrId::NULL_ENCR, IntegId::NONE));
}

TEST(XfrmMessages, AeadSaCarriesKeyWithSaltReqidAndLifetimes) {
  SaParams p = gcm_sa(Direction::Outbound);
  p.hard_bytes = 1000000;
  p.soft_bytes = 900000;
  auto msg = xfrm::sa_message(p, kXfrmReqidBase + 3, false);
  ASSERT_TRUE(msg) << msg.error().message;
  Parsed m = parse_sa(*msg);
  EXPECT_EQ(m.type, XFRM_MSG_NEWSA);
  EXPECT_EQ(ntohl(m.sa.id.spi), 0xc0ffee01u);
  EXPECT_EQ(m.sa.id.proto, IPPROTO_ESP);
  EXPECT_EQ(m.sa.id.daddr.a4, inet_addr("10.0.0.2"));  // outbound: to the peer
  EXPECT_EQ(m.sa.saddr.a4, inet_addr("10.0.0.1"));
  EXPECT_EQ(m.sa.reqid, kXfrmReqidBase + 3);
  EXPECT_EQ(m.sa.mode, XFRM_MODE_TUNNEL);
  EXPECT_EQ(m.sa.lft.hard_byte_limit, 1000000u);
  EXPECT_EQ(m.sa.lft.soft_byte_limit, 900000u);
  EXPECT_EQ(m.sa.lft.hard_packet_limit, XFRM_INF);  // 0 = unlimited, never "expire at once"
  EXPECT_EQ(m.sa.lft.soft_add_expires_seconds, 0u);   // no time limit asked for: none
  EXPECT_EQ(m.sa.lft.hard_add_expires_seconds, 0u);
  ASSERT_TRUE(m.attrs.contains(XFRMA_ALG_AEAD));
  EXPECT_FALSE(m.attrs.contains(XFRMA_ALG_CRYPT));
  xfrm_algo_aead aead;
  std::memcpy(&aead, m.attrs[XFRMA_ALG_AEAD].data(), sizeof aead);
  EXPECT_STREQ(aead.alg_name, "rfc4106(gcm(aes))");
  EXPECT_EQ(aead.alg_key_len, 160u);  // 128-bit key + 32-bit salt (RFC 4106 8.1)
  EXPECT_EQ(aead.alg_icv_len, 128u);
  EXPECT_EQ(m.attrs[XFRMA_ALG_AEAD].size(), sizeof aead + 20);
  EXPECT_EQ(m.attrs[XFRMA_ALG_AEAD].back(), 0xab);
  // The default window of 64 is wider than the legacy 32-bit bitmap.
  ASSERT_TRUE(m.attrs.contains(XFRMA_REPLAY_ESN_VAL));
  xfrm_replay_state_esn r;
  std::memcpy(&r, m.attrs[XFRMA_REPLAY_ESN_VAL].data(), sizeof r);
  EXPECT_EQ(r.replay_window, 64u);
  EXPECT_EQ(r.bmp_len, 2u);
  EXPECT_EQ(m.sa.replay_window, 0);
  EXPECT_FALSE(m.sa.flags & XFRM_STATE_ESN);
  EXPECT_FALSE(m.attrs.contains(XFRMA_ENCAP));
}

TEST(XfrmMessages, CbcHmacEsnAndUdpEncapInbound) {
  SaParams p = gcm_sa(Direction::Inbound);
  p.encr = EncrId::AES_CBC;
  p.key_bits = 256;
  p.encr_key = key(32, 1);
  p.integ = IntegId::HMAC_SHA2_256_128;
  p.integ_key = key(32, 2);
  p.esn = true;
  p.replay_window = 32;
  p.encap_local_port = 4500;
  p.encap_remote_port = 31337;
  auto msg = xfrm::sa_message(p, kXfrmReqidBase + 3, true);
  ASSERT_TRUE(msg) << msg.error().message;
  Parsed m = parse_sa(*msg);
  EXPECT_EQ(m.type, XFRM_MSG_UPDSA);
  EXPECT_EQ(m.sa.id.daddr.a4, inet_addr("10.0.0.1"));  // inbound: to us
  EXPECT_EQ(m.sa.saddr.a4, inet_addr("10.0.0.2"));
  EXPECT_TRUE(m.sa.flags & XFRM_STATE_ESN);
  xfrm_algo crypt;
  std::memcpy(&crypt, m.attrs[XFRMA_ALG_CRYPT].data(), sizeof crypt);
  EXPECT_STREQ(crypt.alg_name, "cbc(aes)");
  EXPECT_EQ(crypt.alg_key_len, 256u);
  xfrm_algo_auth auth;
  ASSERT_TRUE(m.attrs.contains(XFRMA_ALG_AUTH_TRUNC));
  std::memcpy(&auth, m.attrs[XFRMA_ALG_AUTH_TRUNC].data(), sizeof auth);
  EXPECT_STREQ(auth.alg_name, "hmac(sha256)");
  EXPECT_EQ(auth.alg_key_len, 256u);
  EXPECT_EQ(auth.alg_trunc_len, 128u);  // RFC 4868, not the 96 bits of old Linux defaults
  xfrm_replay_state_esn r;
  std::memcpy(&r, m.attrs[XFRMA_REPLAY_ESN_VAL].data(), sizeof r);
  EXPECT_EQ(r.replay_window, 32u);
  EXPECT_EQ(r.bmp_len, 1u);
  xfrm_encap_tmpl e;
  ASSERT_TRUE(m.attrs.contains(XFRMA_ENCAP));
  std::memcpy(&e, m.attrs[XFRMA_ENCAP].data(), sizeof e);
  EXPECT_EQ(e.encap_type, 2);  // UDP_ENCAP_ESPINUDP
  EXPECT_EQ(ntohs(e.encap_sport), 31337);  // inbound: from the peer's NAT port
  EXPECT_EQ(ntohs(e.encap_dport), 4500);
}

TEST(XfrmMessages, SmallWindowUsesLegacyReplayAndBadKeysAreRefused) {
  SaParams p = gcm_sa(Direction::Inbound);
  p.replay_window = 16;
  Parsed m = parse_sa(*xfrm::sa_message(p, kXfrmReqidBase + 1, false));
  EXPECT_EQ(m.sa.replay_window, 16);
  EXPECT_FALSE(m.attrs.contains(XFRMA_REPLAY_ESN_VAL));
  p.encr_key = key(16, 0);  // the salt is missing
  auto bad = xfrm::sa_message(p, kXfrmReqidBase + 1, false);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("salt"), std::string::npos) << bad.error().message;
  EXPECT_EQ(bad.error().message.find("ab"), std::string::npos);
}

TEST(XfrmPolicies, PortBlocks) {
  using B = std::vector<std::pair<std::uint16_t, std::uint16_t>>;
  EXPECT_EQ(xfrm::port_blocks(0, 65535), (B{{0, 0}}));
  EXPECT_EQ(xfrm::port_blocks(500, 500), (B{{500, 0xffff}}));
  EXPECT_EQ(xfrm::port_blocks(1024, 2047), (B{{1024, 0xfc00}}));
  EXPECT_EQ(xfrm::port_blocks(5, 8), (B{{5, 0xffff}, {6, 0xfffe}, {8, 0xffff}}));
  EXPECT_EQ(xfrm::port_blocks(32768, 65535), (B{{32768, 0x8000}}));
  EXPECT_TRUE(xfrm::port_blocks(9, 8).empty());
}

TEST(XfrmPolicies, OutInFwdWithMirroredSelectorsAndTemplates) {
  PolicyParams p;
  p.reqid = 7;
  p.selector.src_start = p.selector.src_end = ip("192.168.1.1");
  p.selector.dst_start = p.selector.dst_end = ip("192.168.2.99");
  p.selector.protocol = 6;
  p.selector.dst_port_start = p.selector.dst_port_end = 443;
  p.priority = 10 * 1000 + 1;  // crypto map seq 10, second ACL line
  p.local = ip("10.0.0.1");
  p.remote = ip("10.0.0.2");
  auto k = xfrm::expand_policy(p, kXfrmReqidBase + 7, 0);
  ASSERT_EQ(k.size(), 3u);
  EXPECT_EQ(k[0].dir, xfrm::PolicyDir::Out);
  EXPECT_EQ(k[0].sel.src, ip("192.168.1.1"));
  EXPECT_EQ(k[0].sel.dst_len, 32);
  EXPECT_EQ(k[0].sel.dport, 443);
  EXPECT_EQ(k[0].sel.dport_mask, 0xffff);
  EXPECT_EQ(k[0].sel.sport_mask, 0);
  EXPECT_EQ(k[0].tmpl_src, ip("10.0.0.1"));
  EXPECT_EQ(k[0].tmpl_dst, ip("10.0.0.2"));
  EXPECT_EQ(k[0].priority, 10001u);
  EXPECT_EQ(k[0].reqid, kXfrmReqidBase + 7);
  for (int i : {1, 2}) {
    EXPECT_EQ(k[i].sel.src, ip("192.168.2.99"));
    EXPECT_EQ(k[i].sel.sport, 443);  // the peer's side answers from 443
    EXPECT_EQ(k[i].sel.dport_mask, 0);
    EXPECT_EQ(k[i].tmpl_src, ip("10.0.0.2"));
    EXPECT_EQ(k[i].tmpl_dst, ip("10.0.0.1"));
  }
  EXPECT_EQ(k[1].dir, xfrm::PolicyDir::In);
  EXPECT_EQ(k[2].dir, xfrm::PolicyDir::Fwd);
  // A range that is no prefix: one policy per prefix and direction.
  p.selector.src_start = ip("10.1.0.1");
  p.selector.src_end = ip("10.1.0.6");
  EXPECT_EQ(xfrm::expand_policy(p, kXfrmReqidBase + 7, 0).size(), 4u * 3u);
}

std::vector<std::uint8_t> fake_acquire(std::uint32_t reqid) {
  std::array<char, 2048> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = XFRM_MSG_ACQUIRE;
  auto* a = static_cast<xfrm_user_acquire*>(mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_user_acquire)));
  a->sel.family = AF_INET;
  a->sel.saddr.a4 = inet_addr("192.168.1.1");
  a->sel.daddr.a4 = inet_addr("192.168.2.99");
  a->sel.proto = 17;
  a->sel.sport = htons(40000);
  a->sel.sport_mask = 0xffff;
  a->sel.dport = htons(53);
  a->sel.dport_mask = 0xffff;
  xfrm_user_tmpl t{};
  t.reqid = reqid;
  t.id.proto = IPPROTO_ESP;
  mnl_attr_put(nlh, XFRMA_TMPL, sizeof t, &t);
  const auto* p = reinterpret_cast<const std::uint8_t*>(nlh);
  return {p, p + nlh->nlmsg_len};
}

TEST(XfrmMessages, TimeLifetimesGoToTheKernelHardAfterSoft) {
  SaParams p = gcm_sa(Direction::Inbound);
  p.soft_seconds = 3600;
  p.hard_seconds = hard_seconds_for(3600);
  auto msg = xfrm::sa_message(p, kXfrmReqidBase + 3, false);
  ASSERT_TRUE(msg) << msg.error().message;
  Parsed m = parse_sa(*msg);
  EXPECT_EQ(m.sa.lft.soft_add_expires_seconds, 3780u);  // halfway to hard
  EXPECT_EQ(m.sa.lft.hard_add_expires_seconds, 3960u);  // a tenth later
  EXPECT_EQ(hard_seconds_for(10), 15u);                 // at least 5 s later
  EXPECT_EQ(hard_seconds_for(0), 0u);                   // unlimited stays unlimited
}

// The notifications `ip xfrm state delete` / `ip xfrm policy delete` / flush cause, as the
// kernel's xfrm_notify_sa / xfrm_notify_policy build them.
TEST(XfrmEvents, DeletionNotificationsNameTheStateOrPolicyAndTheRequester) {
  std::array<char, 2048> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = XFRM_MSG_DELSA;
  nlh->nlmsg_pid = 4242;
  auto* id = static_cast<xfrm_usersa_id*>(mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_usersa_id)));
  id->spi = htonl(0xc0ffee01);
  id->daddr.a4 = inet_addr("10.0.0.2");
  id->family = AF_INET;
  id->proto = IPPROTO_ESP;
  xfrm_usersa_info sa{};
  sa.reqid = kXfrmReqidBase + 7;
  mnl_attr_put(nlh, XFRMA_SA, sizeof sa, &sa);
  auto d = xfrm::parse_deletion({reinterpret_cast<const std::uint8_t*>(nlh), nlh->nlmsg_len});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->what, xfrm::KernelDeletion::What::Sa);
  EXPECT_EQ(d->portid, 4242u);
  EXPECT_EQ(d->spi, 0xc0ffee01u);
  EXPECT_EQ(d->daddr, ip("10.0.0.2"));
  EXPECT_EQ(d->reqid, kXfrmReqidBase + 7);
  EXPECT_FALSE(xfrm::parse_event({reinterpret_cast<const std::uint8_t*>(nlh), nlh->nlmsg_len}));

  buf.fill(0);
  nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = XFRM_MSG_DELPOLICY;
  mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_userpolicy_id));
  xfrm_userpolicy_info pi{};
  mnl_attr_put(nlh, XFRMA_POLICY, sizeof pi, &pi);
  xfrm_user_tmpl t{};
  t.reqid = kXfrmReqidBase + 5;
  mnl_attr_put(nlh, XFRMA_TMPL, sizeof t, &t);
  d = xfrm::parse_deletion({reinterpret_cast<const std::uint8_t*>(nlh), nlh->nlmsg_len});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->what, xfrm::KernelDeletion::What::Policy);
  EXPECT_EQ(d->reqid, kXfrmReqidBase + 5);

  nlh->nlmsg_type = XFRM_MSG_FLUSHSA;
  EXPECT_EQ(xfrm::parse_deletion({reinterpret_cast<const std::uint8_t*>(nlh), nlh->nlmsg_len})->what,
            xfrm::KernelDeletion::What::FlushSa);
  nlh->nlmsg_type = XFRM_MSG_NEWSA;  // a new state is no deletion
  EXPECT_FALSE(xfrm::parse_deletion({reinterpret_cast<const std::uint8_t*>(nlh), nlh->nlmsg_len}));
  nlh->nlmsg_type = XFRM_MSG_DELSA;  // truncated
  EXPECT_FALSE(xfrm::parse_deletion({reinterpret_cast<const std::uint8_t*>(nlh), 20}));
}

TEST(XfrmEvents, AcquireAndExpireMessages) {
  auto acq = fake_acquire(kXfrmReqidBase + 4);
  auto ev = xfrm::parse_event(acq);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->kind, Event::Kind::Acquire);
  EXPECT_EQ(ev->reqid, kXfrmReqidBase + 4);
  EXPECT_EQ(ev->packet.src_start, ip("192.168.1.1"));
  EXPECT_EQ(ev->packet.dst_end, ip("192.168.2.99"));
  EXPECT_EQ(ev->packet.protocol, 17);
  EXPECT_EQ(ev->packet.src_port_start, 40000);
  EXPECT_EQ(ev->packet.dst_port_end, 53);

  std::array<char, 1024> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = XFRM_MSG_EXPIRE;
  auto* e = static_cast<xfrm_user_expire*>(mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_user_expire)));
  e->state.id.spi = htonl(0x1234abcd);
  e->state.id.daddr.a4 = inet_addr("10.0.0.1");
  e->state.family = AF_INET;
  e->state.reqid = kXfrmReqidBase + 9;
  e->hard = 0;
  auto soft = xfrm::parse_event({reinterpret_cast<const std::uint8_t*>(nlh), nlh->nlmsg_len});
  ASSERT_TRUE(soft);
  EXPECT_EQ(soft->kind, Event::Kind::SoftExpire);
  EXPECT_EQ(soft->spi, 0x1234abcdu);
  EXPECT_EQ(soft->daddr, ip("10.0.0.1"));
  e->hard = 1;
  EXPECT_EQ(xfrm::parse_event({reinterpret_cast<const std::uint8_t*>(nlh), nlh->nlmsg_len})->kind,
            Event::Kind::HardExpire);
  // Truncated and unrelated messages are no events.
  EXPECT_FALSE(xfrm::parse_event({acq.data(), 20}));
  nlh->nlmsg_type = XFRM_MSG_NEWSA;
  EXPECT_FALSE(xfrm::parse_event({reinterpret_cast<const std::uint8_t*>(nlh), nlh->nlmsg_len}));
}

// ---- Against the running kernel, in a private network namespace ----

std::string sh(const std::string& cmd) {
  std::string out;
  if (FILE* f = ::popen((cmd + " 2>&1").c_str(), "r")) {
    std::array<char, 512> b;
    while (std::fgets(b.data(), b.size(), f)) out += b.data();
    ::pclose(f);
  }
  return out;
}

std::string fmt_spi(std::uint32_t spi) {
  char b[16];
  std::snprintf(b, sizeof b, "%08x", spi);
  return b;
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

template <class F>
void in_fresh_netns(F body) {
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      ADD_FAILURE() << "unshare(CLONE_NEWNET): " << std::strerror(errno);
      return;
    }
    body();
  });
  t.join();
}

#define REQUIRE_ROOT() \
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, XFRM)"

const std::string kOurReqid = "reqid 1229389829";  // kXfrmReqidBase + 5 as `ip xfrm` prints it

PolicyParams host_policy(std::uint32_t reqid) {
  PolicyParams p;
  p.reqid = reqid;
  p.selector.src_start = p.selector.src_end = ip("198.51.100.1");
  p.selector.dst_start = p.selector.dst_end = ip("203.0.113.5");
  p.priority = 10000;
  p.local = ip("198.51.100.1");
  p.remote = ip("198.51.100.2");
  p.crypto_map = "outside_map";
  p.seq = 10;
  return p;
}

TEST(XfrmKernel, ProbeAgreesWithWhatAddSaDoes) {
  REQUIRE_ROOT();
  in_fresh_netns([] {
    const auto probe = probe_xfrm_esp();
    auto dp = make_xfrm_dataplane();
    ASSERT_TRUE(dp) << dp.error().message;
    auto spi = (*dp)->allocate_spi();
    ASSERT_TRUE(spi) << spi.error().message;
    SaParams p = gcm_sa(Direction::Inbound);
    p.spi = *spi;
    auto added = (*dp)->add_sa(p);
    EXPECT_EQ(probe.esp, added.has_value()) << probe.reason;
    if (!probe.esp) {
      EXPECT_NE(probe.reason.find("EPROTONOSUPPORT"), std::string::npos) << probe.reason;
      EXPECT_NE(added.error().message.find("0x" + fmt_spi(*spi)), std::string::npos) << added.error().message;
    } else {
      EXPECT_TRUE((*dp)->counters(*spi, Direction::Inbound));
    }
    EXPECT_TRUE((*dp)->shutdown());
    EXPECT_EQ(count(sh("ip xfrm state list nokeys"), "reqid 1229"), 0) << sh("ip xfrm state list nokeys");  // nothing of ours left
  });
}

TEST(XfrmKernel, AllocatedSpisAreDistinctReservedAndReleased) {
  REQUIRE_ROOT();
  in_fresh_netns([] {
    auto dp = make_xfrm_dataplane();
    ASSERT_TRUE(dp) << dp.error().message;
    std::set<std::uint32_t> spis;
    for (int i = 0; i < 20; ++i) {
      auto spi = (*dp)->allocate_spi();
      ASSERT_TRUE(spi) << spi.error().message;
      EXPECT_GE(*spi, 256u);
      spis.insert(*spi);
    }
    EXPECT_EQ(spis.size(), 20u);
    const std::string states = sh("ip xfrm state list nokeys");
    EXPECT_EQ(count(states, "reqid 1229389824"), 20) << states;  // the reservations carry our base
    EXPECT_TRUE((*dp)->shutdown());
    EXPECT_EQ(count(sh("ip xfrm state list nokeys"), "proto esp"), 0);
  });
}

TEST(XfrmKernel, PoliciesInstalledReplacedAndRemovedLeavingForeignOnes) {
  REQUIRE_ROOT();
  in_fresh_netns([] {
    // Someone else's policy (strongSwan's reqids start at 1) must survive everything we do.
    sh("ip xfrm policy add src 192.0.2.0/24 dst 192.0.2.128/25 dir out priority 5 "
       "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp mode tunnel reqid 5");
    auto dp = make_xfrm_dataplane();
    ASSERT_TRUE(dp) << dp.error().message;
    ASSERT_TRUE((*dp)->add_policy(host_policy(5)));
    std::string pol = sh("ip xfrm policy");
    EXPECT_EQ(count(pol, kOurReqid), 3) << pol;
    EXPECT_EQ(count(pol, "dir out priority 10000"), 1) << pol;
    EXPECT_EQ(count(pol, "dir fwd priority 10000"), 1) << pol;
    EXPECT_EQ(count(pol, "dir in priority 10000"), 1) << pol;
    EXPECT_EQ(count(pol, "src 203.0.113.5/32 dst 198.51.100.1/32"), 2) << pol;  // in and fwd mirrored
    // Re-adding with another priority replaces in place (a reload).
    auto again = host_policy(5);
    again.priority = 20000;
    ASSERT_TRUE((*dp)->add_policy(again));
    pol = sh("ip xfrm policy");
    EXPECT_EQ(count(pol, kOurReqid), 3) << pol;
    EXPECT_EQ(count(pol, "priority 20000"), 3) << pol;
    ASSERT_TRUE((*dp)->delete_policy(5));
    pol = sh("ip xfrm policy");
    EXPECT_EQ(count(pol, "reqid 1229"), 0) << pol;
    EXPECT_EQ(count(pol, "reqid 5 "), 1) << pol;
    ASSERT_TRUE((*dp)->add_policy(host_policy(5)));
    EXPECT_TRUE((*dp)->shutdown());
    pol = sh("ip xfrm policy");
    EXPECT_EQ(count(pol, "reqid 1229"), 0) << pol;
    EXPECT_EQ(count(pol, "reqid 5 "), 1) << pol;
  });
}

TEST(XfrmKernel, StaleStateOfAKilledInstanceIsRemovedAndNothingElse) {
  REQUIRE_ROOT();
  in_fresh_netns([] {
    sh("ip xfrm policy add src 192.0.2.0/24 dst 192.0.2.128/25 dir out "
       "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp mode tunnel reqid 5");
    // What a killed instance leaves (kill -9 runs no destructor): policies and an SPI
    // reservation with ikegate's reqids.
    sh("ip xfrm policy add src 198.51.100.1 dst 203.0.113.5 dir out "
       "tmpl src 198.51.100.1 dst 198.51.100.2 proto esp mode tunnel reqid 1229389829");
    sh("ip xfrm policy add src 203.0.113.5 dst 198.51.100.1 dir in "
       "tmpl src 198.51.100.2 dst 198.51.100.1 proto esp mode tunnel reqid 1229389829");
    sh("ip xfrm state allocspi src 0.0.0.0 dst 0.0.0.0 proto esp mode tunnel reqid 1229389824");
    auto removed = cleanup_stale_xfrm();
    ASSERT_TRUE(removed) << removed.error().message;
    EXPECT_EQ(*removed, 3);
    EXPECT_EQ(count(sh("ip xfrm policy"), "reqid 5 "), 1);
    EXPECT_EQ(count(sh("ip xfrm policy") + sh("ip xfrm state list nokeys"), "reqid 1229"), 0);
    EXPECT_EQ(*cleanup_stale_xfrm(), 0);
  });
}

// This gateway 198.51.100.1 on v0, whose veth peer v1 is the link to the peer 198.51.100.2.
const char* const kPeerLink =
    "ip link set lo up && ip link add v0 type veth peer name v1 && ip addr add 198.51.100.1/24 dev v0 && "
    "ip link set v0 up && ip link set v1 up && echo ok";

TEST(XfrmKernel, TrafficWithoutSaRaisesAcquireWithThePacket) {
  REQUIRE_ROOT();
  in_fresh_netns([] {
    // No route to 203.0.113.5 but the policy's: the peer 198.51.100.2 is on v0.
    const std::string setup = sh(kPeerLink);
    ASSERT_NE(setup.find("ok"), std::string::npos) << setup;
    auto dp = make_xfrm_dataplane();
    ASSERT_TRUE(dp) << dp.error().message;
    ASSERT_TRUE((*dp)->add_policy(host_policy(5)));
    EXPECT_NE(sh("ip route show table 4501").find("203.0.113.5 dev v0"), std::string::npos)
        << sh("ip route show table 4501");
    EXPECT_NE(sh("ip rule").find("to 203.0.113.5 lookup 4501"), std::string::npos) << sh("ip rule");
    const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(s, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = inet_addr("198.51.100.1");
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&from), sizeof from), 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9);
    to.sin_addr.s_addr = inet_addr("203.0.113.5");
    const char payload[] = "x";
    (void)::sendto(s, payload, 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);  // EAGAIN: held by the kernel
    ::close(s);
    pollfd pfd{(*dp)->event_fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&pfd, 1, 3000), 1) << "no ACQUIRE within 3 s";
    auto events = (*dp)->drain_events();
    ASSERT_FALSE(events.empty());
    const Event& ev = events.front();
    EXPECT_EQ(ev.kind, Event::Kind::Acquire);
    EXPECT_EQ(ev.reqid, 5u);  // the engine's reqid, not the kernel's
    EXPECT_EQ(ev.packet.src_start, ip("198.51.100.1"));
    EXPECT_EQ(ev.packet.dst_start, ip("203.0.113.5"));
    EXPECT_EQ(ev.packet.protocol, 17);
    EXPECT_EQ(ev.packet.dst_port_start, 9);
    EXPECT_EQ(sh("cat /proc/sys/net/core/xfrm_larval_drop"), "0\n");  // the packet is held
    EXPECT_TRUE((*dp)->shutdown());
    EXPECT_EQ(sh("cat /proc/sys/net/core/xfrm_larval_drop"), "1\n");  // the namespace's default again
    EXPECT_EQ(count(sh("ip xfrm policy"), "reqid 1229"), 0);
    EXPECT_EQ(sh("ip route show table 4501"), "");
    EXPECT_EQ(count(sh("ip rule"), "4501"), 0);
    // The kernel's own larval state for the acquire (SPI 0) cannot be deleted by SPI; it
    // expires after net.core.xfrm_acq_expires. No other state of ours is left.
    const std::string states = sh("ip xfrm state list nokeys");
    EXPECT_EQ(count(states, "reqid 1229"), count(states, "spi 0x00000000 reqid 1229")) << states;
  });
}

// IKE between the gateways must not be caught by a crypto ACL that covers them (a selector
// from this gateway to its peer): the daemon's IKE sockets carry a bypass policy. The same
// packet from a socket without one raises an ACQUIRE.
TEST(XfrmKernel, ExemptedIkeSocketBypassesAPolicyThatCoversTheGateways) {
  REQUIRE_ROOT();
  in_fresh_netns([] {
    const std::string setup = sh(kPeerLink);
    ASSERT_NE(setup.find("ok"), std::string::npos) << setup;
    auto dp = make_xfrm_dataplane();
    ASSERT_TRUE(dp) << dp.error().message;
    PolicyParams p = host_policy(5);
    p.selector.dst_start = p.selector.dst_end = ip("198.51.100.2");  // the peer itself
    ASSERT_TRUE((*dp)->add_policy(p));
    auto udp_from = [](std::uint16_t port) {
      const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      a.sin_addr.s_addr = inet_addr("198.51.100.1");
      EXPECT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
      return s;
    };
    auto send_to_peer = [](int s) {
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(500);
      to.sin_addr.s_addr = inet_addr("198.51.100.2");
      return ::sendto(s, "x", 1, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof to);
    };
    auto acquired = [&](int ms) {  // an ACQUIRE within ms milliseconds
      for (int waited = 0; waited < ms; waited += 100) {
        pollfd pfd{(*dp)->event_fd(), POLLIN, 0};
        if (::poll(&pfd, 1, 100) != 1) continue;
        for (const auto& e : (*dp)->drain_events())
          if (e.kind == Event::Kind::Acquire) return true;
      }
      return false;
    };
    (void)acquired(200);  // our own NEWPOLICY notifications
    const int ike = udp_from(500);
    (*dp)->exempt_ike_socket(ike);
    EXPECT_EQ(send_to_peer(ike), 1);  // sent, not held
    EXPECT_FALSE(acquired(1000)) << "IKE from the exempted socket raised an ACQUIRE";
    const int other = udp_from(40000);
    (void)send_to_peer(other);
    EXPECT_TRUE(acquired(3000)) << "the policy did not cover the gateways' traffic";
    ::close(ike);
    ::close(other);
    EXPECT_TRUE((*dp)->shutdown());
  });
}

// Faults behind the daemon's back (issue: hostile input and faults, section 3): a state or a
// policy of ours deleted with `ip xfrm` is noticed; the SA comes back as a HardExpire for the
// engine, the policy is installed again by the data plane itself. Our own deletions are not
// reported.
TEST(XfrmKernel, StateAndPolicyDeletedBehindOurBackAreNoticedAndRepaired) {
  REQUIRE_ROOT();
  in_fresh_netns([] {
    const bool esp = probe_xfrm_esp().esp;  // without ESP in the kernel only the policy part runs
    std::vector<std::string> logged;
    XfrmOptions o;
    o.log = [&](const std::string& s) { logged.push_back(s); };
    auto dp = make_xfrm_dataplane(o);
    ASSERT_TRUE(dp) << dp.error().message;
    auto drain = [&] {
      std::vector<Event> all;
      for (int i = 0; i < 20; ++i) {
        pollfd pfd{(*dp)->event_fd(), POLLIN, 0};
        if (::poll(&pfd, 1, 100) != 1) break;
        for (auto& e : (*dp)->drain_events()) all.push_back(e);
      }
      return all;
    };
    ASSERT_TRUE((*dp)->add_policy(host_policy(5)));
    (void)drain();  // the NEWPOLICY notifications of our own requests
    EXPECT_TRUE(logged.empty());

    sh("ip xfrm policy delete src 198.51.100.1/32 dst 203.0.113.5/32 dir out");
    EXPECT_TRUE(drain().empty());  // nothing for the engine
    EXPECT_EQ(count(sh("ip xfrm policy"), kOurReqid), 3) << sh("ip xfrm policy");  // back
    ASSERT_EQ(logged.size(), 1u);
    EXPECT_NE(logged[0].find("a policy of reqid 5"), std::string::npos) << logged[0];
    logged.clear();
    sh("ip xfrm policy flush");
    EXPECT_TRUE(drain().empty());
    EXPECT_EQ(count(sh("ip xfrm policy"), kOurReqid), 3) << sh("ip xfrm policy");
    ASSERT_EQ(logged.size(), 1u);
    EXPECT_NE(logged[0].find("flushed outside ikegate; 3 of ours"), std::string::npos) << logged[0];

    if (esp) {
      SaParams in = gcm_sa(Direction::Inbound);
      in.reqid = 5;
      in.local = ip("198.51.100.1");
      in.remote = ip("198.51.100.2");
      in.soft_seconds = 600;
      in.hard_seconds = hard_seconds_for(600);
      SaParams out = in;
      out.direction = Direction::Outbound;
      out.spi = 0xc0ffee02;
      ASSERT_TRUE((*dp)->add_sa(in));
      ASSERT_TRUE((*dp)->add_sa(out));
      EXPECT_NE(sh("ip -s xfrm state list nokeys").find("expire add: soft 630(sec), hard 660(sec)"), std::string::npos)
          << sh("ip -s xfrm state list nokeys");
      (void)drain();
      ASSERT_TRUE((*dp)->delete_sa(0xc0ffee02, Direction::Outbound));  // ours: nothing to report
      EXPECT_TRUE(drain().empty());
      ASSERT_TRUE((*dp)->add_sa(out));
      (void)drain();
      logged.clear();

      sh("ip xfrm state delete src 198.51.100.2 dst 198.51.100.1 proto esp spi 0xc0ffee01");
      auto events = drain();
      ASSERT_EQ(events.size(), 1u);
      EXPECT_EQ(events[0].kind, Event::Kind::HardExpire);
      EXPECT_EQ(events[0].spi, 0xc0ffee01u);
      EXPECT_EQ(events[0].direction, Direction::Inbound);
      EXPECT_EQ(events[0].reqid, 5u);
      ASSERT_EQ(logged.size(), 1u);
      EXPECT_NE(logged[0].find("inbound ESP SA 0xc0ffee01 (reqid 5) was deleted outside ikegate"), std::string::npos)
          << logged[0];
      EXPECT_FALSE((*dp)->counters(0xc0ffee01, Direction::Inbound));  // forgotten

      sh("ip xfrm state flush");
      events = drain();
      ASSERT_EQ(events.size(), 1u);
      EXPECT_EQ(events[0].spi, 0xc0ffee02u);
      EXPECT_EQ(events[0].direction, Direction::Outbound);
    }
    EXPECT_TRUE((*dp)->shutdown());
    EXPECT_EQ(count(sh("ip xfrm policy") + sh("ip xfrm state list nokeys"), "reqid 1229"), 0);
  });
}

}  // namespace
}  // namespace ikegate::dataplane
