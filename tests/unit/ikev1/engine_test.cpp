// Two IKEv1 engines back to back: a simulated clock, an in-memory link that can lose datagrams
// and put a NAT in front of one side, and two fake data planes that carry real ESP between them,
// so that traffic passing proves both sides derived the same KEYMAT. The scenario is the
// PIX/IOS seed's: 10.1.1.0/24 behind one gateway, 10.2.1.0/24 behind the other.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <optional>
#include <set>

#include "dataplane/fake.h"
#include "ikev1/engine.h"
#include "wire/isakmp_codec.h"

using namespace ikegate;
using namespace std::chrono_literals;

namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

struct Config {
  const char* outside;
  const char* peer;  // nullptr: a dynamic crypto map and a wildcard key (the IOS side of the seed)
  const char* local_net;
  const char* remote_net;
  const char* psk = "cisco123";
  std::vector<policy::IsakmpProposal> isakmp = {{10, true, {EncrId::AES_CBC, 256}, PrfId::HMAC_SHA1, DhGroup::MODP_2048, 86400s}};
  std::vector<policy::EncrSpec> esp_encr = {{EncrId::AES_CBC, 256}};
  std::vector<IntegId> esp_integ = {IntegId::HMAC_SHA1_96};
  std::optional<DhGroup> pfs;
  std::chrono::seconds esp_lifetime{3600};
  bool aggressive = false;  // ASA `crypto map ... set ikev1 phase1-mode aggressive [group]`
  std::optional<DhGroup> aggressive_group;
};

policy::Selector subnet_pair(const char* local, const char* remote) {
  policy::Selector s;
  s.src_start = ip(local);
  s.src_end = IpAddress::v4(ip(local).v4_value() | 0xff);
  s.dst_start = ip(remote);
  s.dst_end = IpAddress::v4(ip(remote).v4_value() | 0xff);
  return s;
}

std::shared_ptr<policy::Policy> make_policy(const Config& c) {
  auto p = std::make_shared<policy::Policy>();
  p->isakmp_proposals = c.isakmp;
  policy::CryptoMapEntry e;
  e.map = "outside_map";
  e.seq = 10;
  e.ikev1 = true;
  policy::AclEntry a;
  a.text = std::string("access-list 101 permit ip ") + c.local_net + " 0.0.0.255 " + c.remote_net + " 0.0.0.255";
  a.selector = subnet_pair(c.local_net, c.remote_net);
  e.acl.push_back(a);
  if (c.peer) {
    e.peers.push_back(ip(c.peer));
  } else {
    e.dynamic = true;
  }
  policy::EspProposal esp;
  esp.name = "myset";
  esp.encrs = c.esp_encr;
  esp.integs = c.esp_integ;
  e.proposals.push_back(esp);
  e.pfs = c.pfs;
  e.lifetime = c.esp_lifetime;
  e.aggressive = c.aggressive;
  e.aggressive_group = c.aggressive_group;
  e.local_address = ip(c.outside);
  p->map_entries.push_back(e);
  policy::PeerAuth pa;
  pa.name = c.peer ? c.peer : "0.0.0.0";
  pa.address = c.peer ? ip(c.peer) : IpAddress{};
  pa.prefix = c.peer ? 32 : 0;
  pa.local_psk = pa.remote_psk = SecretBytes(as_bytes(c.psk));
  p->peers.push_back(std::move(pa));
  p->dpd = {10s, 2s};
  p->ikev1_addresses.push_back(ip(c.outside));
  return p;
}

Bytes icmp(const char* src, const char* dst, std::uint16_t seq) {
  Bytes b(28, 0);
  b[0] = 0x45;
  store_be16(&b[2], 28);
  b[8] = 64;
  b[9] = 1;
  store_be32(&b[12], ip(src).v4_value());
  store_be32(&b[16], ip(dst).v4_value());
  b[20] = 8;
  store_be16(&b[26], seq);
  return b;
}

struct Link;

struct Gateway : ikev1::Host {
  Link* link;
  IpAddress address;
  dataplane::FakeDataPlane dp;
  TestRandom random;
  std::unique_ptr<ikev1::Engine> engine;
  std::vector<std::string> trace_lines;
  std::vector<Endpoint> sent_from;
  int keepalives = 0;

  Gateway(Link* l, const Config& c, std::uint64_t seed, ikev1::EngineOptions options = {})
      : link(l), address(ip(c.outside)), dp(seed), random(seed) {
    engine = std::make_unique<ikev1::Engine>(make_policy(c), dp, random, *this, options);
    EXPECT_TRUE(engine->install_policies());
  }
  void send(const Endpoint& local, const Endpoint& remote, ByteView d) override;
  void trace(const ikev1::TraceEvent& e) override {
    if (e.kind == ikev1::TraceEvent::Kind::StateChange)
      trace_lines.push_back(fmt::format("Old State = {} New State = {}", e.old_state, e.new_state));
    else
      trace_lines.push_back(e.text);
  }
  bool tracing(int) const override { return true; }
  void send_keepalive(const Endpoint&, const Endpoint&) override { ++keepalives; }
  bool traced(std::string_view needle) const {
    return std::any_of(trace_lines.begin(), trace_lines.end(), [&](const auto& l) { return l.find(needle) != std::string::npos; });
  }
  ikev1::Snapshot snap() const;
  std::size_t established() const {
    auto s = snap();
    return std::count_if(s.isakmp.begin(), s.isakmp.end(), [](const auto& i) { return i.established; });
  }
};

struct Packet {
  Endpoint from, to;
  Bytes bytes;
};

struct Link {
  TimePoint now{std::chrono::hours(10)};
  std::deque<Packet> queue;
  std::vector<Gateway*> gateways;
  std::function<bool(const Packet&)> lose;
  // A NAT in front of `inside`: it leaves as `outside` with its ports + 1000.
  std::optional<std::pair<IpAddress, IpAddress>> nat;
  std::size_t carried = 0;

  void flush() {
    for (int guard = 0; guard < 20000 && !queue.empty(); ++guard) {
      Packet p = std::move(queue.front());
      queue.pop_front();
      if (lose && lose(p)) continue;
      if (nat && p.from.address == nat->first) p.from = {nat->second, static_cast<std::uint16_t>(p.from.port + 1000)};
      else if (nat && p.to.address == nat->second) p.to = {nat->first, static_cast<std::uint16_t>(p.to.port - 1000)};
      for (Gateway* g : gateways)
        if (g->address == p.to.address) {
          ++carried;
          g->engine->on_datagram(p.to, p.from, p.bytes, now);
        }
      events();
    }
  }
  void events() {
    for (Gateway* g : gateways)
      for (const auto& e : g->dp.drain_events()) g->engine->on_dataplane_event(e, now);
  }
  void run(Duration span) {
    TimePoint until = now + span;
    for (int guard = 0; guard < 200000; ++guard) {
      events();
      flush();
      std::optional<TimePoint> next;
      for (Gateway* g : gateways)
        if (auto d = g->engine->next_deadline(); d && (!next || *d < *next)) next = d;
      if (!next || *next > until) break;
      now = std::max(now, *next);
      for (Gateway* g : gateways) g->engine->on_timer(now);
    }
    now = std::max(now, until);
  }
};

void Gateway::send(const Endpoint& local, const Endpoint& remote, ByteView d) {
  sent_from.push_back(local);
  link->queue.push_back({local, remote, Bytes(d.begin(), d.end())});
}
ikev1::Snapshot Gateway::snap() const { return engine->snapshot(link->now); }

// The seed's pair: the PIX (A, 172.16.1.1, 10.1.1.0/24) and the IOS router (B, 192.168.1.2).
struct Pair : ::testing::Test {
  Config a_cfg{"172.16.1.1", "192.168.1.2", "10.1.1.0", "10.2.1.0"};
  Config b_cfg{"192.168.1.2", "172.16.1.1", "10.2.1.0", "10.1.1.0"};
  Link link;
  std::unique_ptr<Gateway> a, b;
  ikev1::EngineOptions a_options, b_options;

  void build() {
    a = std::make_unique<Gateway>(&link, a_cfg, 11, a_options);
    b = std::make_unique<Gateway>(&link, b_cfg, 22, b_options);
    a->dp.connect(b->dp);
    link.gateways = {a.get(), b.get()};
  }
  // A ping from behind A to behind B: the first one triggers the negotiation and waits in A's
  // acquire queue.
  dataplane::FakeDataPlane::SendOutcome ping(std::uint16_t seq) { return a->dp.send(icmp("10.1.1.5", "10.2.1.5", seq)); }
  std::size_t delivered_to_b() { return b->dp.take_delivered().size(); }
};

TEST_F(Pair, MainModeAndQuickModeInstallSasAndTrafficPasses) {
  build();
  EXPECT_EQ(ping(1), dataplane::FakeDataPlane::SendOutcome::Queued);
  link.run(5s);
  ASSERT_EQ(a->established(), 1u);
  ASSERT_EQ(b->established(), 1u);
  auto sa = a->snap(), sb = b->snap();
  ASSERT_EQ(sa.ipsec.size(), 1u);
  ASSERT_EQ(sb.ipsec.size(), 1u);
  EXPECT_EQ(sa.ipsec[0].spi_out, sb.ipsec[0].spi_in);
  EXPECT_EQ(sa.ipsec[0].spi_in, sb.ipsec[0].spi_out);
  EXPECT_EQ(sa.ipsec[0].encr, EncrId::AES_CBC);
  EXPECT_EQ(sa.ipsec[0].key_bits, 256);
  EXPECT_EQ(sa.isakmp[0].state, "QM_IDLE");
  EXPECT_EQ(sa.isakmp[0].dh, DhGroup::MODP_2048);
  EXPECT_TRUE(sa.isakmp[0].dpd) << "peers exchanged the DPD vendor ID";
  EXPECT_FALSE(sa.ipsec[0].pfs);
  // B's SA protects what A's does, seen from the other side.
  EXPECT_EQ(sb.ipsec[0].selector, policy::selector_reversed(sa.ipsec[0].selector));
  // The queued ping went through, and traffic flows both ways.
  EXPECT_EQ(delivered_to_b(), 1u);
  EXPECT_EQ(ping(2), dataplane::FakeDataPlane::SendOutcome::Sent);
  EXPECT_EQ(delivered_to_b(), 1u);
  EXPECT_EQ(b->dp.send(icmp("10.2.1.5", "10.1.1.5", 3)), dataplane::FakeDataPlane::SendOutcome::Sent);
  EXPECT_EQ(a->dp.take_delivered().size(), 1u);
  // IOS's state names and ASA's milestones, in order.
  EXPECT_TRUE(a->traced("Old State = IKE_I_MM4 New State = IKE_I_MM5"));
  EXPECT_TRUE(b->traced("Old State = IKE_R_MM4 New State = IKE_R_MM5"));
  EXPECT_TRUE(a->traced("PHASE 1 COMPLETED"));
  EXPECT_TRUE(b->traced("PHASE 2 COMPLETED"));
  EXPECT_TRUE(a->traced("IKE_DECODE SENDING Message (msgid=0) with payloads : HDR + SA (1) + VENDOR (13)"));
  EXPECT_TRUE(a->traced("Old State = IKE_QM_I_QM1 New State = IKE_QM_PHASE2_COMPLETE"));
  EXPECT_EQ(a->engine->stats().phase2_completed, 1u);
  EXPECT_EQ(b->engine->stats().phase2_completed, 1u);
  // Nothing floated: no NAT between them.
  for (const auto& e : a->sent_from) EXPECT_EQ(e.port, 500);
}

TEST_F(Pair, WrongPreSharedKeyFailsOnBothSides) {
  b_cfg.psk = "not-cisco";
  build();
  ping(1);
  link.run(3min);
  EXPECT_EQ(a->established(), 0u);
  EXPECT_EQ(b->established(), 0u);
  EXPECT_TRUE(a->snap().isakmp.empty()) << "the initiator gives up after its retransmissions";
  EXPECT_TRUE(b->snap().isakmp.empty()) << "the responder drops the half-open SA";
  EXPECT_TRUE(a->snap().ipsec.empty());
  EXPECT_EQ(b->dp.sa_count(), 0u);
  EXPECT_GE(b->engine->stats().decrypt_failures + b->engine->stats().auth_failures, 1u);
  EXPECT_EQ(a->engine->stats().negotiation_timeouts, 1u);
  EXPECT_EQ(delivered_to_b(), 0u);
}

TEST_F(Pair, Phase1ProposalMismatchIsRefusedWithNoProposalChosen) {
  b_cfg.isakmp = {{20, true, {EncrId::TRIPLE_DES, 0}, PrfId::HMAC_MD5, DhGroup::MODP_1024, 86400s}};
  build();
  ping(1);
  link.run(5s);
  EXPECT_EQ(b->engine->stats().no_proposal, 1u);
  EXPECT_EQ(a->engine->stats().no_proposal, 1u);
  EXPECT_TRUE(a->snap().isakmp.empty()) << "NO-PROPOSAL-CHOSEN ends the initiator's attempt";
  EXPECT_TRUE(b->traced("NO-PROPOSAL-CHOSEN"));
}

TEST_F(Pair, ResponderPicksByItsOwnPriorities) {
  // A offers two policies; B has both, but prefers 3DES/SHA (priority 5) over AES (10).
  a_cfg.isakmp = {{10, true, {EncrId::AES_CBC, 256}, PrfId::HMAC_SHA1, DhGroup::MODP_2048, 86400s},
                  {20, true, {EncrId::TRIPLE_DES, 0}, PrfId::HMAC_SHA1, DhGroup::MODP_1024, 86400s}};
  b_cfg.isakmp = {{5, true, {EncrId::TRIPLE_DES, 0}, PrfId::HMAC_SHA1, DhGroup::MODP_1024, 3600s},
                  {10, true, {EncrId::AES_CBC, 256}, PrfId::HMAC_SHA1, DhGroup::MODP_2048, 86400s}};
  build();
  ping(1);
  link.run(5s);
  ASSERT_EQ(a->established(), 1u);
  auto s = a->snap().isakmp[0];
  EXPECT_EQ(s.encr, EncrId::TRIPLE_DES);
  EXPECT_EQ(s.dh, DhGroup::MODP_1024);
  // The responder applies its shorter lifetime and announces it (RESPONDER-LIFETIME); the
  // initiator takes it.
  EXPECT_EQ(b->snap().isakmp[0].lifetime, 3600s);
  EXPECT_EQ(s.lifetime, 3600s);
}

TEST_F(Pair, LongerPhase1LifetimeIsAcceptedWithTheResponderLifetimeAndHonoured) {
  a_cfg.isakmp[0].lifetime = 86400s;
  b_cfg.isakmp[0].lifetime = 3600s;
  build();
  ping(1);
  link.run(5s);
  ASSERT_EQ(a->established(), 1u);
  ASSERT_EQ(b->established(), 1u) << "a longer proposed lifetime is not a reason to refuse";
  EXPECT_EQ(b->snap().isakmp[0].lifetime, 3600s);
  EXPECT_EQ(a->snap().isakmp[0].lifetime, 3600s) << "RESPONDER-LIFETIME applied by the initiator";
  EXPECT_LE(a->snap().isakmp[0].remaining, 3600s);
  EXPECT_TRUE(b->traced("Responder forcing change of IKE rekeying duration from 86400 to 3600 seconds"));
  EXPECT_TRUE(a->traced("Responder forcing change of IKE rekeying duration from 86400 to 3600 seconds"));
  EXPECT_TRUE(a->traced("HDR + HASH (8) + NOTIFY (11) + NONE (0)")) << "the Informational carrying it";
  // The initiator rekeys phase 1 before the responder's SA expires, and traffic still passes.
  link.run(3400s);
  EXPECT_EQ(a->engine->stats().phase1_completed, 2u) << "rekeyed at 90% of 3600 s, not of 86400 s";
  EXPECT_EQ(a->established(), b->established());
  EXPECT_EQ(ping(2), dataplane::FakeDataPlane::SendOutcome::Sent);
  EXPECT_GE(delivered_to_b(), 1u);
}

TEST_F(Pair, Phase1ResponderLifetimeSurvivesALostMainMode6) {
  a_cfg.isakmp[0].lifetime = 86400s;
  b_cfg.isakmp[0].lifetime = 3600s;
  build();
  bool dropped = false;
  link.lose = [&](const Packet& p) {
    auto h = wire::isakmp::peek_header(p.bytes);
    if (!dropped && p.from.address == ip("192.168.1.2") && h && h->exchange == wire::isakmp::ExchangeType::MAIN &&
        (h->flags & 1)) {
      dropped = true;  // MM6, the responder's only encrypted Main Mode message
      return true;
    }
    return false;
  };
  ping(1);
  link.run(30s);
  ASSERT_TRUE(dropped);
  ASSERT_EQ(a->established(), 1u) << "the initiator repeated MM5 and got MM6 again";
  EXPECT_EQ(a->snap().isakmp[0].lifetime, 3600s) << "and the RESPONDER-LIFETIME behind it";
}

TEST_F(Pair, EqualPhase1LifetimesSendNoResponderLifetime) {
  build();
  ping(1);
  link.run(5s);
  ASSERT_EQ(b->established(), 1u);
  EXPECT_FALSE(b->traced("Responder forcing change of IKE"));
  EXPECT_EQ(a->snap().isakmp[0].lifetime, 86400s);
}

TEST_F(Pair, Phase2ProposalMismatchLeavesNoIpsecSa) {
  b_cfg.esp_encr = {{EncrId::TRIPLE_DES, 0}};
  b_cfg.esp_integ = {IntegId::HMAC_MD5_96};
  build();
  ping(1);
  link.run(10s);
  EXPECT_EQ(a->established(), 1u) << "phase 1 is unaffected";
  EXPECT_TRUE(a->snap().ipsec.empty());
  EXPECT_TRUE(b->snap().ipsec.empty());
  EXPECT_EQ(b->engine->stats().no_proposal, 1u);
  EXPECT_EQ(a->engine->stats().no_proposal, 1u) << "the encrypted NO-PROPOSAL-CHOSEN reached A";
  EXPECT_EQ(b->dp.sa_count(), 0u);
}

TEST_F(Pair, PerfectForwardSecrecy) {
  a_cfg.pfs = DhGroup::MODP_1536;
  b_cfg.pfs = DhGroup::MODP_1536;
  build();
  ping(1);
  link.run(5s);
  auto sa = a->snap(), sb = b->snap();
  ASSERT_EQ(sa.ipsec.size(), 1u);
  ASSERT_EQ(sb.ipsec.size(), 1u);
  EXPECT_EQ(sa.ipsec[0].pfs, DhGroup::MODP_1536);
  EXPECT_EQ(sb.ipsec[0].pfs, DhGroup::MODP_1536);
  EXPECT_EQ(delivered_to_b(), 1u) << "KEYMAT with g(qm)^xy agrees on both sides";
}

TEST_F(Pair, ResponderRequiringPfsRefusesAnOfferWithout) {
  b_cfg.pfs = DhGroup::MODP_2048;
  build();
  ping(1);
  link.run(10s);
  EXPECT_TRUE(a->snap().ipsec.empty());
  EXPECT_EQ(b->engine->stats().no_proposal, 1u);
}

TEST_F(Pair, ShorterResponderLifetimeIsAnnounced) {
  a_cfg.esp_lifetime = 28800s;
  b_cfg.esp_lifetime = 3600s;
  build();
  ping(1);
  link.run(5s);
  ASSERT_EQ(a->snap().ipsec.size(), 1u);
  EXPECT_EQ(a->snap().ipsec[0].lifetime, 3600s) << "RESPONDER-LIFETIME applied";
  EXPECT_TRUE(b->traced("Responder forcing change of IPSec rekeying duration from 28800 to 3600 seconds"));
  // The initiator prints it too, as the seed's PIX does when it applies the notify.
  EXPECT_TRUE(a->traced("Responder forcing change of IPSec rekeying duration from 28800 to 3600 seconds"));
}

TEST_F(Pair, EstablishesThroughLossByRetransmission) {
  build();
  int n = 0;
  link.lose = [&](const Packet&) { return ++n % 3 == 1; };  // every third datagram vanishes
  ping(1);
  link.run(60s);
  link.lose = nullptr;
  EXPECT_EQ(a->established(), 1u);
  EXPECT_EQ(b->established(), 1u);
  ASSERT_EQ(a->snap().ipsec.size(), 1u);
  ASSERT_EQ(b->snap().ipsec.size(), 1u);
  EXPECT_GT(a->engine->stats().retransmits, 0u);
  EXPECT_EQ(ping(2), dataplane::FakeDataPlane::SendOutcome::Sent);
  EXPECT_GE(delivered_to_b(), 1u);
}

TEST_F(Pair, EveryLostMainModeAnswerIsRecovered) {
  // Lose the responder's MM2, MM4 and MM6 once each: the initiator's repeats are answered
  // from the responder's stored reply, never processed twice.
  build();
  int from_b = 0;
  link.lose = [&](const Packet& p) {
    auto h = wire::isakmp::peek_header(p.bytes);
    if (!h || h->exchange != wire::isakmp::ExchangeType::MAIN || p.from.address != ip("192.168.1.2")) return false;
    ++from_b;
    return from_b == 1 || from_b == 3 || from_b == 5;
  };
  ping(1);
  link.run(60s);
  EXPECT_EQ(a->established(), 1u);
  EXPECT_EQ(b->established(), 1u);
  EXPECT_EQ(b->snap().isakmp.size(), 1u) << "the repeated MM1 created no second SA";
  EXPECT_EQ(b->engine->stats().duplicates, 3u);
  EXPECT_EQ(a->engine->stats().retransmits, 3u);
  EXPECT_EQ(a->snap().ipsec.size(), 1u);
}

TEST_F(Pair, ATamperedMainMode1FailsAuthentication) {
  // HASH_I covers SAi_b as the responder received it (RFC 2409 5): octets changed on the way,
  // even reserved ones a parser ignores, make the initiator's HASH_I fail at the responder.
  build();
  link.lose = [&](const Packet& p) {
    auto h = wire::isakmp::peek_header(p.bytes);
    if (h && h->exchange == wire::isakmp::ExchangeType::MAIN && h->cookie_r == 0 && p.bytes[16] == 1) {
      auto& bytes = const_cast<Bytes&>(p.bytes);
      bytes[28 + 1] = 0x5a;  // the SA payload's RESERVED octet
      // the proposal's RESERVED octet, after the SA header (4), DOI and situation (8)
      bytes[28 + 12 + 1] = 0xa5;
    }
    return false;
  };
  ping(1);
  link.run(5s);
  EXPECT_EQ(b->established(), 0u);
  EXPECT_EQ(a->established(), 0u);
  EXPECT_EQ(b->engine->stats().auth_failures, 1u);
  EXPECT_TRUE(b->traced("Hash mismatch"));
}

TEST_F(Pair, DuplicatedDatagramsChangeNothing) {
  build();
  std::deque<Packet> copies;
  link.lose = [&](const Packet& p) {
    copies.push_back(p);  // every datagram arrives twice
    return false;
  };
  ping(1);
  for (int i = 0; i < 20; ++i) {
    link.run(100ms);
    auto again = std::move(copies);
    copies.clear();
    auto saved = std::move(link.lose);
    for (auto& p : again) link.queue.push_back(p);
    link.flush();
    link.lose = std::move(saved);
  }
  link.lose = nullptr;
  EXPECT_EQ(a->established(), 1u);
  EXPECT_EQ(b->established(), 1u);
  EXPECT_EQ(a->snap().ipsec.size(), 1u);
  EXPECT_EQ(b->snap().ipsec.size(), 1u);
  EXPECT_GT(b->engine->stats().duplicates, 0u);
  EXPECT_EQ(ping(2), dataplane::FakeDataPlane::SendOutcome::Sent);
  EXPECT_EQ(delivered_to_b(), 2u);
}

TEST_F(Pair, LostQuickMode3IsRecoveredByTheResponderRetransmitting) {
  build();
  bool dropped = false;
  // The first encrypted Quick Mode datagram from A after QM1 is QM3; lose it once.
  int qm_from_a = 0;
  link.lose = [&](const Packet& p) {
    auto h = wire::isakmp::peek_header(p.bytes);
    if (!dropped && h && h->exchange == wire::isakmp::ExchangeType::QUICK && p.from.address == ip("172.16.1.1") && ++qm_from_a == 2) {
      dropped = true;
      return true;
    }
    return false;
  };
  ping(1);
  link.run(30s);
  EXPECT_TRUE(dropped);
  ASSERT_EQ(b->snap().ipsec.size(), 1u);
  EXPECT_EQ(b->dp.sa_count(), 2u) << "inbound and outbound once QM3 arrived again";
  EXPECT_GE(a->engine->stats().duplicates, 1u) << "A answered the repeated QM2 with its QM3";
}

TEST_F(Pair, DeadPeerIsDetectedAndItsSasRemoved) {
  build();
  ping(1);
  link.run(5s);
  ASSERT_EQ(a->snap().ipsec.size(), 1u);
  link.lose = [](const Packet&) { return true; };  // B is gone
  link.run(2min);
  EXPECT_EQ(a->engine->stats().dpd_timeouts, 1u);
  EXPECT_TRUE(a->snap().isakmp.empty());
  EXPECT_TRUE(a->snap().ipsec.empty());
  EXPECT_EQ(a->dp.sa_count(), 0u);
  EXPECT_TRUE(a->traced("DPD: peer 192.168.1.2 not responding"));
}

TEST_F(Pair, DpdAnswersKeepAnIdleTunnelUp) {
  build();
  ping(1);
  link.run(5s);
  link.run(5min);
  EXPECT_EQ(a->engine->stats().dpd_timeouts, 0u);
  EXPECT_EQ(b->engine->stats().dpd_timeouts, 0u);
  EXPECT_EQ(a->established(), 1u);
  EXPECT_TRUE(b->traced("R-U-THERE"));
}

TEST_F(Pair, Phase2AndPhase1RekeyWithoutLosingTraffic) {
  a_cfg.esp_lifetime = 120s;
  b_cfg.esp_lifetime = 120s;
  a_cfg.isakmp[0].lifetime = 600s;
  b_cfg.isakmp[0].lifetime = 600s;
  build();
  ping(0);
  link.run(5s);
  ASSERT_EQ(a->snap().ipsec.size(), 1u);
  std::uint32_t first_spi = a->snap().ipsec[0].spi_out;
  delivered_to_b();
  std::size_t sent = 0, got = 0;
  std::set<std::uint32_t> spis;
  for (int i = 1; i <= 900; ++i) {  // one ping a second for 15 minutes
    if (ping(static_cast<std::uint16_t>(i)) != dataplane::FakeDataPlane::SendOutcome::Dropped) ++sent;
    link.run(1s);
    std::size_t d = delivered_to_b();
    got += d;
    if (d == 0) ADD_FAILURE() << "ping " << i << " lost; A SAs " << a->snap().ipsec.size() << " B SAs " << b->snap().ipsec.size() << " last: " << a->trace_lines.back();
    for (const auto& s : a->snap().ipsec) spis.insert(s.spi_out);
  }
  EXPECT_EQ(got, sent) << "no ping lost across the rekeys";
  EXPECT_GE(spis.size(), 6u) << "a new IPsec SA about every 108 s";
  EXPECT_FALSE(spis.count(first_spi) && a->snap().ipsec.size() == 1 && a->snap().ipsec[0].spi_out == first_spi);
  EXPECT_LE(a->snap().ipsec.size(), 2u) << "old SAs are deleted";
  EXPECT_LE(b->snap().ipsec.size(), 2u);
  EXPECT_GE(a->engine->stats().phase1_completed, 2u) << "phase 1 rekeyed before its 600 s";
  EXPECT_EQ(a->established(), 1u);
  EXPECT_TRUE(a->traced("Starting P1 rekey"));
}

TEST_F(Pair, NatTraversalFloatsTo4500AndEncapsulatesEsp) {
  // A sits behind a NAT (its 10.0.0.1 leaves as 172.16.1.1); B, as in the seed, knows neither
  // address: dynamic crypto map and a wildcard key.
  a_cfg.outside = "10.0.0.1";
  b_cfg.peer = nullptr;
  build();
  link.nat = std::make_pair(ip("10.0.0.1"), ip("172.16.1.1"));
  ping(1);
  link.run(5s);
  ASSERT_EQ(a->established(), 1u);
  ASSERT_EQ(b->established(), 1u);
  auto sa = a->snap(), sb = b->snap();
  EXPECT_TRUE(sa.isakmp[0].nat_local);
  EXPECT_TRUE(sb.isakmp[0].nat_remote);
  EXPECT_EQ(sa.isakmp[0].remote.port, 4500);
  EXPECT_EQ(sb.isakmp[0].remote.port, 5500) << "B answers where the NAT put A's port 4500";
  ASSERT_EQ(sa.ipsec.size(), 1u);
  ASSERT_EQ(sb.ipsec.size(), 1u);
  EXPECT_TRUE(sa.ipsec[0].nat_t);
  const auto* out = b->dp.sa(sb.ipsec[0].spi_out, dataplane::Direction::Outbound);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->encap_local_port, 4500);
  EXPECT_EQ(out->encap_remote_port, 5500);
  EXPECT_EQ(delivered_to_b(), 1u);
  link.run(1min);
  EXPECT_GE(a->keepalives, 2) << "NAT keepalives from the side behind the NAT";
  EXPECT_EQ(b->keepalives, 0);
}

TEST_F(Pair, GarbageAndTruncatedDatagramsAreDroppedQuietly) {
  build();
  ping(1);
  link.run(5s);
  ASSERT_EQ(b->established(), 1u);
  TestRandom r(5);
  for (int i = 0; i < 300; ++i) {
    Bytes junk(static_cast<std::size_t>(r.u32() % 200));
    r.fill(junk);
    if (junk.size() >= 28 && i % 2 == 0) {
      junk[17] = 0x10;  // ISAKMP 1.0
      store_be32(junk.data() + 24, static_cast<std::uint32_t>(junk.size()));
    }
    b->engine->on_datagram({ip("192.168.1.2"), 500}, {ip("172.16.1.1"), 500}, junk, link.now);
  }
  EXPECT_GT(b->engine->stats().decode_errors, 0u);
  EXPECT_EQ(b->established(), 1u) << "nothing a forger sends without the keys changes the SA";
  EXPECT_EQ(ping(2), dataplane::FakeDataPlane::SendOutcome::Sent);
  EXPECT_GE(delivered_to_b(), 1u);
}

TEST_F(Pair, AggressiveModeEstablishesAndTrafficPasses) {
  a_options.aggressive = true;
  build();
  ping(1);
  link.run(5s);
  ASSERT_EQ(a->established(), 1u);
  ASSERT_EQ(b->established(), 1u);
  ASSERT_EQ(a->snap().ipsec.size(), 1u);
  EXPECT_EQ(a->snap().ipsec[0].spi_out, b->snap().ipsec[0].spi_in);
  EXPECT_EQ(delivered_to_b(), 1u) << "Quick Mode keyed from the Aggressive Mode SA on both sides";
  EXPECT_TRUE(a->traced("Old State = IKE_READY New State = IKE_I_AM1"));
  EXPECT_TRUE(b->traced("Old State = IKE_R_AM1 New State = IKE_R_AM2"));
  EXPECT_TRUE(a->traced("HDR + SA (1) + KE (4) + NONCE (10) + ID (5) + VENDOR (13)"));
  EXPECT_TRUE(b->traced("HDR + HASH (8) + NONE (0)")) << "AM3, decrypted";
}

TEST_F(Pair, AggressiveModeWrongKeyFailsAtTheInitiator) {
  a_options.aggressive = true;
  b_cfg.psk = "wrong";
  build();
  ping(1);
  link.run(2min);
  EXPECT_EQ(a->engine->stats().auth_failures, 1u) << "HASH_R in AM2 does not verify";
  EXPECT_EQ(a->established(), 0u);
  EXPECT_EQ(b->established(), 0u);
  EXPECT_TRUE(b->snap().isakmp.empty()) << "the responder's half-open SA times out";
  EXPECT_EQ(b->dp.sa_count(), 0u);
}

TEST_F(Pair, AggressiveModeRecoversALostThirdMessage) {
  a_options.aggressive = true;
  build();
  bool dropped = false;
  link.lose = [&](const Packet& p) {
    auto h = wire::isakmp::peek_header(p.bytes);
    if (!dropped && h && h->exchange == wire::isakmp::ExchangeType::AGGRESSIVE && (h->flags & 1)) {
      dropped = true;  // AM3, the only encrypted Aggressive Mode message
      return true;
    }
    return false;
  };
  ping(1);
  link.run(30s);
  EXPECT_TRUE(dropped);
  EXPECT_EQ(b->established(), 1u) << "the responder repeated AM2 and got AM3 again";
  EXPECT_GE(a->engine->stats().duplicates, 1u);
  EXPECT_EQ(b->snap().ipsec.size(), 1u);
}

TEST_F(Pair, AggressiveModeThroughNat) {
  a_options.aggressive = true;
  a_cfg.outside = "10.0.0.1";
  b_cfg.peer = nullptr;
  build();
  link.nat = std::make_pair(ip("10.0.0.1"), ip("172.16.1.1"));
  ping(1);
  link.run(5s);
  ASSERT_EQ(b->established(), 1u);
  EXPECT_TRUE(b->snap().isakmp[0].nat_remote);
  EXPECT_TRUE(a->snap().isakmp[0].nat_local);
  ASSERT_EQ(b->snap().ipsec.size(), 1u);
  EXPECT_TRUE(b->snap().ipsec[0].nat_t);
  EXPECT_EQ(delivered_to_b(), 1u);
}

TEST_F(Pair, CryptoMapPhase1ModeAggressiveInitiatesAggressiveModeAndRekeysInIt) {
  a_cfg.aggressive = true;  // `crypto map outside_map 10 set ikev1 phase1-mode aggressive`
  a_cfg.isakmp[0].lifetime = b_cfg.isakmp[0].lifetime = 600s;
  build();
  ping(1);
  link.run(5s);
  ASSERT_EQ(a->established(), 1u);
  EXPECT_TRUE(a->traced("Old State = IKE_READY New State = IKE_I_AM1"));
  EXPECT_FALSE(a->traced("IKE_I_MM1"));
  EXPECT_EQ(b->snap().isakmp[0].state, "QM_IDLE");
  EXPECT_EQ(delivered_to_b(), 1u);
  link.run(600s);
  EXPECT_EQ(a->engine->stats().phase1_completed, 2u) << "phase-1 rekey";
  EXPECT_FALSE(a->traced("IKE_I_MM1")) << "the rekey is Aggressive Mode too";
  EXPECT_EQ(ping(2), dataplane::FakeDataPlane::SendOutcome::Sent);
  EXPECT_GE(delivered_to_b(), 1u);
}

TEST_F(Pair, AggressiveModeGroupFromTheCryptoMapIsTheOneOffered) {
  // A's policy says group 14; `set ikev1 phase1-mode aggressive group5` makes AM1 offer group 5.
  a_cfg.aggressive = true;
  a_cfg.aggressive_group = DhGroup::MODP_1536;
  b_cfg.isakmp = {{10, true, {EncrId::AES_CBC, 256}, PrfId::HMAC_SHA1, DhGroup::MODP_1536, 86400s}};
  build();
  ping(1);
  link.run(5s);
  ASSERT_EQ(a->established(), 1u);
  EXPECT_EQ(a->snap().isakmp[0].dh, DhGroup::MODP_1536);
  EXPECT_EQ(b->snap().isakmp[0].dh, DhGroup::MODP_1536);
  EXPECT_EQ(delivered_to_b(), 1u);
}

TEST_F(Pair, MainModeEntryDoesNotUseAggressiveMode) {
  build();
  ping(1);
  link.run(5s);
  ASSERT_EQ(a->established(), 1u);
  EXPECT_TRUE(a->traced("Old State = IKE_READY New State = IKE_I_MM1"));
  EXPECT_FALSE(a->traced("IKE_I_AM1"));
}

TEST_F(Pair, ClearAndShutdownSendDeletes) {
  build();
  ping(1);
  link.run(5s);
  ASSERT_EQ(b->snap().ipsec.size(), 1u);
  EXPECT_EQ(a->engine->clear_ipsec_sas(std::nullopt, link.now), 1u);
  link.run(1s);
  EXPECT_TRUE(b->snap().ipsec.empty()) << "B removed the SA on A's DELETE";
  EXPECT_EQ(b->dp.sa_count(), 0u);
  a->engine->shutdown(link.now);
  link.run(1s);
  EXPECT_TRUE(b->snap().isakmp.empty()) << "ISAKMP DELETE";
  EXPECT_TRUE(a->snap().isakmp.empty());
  EXPECT_TRUE(a->dp.spd().policies().empty());
}

}  // namespace

namespace {

// Hands `p` to `to` as if it came over the link and returns how many datagrams `to` sent back.
std::size_t answers_to(Link& link, Gateway& to, const Packet& p) {
  std::size_t before = link.queue.size();
  to.engine->on_datagram(p.to, p.from, p.bytes, link.now);
  std::size_t n = link.queue.size() - before;
  link.queue.clear();
  return n;
}

}  // namespace

TEST_F(Pair, OnlyAnIdenticalRepeatOfMainMode1IsAnsweredAgain) {
  // B's MM2 is answered again when A repeats its MM1 (our answer was lost), but a Main Mode 1
  // with A's cookie and other octets, which anyone who saw the cookie can send from A's
  // address, gets nothing: it must not make B send to A.
  build();
  std::optional<Packet> mm1;
  link.lose = [&](const Packet& p) {
    if (p.from.address != a->address) return false;
    if (!mm1) {
      mm1 = p;
      return false;
    }
    return true;  // A's MM3 never arrives: B stays waiting with its MM2
  };
  ping(1);
  link.run(1s);
  ASSERT_TRUE(mm1);
  link.queue.clear();
  Packet other = *mm1;
  other.bytes.back() ^= 0x01;  // inside the last vendor ID
  const auto& s = b->engine->stats();
  auto drops = s.in_drops;
  EXPECT_EQ(answers_to(link, *b, other), 0u);
  EXPECT_EQ(s.in_drops, drops + 1);
  EXPECT_EQ(s.duplicates, 0u);
  EXPECT_TRUE(b->traced("Mode 1 with the cookie of a negotiation but other content"));
  EXPECT_EQ(answers_to(link, *b, *mm1), 1u);
  EXPECT_EQ(s.duplicates, 1u);
  EXPECT_EQ(b->snap().isakmp.size(), 1u);
}

TEST_F(Pair, AMainMode1FloodIsBoundedByTheHalfOpenLimitAndTheTunnelStays) {
  b_cfg.peer = nullptr;  // a dynamic map with a wildcard key: every address may negotiate
  b_options.half_open_limit = 5;
  build();
  std::optional<Packet> mm1;
  link.lose = [&](const Packet& p) {
    if (!mm1 && p.from.address == a->address) mm1 = p;
    return false;
  };
  ping(1);
  link.run(5s);
  ASSERT_EQ(b->established(), 1u);
  ASSERT_TRUE(mm1);
  ASSERT_EQ(delivered_to_b(), 1u);  // the ping that brought the tunnel up
  link.lose = nullptr;
  for (std::uint32_t i = 0; i < 10; ++i) {
    Packet p = *mm1;
    p.from = {IpAddress::v4(ip("172.16.1.100").v4_value() + i), 500};
    store_be64(p.bytes.data(), 0x1000 + i);  // CKY-I
    b->engine->on_datagram(p.to, p.from, p.bytes, link.now);
  }
  link.queue.clear();
  const auto& s = b->engine->stats();
  EXPECT_EQ(s.half_open, 5u);
  EXPECT_EQ(s.capacity_fails, 5u);
  EXPECT_EQ(b->snap().isakmp.size(), 6u);
  EXPECT_EQ(ping(2), dataplane::FakeDataPlane::SendOutcome::Sent);
  EXPECT_EQ(delivered_to_b(), 1u);
  // Nobody completes them: they go after the half-open timeout, counted as responder failures.
  link.run(65s);
  EXPECT_EQ(s.half_open, 0u);
  EXPECT_EQ(s.responder_fails, 5u);
  EXPECT_EQ(b->established(), 1u);
  EXPECT_EQ(b->snap().isakmp.size(), 1u);
  EXPECT_EQ(ping(3), dataplane::FakeDataPlane::SendOutcome::Sent);
  EXPECT_EQ(delivered_to_b(), 1u);
  // The ASA's counters of the exchange: packets both ways, one Quick Mode answered.
  EXPECT_GT(s.in_packets, 10u);
  EXPECT_GT(s.out_packets, 0u);
  EXPECT_EQ(s.in_p2, 1u);
}

TEST_F(Pair, AReplayedQuickMode1NeverStartsASecondExchange) {
  build();
  std::optional<Packet> qm1;
  link.lose = [&](const Packet& p) {
    auto h = wire::isakmp::peek_header(p.bytes);
    if (!qm1 && h && h->exchange == wire::isakmp::ExchangeType::QUICK && p.from.address == a->address) qm1 = p;
    return false;
  };
  ping(1);
  link.run(5s);
  ASSERT_TRUE(qm1);
  ASSERT_EQ(b->snap().ipsec.size(), 1u);
  const auto& s = b->engine->stats();
  // While B still holds the finished exchange (QM3 came, so A has its QM2): dropped.
  auto drops = s.in_drops;
  EXPECT_EQ(answers_to(link, *b, *qm1), 0u);
  EXPECT_EQ(s.in_drops, drops + 1);
  // Later its HASH(1) still verifies, but the Message ID is spent: dropped, nothing created.
  link.run(40s);
  auto invalid = s.in_p2_invalid;
  EXPECT_EQ(answers_to(link, *b, *qm1), 0u);
  EXPECT_EQ(s.in_p2_invalid, invalid + 1);
  EXPECT_EQ(s.in_p2, 1u);
  EXPECT_TRUE(b->traced("replay dropped"));
  EXPECT_EQ(b->snap().ipsec.size(), 1u);
  EXPECT_EQ(b->dp.sa_count(), 2u);
}

TEST_F(Pair, ARepeatedQuickMode3IsAnsweredByNothingSoNoCopyCanStartALoop) {
  // The initiator answers a repeated QM2 with QM3 (its QM3 was lost). Were the responder to
  // answer a repeated QM3 with QM2, one copy of either would bounce between the two for good.
  build();
  std::vector<Packet> quick;
  link.lose = [&](const Packet& p) {
    auto h = wire::isakmp::peek_header(p.bytes);
    if (h && h->exchange == wire::isakmp::ExchangeType::QUICK) quick.push_back(p);
    return false;
  };
  ping(1);
  link.run(5s);
  ASSERT_GE(quick.size(), 3u);  // QM1, QM2, QM3 of A's Quick Mode
  link.lose = nullptr;
  const Packet& qm2 = quick[1];
  const Packet& qm3 = quick[2];
  ASSERT_EQ(qm2.from.address, b->address);
  ASSERT_EQ(qm3.from.address, a->address);
  EXPECT_EQ(answers_to(link, *b, qm3), 0u);
  EXPECT_EQ(answers_to(link, *a, qm2), 1u);  // QM3 again
  // And the whole link stays quiet: deliver a copy of QM2 and run.
  std::size_t carried = link.carried;
  link.queue.push_back(qm2);
  link.run(2s);
  EXPECT_LE(link.carried - carried, 3u);
  EXPECT_EQ(a->snap().ipsec.size(), 1u);
  EXPECT_EQ(b->snap().ipsec.size(), 1u);
}
