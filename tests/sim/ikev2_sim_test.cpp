// Two IKEv2 engines back to back in one process: a simulated clock, an in-memory link that can
// lose, duplicate and reorder datagrams, and two fake data planes that carry real ESP between
// them. The scenario is the seed's ASA1/ASA2 tunnel (asa-ikev2-l2l-psk-debug).
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <set>

#include "common/reqid_pool.h"
#include "dataplane/fake.h"
#include "ikev2/engine.h"
#include "wire/ikev2_codec.h"

using namespace ikegate;
using namespace std::chrono_literals;

namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

policy::Selector host_pair(const char* src, const char* dst) {
  policy::Selector s;
  s.src_start = s.src_end = ip(src);
  s.dst_start = s.dst_end = ip(dst);
  return s;
}

struct Side {
  const char* outside;
  const char* peer;
  std::vector<std::pair<const char*, const char*>> acl;  // src host, dst host
};

std::shared_ptr<policy::Policy> make_policy(const Side& side, const char* local_key, const char* remote_key) {
  auto p = std::make_shared<policy::Policy>();
  policy::IkeProposal ike;
  ike.priority = 1;
  ike.encrs = {{EncrId::AES_CBC, 256}};
  ike.integs = {IntegId::HMAC_SHA1_96};
  ike.prfs = {PrfId::HMAC_SHA1};
  ike.groups = {DhGroup::MODP_1024};
  p->ike_proposals.push_back(ike);
  policy::CryptoMapEntry e;
  e.map = "outside_map";
  e.seq = 1;
  e.acl_name = "l2l_list";
  for (auto [s, d] : side.acl) {
    policy::AclEntry a;
    a.text = std::string("access-list l2l_list extended permit ip host ") + s + " host " + d;
    a.selector = host_pair(s, d);
    e.acl.push_back(a);
  }
  e.peers.push_back(ip(side.peer));
  policy::EspProposal esp;
  esp.name = "AES256";
  esp.encrs = {{EncrId::AES_CBC, 256}};
  esp.integs = {IntegId::HMAC_SHA1_96, IntegId::HMAC_MD5_96};
  e.proposals.push_back(esp);
  e.local_address = ip(side.outside);
  e.interface = "outside";
  p->map_entries.push_back(e);
  policy::PeerAuth pa;
  pa.name = side.peer;
  pa.address = ip(side.peer);
  pa.local_psk = SecretBytes(as_bytes(local_key));
  pa.remote_psk = SecretBytes(as_bytes(remote_key));
  p->peers.push_back(std::move(pa));
  p->ikev2_addresses.push_back(ip(side.outside));
  return p;
}

// A minimal IPv4/ICMP echo request (the data plane looks at addresses and protocol only).
Bytes icmp_packet(const char* src, const char* dst, std::uint16_t seq) {
  Bytes b(28, 0);
  b[0] = 0x45;
  store_be16(&b[2], 28);
  b[8] = 64;
  b[9] = 1;  // ICMP
  store_be32(&b[12], ip(src).v4_value());
  store_be32(&b[16], ip(dst).v4_value());
  b[20] = 8;  // echo request
  store_be16(&b[26], seq);
  return b;
}

struct Datagram {
  Endpoint from, to;
  Bytes bytes;
};

struct Network;

struct Node : ikev2::Host {
  Network* net = nullptr;
  std::string name;
  IpAddress address;
  std::shared_ptr<policy::Policy> policy;
  dataplane::FakeDataPlane dp;
  TestRandom random;
  std::unique_ptr<ikev2::Engine> engine;
  std::vector<std::string> lines;

  Node(Network* n, std::string nm, std::shared_ptr<policy::Policy> p, std::uint64_t seed)
      : net(n), name(std::move(nm)), address(p->ikev2_addresses.front()), policy(std::move(p)), dp(seed), random(seed) {
    engine = std::make_unique<ikev2::Engine>(policy, dp, random, *this);
    EXPECT_TRUE(engine->install_policies());
  }
  void send(const Endpoint& local, const Endpoint& remote, ByteView datagram) override;
  std::vector<std::size_t> sent_sizes;
  std::vector<std::pair<std::uint32_t, std::uint16_t>> traced_encrypted;  // header, ENCR length
  void trace_event(const ikev2::TraceEvent& e) {
    if (e.kind == ikev2::TraceEvent::Kind::Packet && e.sent && e.message->encrypted)
      traced_encrypted.emplace_back(e.message->header.length, e.message->sk.length);
    if (e.kind == ikev2::TraceEvent::Kind::SmTrace)
      lines.push_back(std::string(e.state) + " " + std::string(e.event));
    else if (e.kind == ikev2::TraceEvent::Kind::Note)
      lines.push_back(e.text);
  }
  void trace(const ikev2::TraceEvent& e) override { trace_event(e); }
  bool offload(std::function<void()> work, std::function<void()> done) override;
  int keepalives = 0;
  void send_keepalive(const Endpoint&, const Endpoint&) override { ++keepalives; }
  bool tracing(ikev2::Facility, int) const override { return true; }
  bool traced(const std::string& needle) const {
    for (const auto& l : lines)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }
  std::size_t children() const {
    std::size_t n = 0;
    for (const auto& sa : engine->snapshot(TimePoint{})) n += sa.children.size();
    return n;
  }
};

struct Network {
  TimePoint now{std::chrono::hours(1)};
  std::deque<Datagram> in_flight;
  std::vector<Node*> nodes;
  std::function<bool(const Datagram&)> drop;  // returns true to lose the datagram
  bool duplicate_all = false;
  bool defer_crypto = false;  // run offloaded DH work only once the link is idle
  // A NAT in front of `inside`: its datagrams leave from `outside` with port+1 (500 -> 501,
  // 4500 -> 4501), and answers to `outside` are mapped back.
  std::optional<std::pair<IpAddress, IpAddress>> nat;  // inside, outside
  std::uint16_t nat_shift = 1;  // the port the NAT maps to: inside port + nat_shift
  std::deque<std::pair<std::function<void()>, std::function<void()>>> jobs;
  std::size_t delivered = 0;
  bool index_failed = false;

  // After every step each engine's lookup indices must agree with its SA table: a stale index
  // would send a CHILD SA to the wrong IKE SA or start a negotiation that exists already.
  void check_indices() {
    if (index_failed) return;
    for (Node* n : nodes)
      if (auto r = n->engine->check_indices(); !r) {
        index_failed = true;
        ADD_FAILURE() << n->name << ": stale lookup index: " << r.error().message;
        return;
      }
  }

  void run_jobs() {
    while (!jobs.empty()) {
      auto job = std::move(jobs.front());
      jobs.pop_front();
      job.first();
      job.second();
      check_indices();
    }
  }

  void deliver_all() {
    for (int guard = 0; guard < 10000 && !in_flight.empty(); ++guard) {
      Datagram d = std::move(in_flight.front());
      in_flight.pop_front();
      if (drop && drop(d)) continue;
      if (nat && d.from.address == nat->first) {
        d.from = Endpoint{nat->second, static_cast<std::uint16_t>(d.from.port + nat_shift)};
      } else if (nat && d.to.address == nat->second) {
        d.to = Endpoint{nat->first, static_cast<std::uint16_t>(d.to.port - nat_shift)};
      }
      for (Node* n : nodes)
        if (n->address == d.to.address) {
          ++delivered;
          n->engine->on_datagram(d.to, d.from, d.bytes, now);
          if (duplicate_all) n->engine->on_datagram(d.to, d.from, d.bytes, now);
          check_indices();
        }
      pump_events();
    }
  }
  void pump_events() {
    for (Node* n : nodes)
      for (const auto& ev : n->dp.drain_events()) {
        n->engine->on_dataplane_event(ev, now);
        check_indices();
      }
  }
  // Runs until nothing is in flight and no timer is due before `until`.
  void run_for(Duration span) {
    TimePoint until = now + span;
    for (int guard = 0; guard < 100000; ++guard) {
      pump_events();
      deliver_all();
      if (!jobs.empty()) {
        run_jobs();
        continue;
      }
      std::optional<TimePoint> next;
      for (Node* n : nodes)
        if (auto d = n->engine->next_deadline(); d && (!next || *d < *next)) next = d;
      if (!next || *next > until) break;
      now = std::max(now, *next);
      for (Node* n : nodes) n->engine->on_timer(now);
      check_indices();
    }
    now = std::max(now, until);
  }
};

bool Node::offload(std::function<void()> work, std::function<void()> done) {
  if (!net->defer_crypto) return ikev2::Host::offload(std::move(work), std::move(done));
  net->jobs.emplace_back(std::move(work), std::move(done));
  return true;
}

void Node::send(const Endpoint& local, const Endpoint& remote, ByteView datagram) {
  sent_sizes.push_back(datagram.size());
  net->in_flight.push_back({local, remote, Bytes(datagram.begin(), datagram.end())});
}

const Side kAsa1{"10.0.0.1", "10.0.0.2", {{"192.168.1.1", "192.168.2.99"}, {"192.168.1.12", "192.168.2.99"}}};
const Side kAsa2{"10.0.0.2", "10.0.0.1", {{"192.168.2.99", "192.168.1.1"}, {"192.168.2.99", "192.168.1.12"}}};

struct Pair {
  Network net;
  Node a, b;
  Pair(std::shared_ptr<policy::Policy> pa, std::shared_ptr<policy::Policy> pb)
      : a(&net, "ASA1", std::move(pa), 11), b(&net, "ASA2", std::move(pb), 22) {
    net.nodes = {&a, &b};
    a.dp.connect(b.dp);
  }
  Pair() : Pair(make_policy(kAsa1, "cisco123", "cisco123"), make_policy(kAsa2, "cisco123", "cisco123")) {}
};

// A fresh engine on `n` that gives every CHILD SA an IKE SA of its own (the load generator's).
void unshare_ike_sas(Node& n) {
  ikev2::EngineOptions o;
  o.share_ike_sa = false;
  n.engine.reset();
  n.engine = std::make_unique<ikev2::Engine>(n.policy, n.dp, n.random, n, o);
}

}  // namespace

TEST(Ikev2Sim, TrafficBringsUpTheSeedTunnelAndTheQueuedPacketIsDelivered) {
  Pair p;
  auto pkt = icmp_packet("192.168.1.1", "192.168.2.99", 1);
  EXPECT_EQ(p.a.dp.send(pkt), dataplane::FakeDataPlane::SendOutcome::Queued);
  p.net.run_for(5s);

  auto sa_a = p.a.engine->snapshot(p.net.now);
  auto sa_b = p.b.engine->snapshot(p.net.now);
  ASSERT_EQ(sa_a.size(), 1u);
  ASSERT_EQ(sa_b.size(), 1u);
  EXPECT_EQ(sa_a[0].status, "READY");
  EXPECT_TRUE(sa_a[0].initiator);
  EXPECT_FALSE(sa_b[0].initiator);
  EXPECT_EQ(sa_a[0].remote_id, "10.0.0.2");
  EXPECT_EQ(sa_b[0].remote_id, "10.0.0.1");
  EXPECT_EQ(sa_a[0].encr, EncrId::AES_CBC);
  EXPECT_EQ(sa_a[0].key_bits, 256);
  ASSERT_EQ(sa_a[0].children.size(), 1u);
  ASSERT_EQ(sa_b[0].children.size(), 1u);
  // Each side's outbound SPI is the other's inbound SPI.
  EXPECT_EQ(sa_a[0].children[0].spi_out, sa_b[0].children[0].spi_in);
  EXPECT_EQ(sa_a[0].children[0].spi_in, sa_b[0].children[0].spi_out);
  // The triggering packet was queued, then delivered through ESP.
  auto got = p.b.dp.take_delivered();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], pkt);
  // And the way back works with the keys the responder derived.
  EXPECT_EQ(p.b.dp.send(icmp_packet("192.168.2.99", "192.168.1.1", 1)), dataplane::FakeDataPlane::SendOutcome::Sent);
  EXPECT_EQ(p.a.dp.take_delivered().size(), 1u);
  // The seed's state machine milestones appear in the trace.
  EXPECT_TRUE(p.a.traced("IDLE EV_INIT_SA"));
  EXPECT_TRUE(p.b.traced("R_WAIT_AUTH EV_RECV_AUTH"));
  EXPECT_TRUE(p.a.traced("CONNECTION STATUS: UP"));
}

TEST(Ikev2Sim, SecondAclLineGetsItsOwnChildSaByCreateChildSa) {
  Pair p;
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  EXPECT_EQ(p.a.dp.send(icmp_packet("192.168.1.12", "192.168.2.99", 1)), dataplane::FakeDataPlane::SendOutcome::Queued);
  p.net.run_for(5s);
  EXPECT_EQ(p.a.engine->ike_sa_count(), 1u);
  EXPECT_EQ(p.a.children(), 2u);
  EXPECT_EQ(p.b.children(), 2u);
  EXPECT_TRUE(p.a.traced("CHILD_I_IPSEC EV_BLD_MSG"));
  EXPECT_TRUE(p.b.traced("READY EV_RECV_CREATE_CHILD"));
  EXPECT_EQ(p.b.dp.take_delivered().size(), 2u);
}

TEST(Ikev2Sim, WrongPreSharedKeyFailsOnBothSidesWithNoSa) {
  Pair p(make_policy(kAsa1, "cisco123", "cisco123"), make_policy(kAsa2, "wrong-key", "cisco123"));
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  EXPECT_EQ(p.a.engine->ike_sa_count(), 0u);
  EXPECT_EQ(p.b.engine->ike_sa_count(), 0u);
  EXPECT_EQ(p.b.engine->stats().auth_failures, 1u);
  EXPECT_EQ(p.a.engine->stats().auth_failures, 1u);
  EXPECT_TRUE(p.b.traced("AUTHENTICATION_FAILED"));
  EXPECT_TRUE(p.a.traced("AUTHENTICATION_FAILED"));
  EXPECT_EQ(p.a.dp.sa_count(), 0u);
  EXPECT_EQ(p.b.dp.sa_count(), 0u);
}

TEST(Ikev2Sim, WrongKeyOnTheInitiatorIsCaughtByTheResponder) {
  Pair p(make_policy(kAsa1, "wrong-key", "cisco123"), make_policy(kAsa2, "cisco123", "cisco123"));
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  EXPECT_EQ(p.a.engine->ike_sa_count(), 0u);
  EXPECT_EQ(p.b.engine->ike_sa_count(), 0u);
  EXPECT_EQ(p.a.engine->stats().auth_failures, 1u);
  EXPECT_EQ(p.b.engine->stats().auth_failures, 1u);
  EXPECT_TRUE(p.b.traced("AUTH payload does not match the pre-shared key"));
  EXPECT_TRUE(p.a.traced("answered AUTHENTICATION_FAILED"));
}

TEST(Ikev2Sim, ProposalMismatchIsNoProposalChosen) {
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pb->ike_proposals[0].encrs = {{EncrId::AES_CBC, 128}};
  Pair p(make_policy(kAsa1, "cisco123", "cisco123"), pb);
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  EXPECT_EQ(p.a.engine->ike_sa_count(), 0u);
  EXPECT_EQ(p.b.engine->ike_sa_count(), 0u);
  EXPECT_EQ(p.b.engine->stats().no_proposal, 1u);
  EXPECT_TRUE(p.a.traced("NO_PROPOSAL_CHOSEN"));
}

TEST(Ikev2Sim, EspProposalMismatchLeavesIkeSaUpWithoutChild) {
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pb->map_entries[0].proposals[0].encrs = {{EncrId::AES_GCM_16, 128}};
  Pair p(make_policy(kAsa1, "cisco123", "cisco123"), pb);
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  EXPECT_EQ(p.a.engine->ike_sa_count(), 1u);
  EXPECT_EQ(p.a.children(), 0u);
  EXPECT_TRUE(p.a.traced("NO_PROPOSAL_CHOSEN"));
}

TEST(Ikev2Sim, SelectorsThatMatchNoAclAreTsUnacceptable) {
  Side other = kAsa2;
  other.acl = {{"192.168.2.99", "192.168.1.200"}};
  Pair p(make_policy(kAsa1, "cisco123", "cisco123"), make_policy(other, "cisco123", "cisco123"));
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  EXPECT_EQ(p.a.children(), 0u);
  EXPECT_EQ(p.b.engine->stats().ts_unacceptable, 1u);
  EXPECT_TRUE(p.a.traced("TS_UNACCEPTABLE"));
}

TEST(Ikev2Sim, ConvergesOverALossyDuplicatingLink) {
  Pair p;
  int n = 0;
  p.net.drop = [&](const Datagram&) { return (++n % 3) == 1; };  // lose every third datagram
  p.net.duplicate_all = true;
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(60s);
  EXPECT_EQ(p.a.children(), 1u);
  EXPECT_EQ(p.b.children(), 1u);
  EXPECT_GT(p.a.engine->stats().retransmits + p.b.engine->stats().retransmits, 0u);
  EXPECT_GT(p.a.engine->stats().duplicate_requests + p.b.engine->stats().duplicate_requests, 0u);
  EXPECT_EQ(p.b.dp.take_delivered().size(), 1u);
}

TEST(Ikev2Sim, ConvergesWhenDiffieHellmanRunsLaterOnWorkers) {
  Pair p;
  p.net.defer_crypto = true;
  p.net.duplicate_all = true;  // retransmissions arrive while the DH work is still pending
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(30s);
  EXPECT_EQ(p.a.children(), 1u);
  EXPECT_EQ(p.b.children(), 1u);
  EXPECT_EQ(p.a.engine->ike_sa_count(), 1u);
  EXPECT_EQ(p.b.engine->ike_sa_count(), 1u);
  EXPECT_EQ(p.b.dp.take_delivered().size(), 1u);
}

TEST(Ikev2Sim, NatBetweenThePeersIsDetectedAndIkeAndEspFloatTo4500) {
  Pair p;
  p.net.nat = std::pair{ip("10.0.0.1"), ip("10.0.0.100")};
  auto pb = p.b.policy;
  // ASA2 knows its peer by the NAT's public address.
  pb->peers[0].address = ip("10.0.0.100");
  pb->map_entries[0].peers = {ip("10.0.0.100")};
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  auto a = p.a.engine->snapshot(p.net.now);
  auto b = p.b.engine->snapshot(p.net.now);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(a[0].nat_local);    // ASA1 sees that it is behind a NAT
  EXPECT_TRUE(b[0].nat_remote);   // ASA2 sees its peer behind one
  EXPECT_EQ(a[0].local.port, 4500);
  EXPECT_EQ(a[0].remote.port, 4500);
  EXPECT_EQ(b[0].local.port, 4500);
  EXPECT_EQ(b[0].remote, (Endpoint{ip("10.0.0.100"), 4501}));  // the NAT's mapping of 4500
  ASSERT_EQ(b[0].children.size(), 1u);
  const auto* out = p.b.dp.sa(b[0].children[0].spi_out, dataplane::Direction::Outbound);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->encap_local_port, 4500);
  EXPECT_EQ(out->encap_remote_port, 4501);
  EXPECT_EQ(p.b.dp.take_delivered().size(), 1u);
  // Only the side behind the NAT keeps the mapping alive, every 20 s (RFC 3948 2.3).
  p.net.run_for(65s);
  EXPECT_GE(p.a.keepalives, 3);
  EXPECT_EQ(p.b.keepalives, 0);
}

TEST(Ikev2Sim, PfsAppliesToCreateChildSaButNotToTheIkeAuthChild) {
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pa->map_entries[0].pfs = DhGroup::MODP_2048;
  pb->map_entries[0].pfs = DhGroup::MODP_2048;
  Pair p(pa, pb);
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  p.a.dp.send(icmp_packet("192.168.1.12", "192.168.2.99", 1));
  p.net.run_for(5s);
  auto a = p.a.engine->snapshot(p.net.now);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(a[0].children.size(), 2u);
  int with_pfs = 0;
  for (const auto& c : a[0].children) with_pfs += c.pfs == DhGroup::MODP_2048;
  EXPECT_EQ(with_pfs, 1);  // RFC 7296 1.2: no KE in IKE_AUTH
  EXPECT_EQ(p.b.children(), 2u);
  EXPECT_EQ(p.b.dp.take_delivered().size(), 2u);
}

TEST(Ikev2Sim, InvalidKePayloadMakesTheInitiatorRetryWithTheResponderGroup) {
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  pa->ike_proposals[0].groups = {DhGroup::MODP_1024, DhGroup::MODP_2048};
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pb->ike_proposals[0].groups = {DhGroup::MODP_2048};
  Pair p(pa, pb);
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  auto s = p.a.engine->snapshot(p.net.now);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].dh, DhGroup::MODP_2048);
  EXPECT_EQ(s[0].status, "READY");
  EXPECT_TRUE(p.b.traced("INVALID_KE_PAYLOAD"));
}

TEST(Ikev2Sim, DeadPeerIsDetectedByDpdAndItsSasRemoved) {
  Pair p;
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  ASSERT_EQ(p.a.engine->ike_sa_count(), 1u);
  p.net.drop = [](const Datagram&) { return true; };  // the peer is gone
  // DPD 10 s, retry 2 s, 5 retransmissions: gone within about 20 s.
  p.net.run_for(30s);
  EXPECT_EQ(p.a.engine->ike_sa_count(), 0u);
  EXPECT_EQ(p.a.dp.sa_count(), 0u);
  EXPECT_EQ(p.a.engine->stats().dpd_timeouts + p.b.engine->stats().dpd_timeouts, 2u);
}

TEST(Ikev2Sim, ChildSaIsRekeyedBeforeItExpiresAndTrafficKeepsFlowing) {
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pa->map_entries[0].lifetime = 120s;
  pb->map_entries[0].lifetime = 300s;
  Pair p(pa, pb);
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  auto before = p.a.engine->snapshot(p.net.now)[0].children.at(0).spi_in;
  p.net.run_for(200s);
  auto s = p.a.engine->snapshot(p.net.now);
  ASSERT_EQ(s.size(), 1u);
  ASSERT_EQ(s[0].children.size(), 1u);
  EXPECT_NE(s[0].children[0].spi_in, before);
  EXPECT_EQ(p.b.children(), 1u);
  EXPECT_EQ(p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 2)), dataplane::FakeDataPlane::SendOutcome::Sent);
  EXPECT_EQ(p.b.dp.take_delivered().size(), 2u);
}

TEST(Ikev2Sim, IkeSaIsRekeyedAndKeepsItsChildSas) {
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pa->ike_proposals[0].lifetime = 100s;
  pb->ike_proposals[0].lifetime = 100s;
  Pair p(pa, pb);
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  auto before = p.a.engine->snapshot(p.net.now);
  ASSERT_EQ(before.size(), 1u);
  p.net.run_for(150s);
  auto a = p.a.engine->snapshot(p.net.now);
  auto b = p.b.engine->snapshot(p.net.now);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NE(a[0].spi_local, before[0].spi_local);
  EXPECT_EQ(a[0].spi_local, b[0].spi_remote);
  EXPECT_EQ(a[0].status, "READY");
  EXPECT_EQ(a[0].children.size(), 1u);
  EXPECT_EQ(b[0].children.size(), 1u);
  EXPECT_TRUE(p.a.traced("IKE SA rekeyed"));
  // The moved CHILD SA is found by its reqid: an Acquire for it (a packet that raced the
  // install) starts nothing.
  ASSERT_TRUE(p.a.engine->initiate("outside_map", 1, 0, p.net.now));
  p.net.run_for(5s);
  EXPECT_EQ(p.a.engine->ike_sa_count(), 1u);
  EXPECT_EQ(p.a.children(), 1u);
  // The rekeyed SA still carries exchanges (it is found by its peer): a second CHILD SA and a
  // DPD round trip.
  EXPECT_EQ(p.a.dp.send(icmp_packet("192.168.1.12", "192.168.2.99", 1)), dataplane::FakeDataPlane::SendOutcome::Queued);
  p.net.run_for(30s);
  EXPECT_EQ(p.a.engine->ike_sa_count(), 1u);
  EXPECT_EQ(p.a.children(), 2u);
  EXPECT_EQ(p.b.children(), 2u);
  EXPECT_EQ(p.b.dp.take_delivered().size(), 2u);
  // `clear` by peer finds the new IKE SA and only it.
  EXPECT_EQ(p.a.engine->clear_ike_sas(ip("10.0.0.9"), p.net.now), 0u);
  EXPECT_EQ(p.a.engine->clear_child_sas(ip("10.0.0.2"), p.net.now), 2u);
  p.net.run_for(5s);
  EXPECT_EQ(p.a.children(), 0u);
  EXPECT_EQ(p.b.children(), 0u);
  EXPECT_EQ(p.a.engine->clear_ike_sas(ip("10.0.0.2"), p.net.now), 1u);
  EXPECT_EQ(p.a.engine->ike_sa_count(), 0u);
}

TEST(Ikev2Sim, CookiesAreDemandedWhenHalfOpenSasPileUp) {
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  Network net;
  Node a(&net, "ASA1", pa, 11);
  dataplane::FakeDataPlane bdp(22);
  TestRandom brand(22);
  struct : ikev2::Host {
    Network* net;
    void send(const Endpoint& l, const Endpoint& r, ByteView d) override {
      net->in_flight.push_back({l, r, Bytes(d.begin(), d.end())});
    }
    void trace(const ikev2::TraceEvent&) override {}
    bool tracing(ikev2::Facility, int) const override { return false; }
    void send_keepalive(const Endpoint&, const Endpoint&) override {}
  } bhost;
  bhost.net = &net;
  ikev2::EngineOptions opts;
  opts.cookie_threshold = 0;  // every IKE_SA_INIT must carry a valid cookie
  ikev2::Engine b_engine(pb, bdp, brand, bhost, opts);
  ASSERT_TRUE(b_engine.install_policies());
  a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  for (const auto& ev : a.dp.drain_events()) a.engine->on_dataplane_event(ev, net.now);
  for (int i = 0; i < 20 && !net.in_flight.empty(); ++i) {
    Datagram d = std::move(net.in_flight.front());
    net.in_flight.pop_front();
    if (d.to.address == ip("10.0.0.2")) b_engine.on_datagram(d.to, d.from, d.bytes, net.now);
    else a.engine->on_datagram(d.to, d.from, d.bytes, net.now);
  }
  EXPECT_EQ(b_engine.stats().cookies_sent, 1u);
  EXPECT_TRUE(a.traced("Received COOKIE"));
  auto s = a.engine->snapshot(net.now);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].status, "READY");
  EXPECT_EQ(b_engine.ike_sa_count(), 1u);
}

// The IKE header's exchange type (octet 18) and flags (octet 19) are in the clear.
bool is_response_of(const Datagram& d, wire::ExchangeType x) {
  return d.bytes.size() > 19 && d.bytes[18] == static_cast<std::uint8_t>(x) && (d.bytes[19] & wire::kFlagResponse);
}

bool timers_sane(const Pair& p) {
  for (const Node* n : {&p.a, &p.b})
    if (auto d = n->engine->next_deadline(); d && *d < p.net.now) return false;
  return true;
}

TEST(Ikev2Sim, IkeSaExpiryWhileARequestIsUnansweredDoesNotSpin) {
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pa->ike_proposals[0].lifetime = 100s;
  pb->ike_proposals[0].lifetime = 100s;
  Pair p(pa, pb);
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  p.net.drop = [](const Datagram& d) { return is_response_of(d, wire::ExchangeType::CREATE_CHILD_SA); };
  p.net.run_for(130s);
  EXPECT_TRUE(timers_sane(p));
  EXPECT_LT(p.a.engine->stats().retransmits + p.b.engine->stats().retransmits, 100u);
}

TEST(Ikev2Sim, ChildExpiryWhileItsDeleteIsUnansweredDoesNotSpin) {
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pa->map_entries[0].lifetime = 120s;
  pb->map_entries[0].lifetime = 300s;
  Pair p(pa, pb);
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(100s);
  p.net.drop = [](const Datagram& d) { return is_response_of(d, wire::ExchangeType::INFORMATIONAL); };
  p.net.run_for(60s);
  EXPECT_TRUE(timers_sane(p));
}

TEST(Ikev2Sim, ClearTearsDownAndTrafficBringsItBack) {
  Pair p;
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  EXPECT_EQ(p.a.engine->clear_ike_sas(std::nullopt, p.net.now), 1u);
  p.net.run_for(2s);
  EXPECT_EQ(p.a.engine->ike_sa_count(), 0u);
  EXPECT_EQ(p.b.engine->ike_sa_count(), 0u);
  EXPECT_EQ(p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 2)), dataplane::FakeDataPlane::SendOutcome::Queued);
  p.net.run_for(5s);
  EXPECT_EQ(p.a.children(), 1u);
  EXPECT_EQ(p.b.dp.take_delivered().size(), 2u);
}

TEST(Ikev2Sim, GarbageAndUnknownSpisAreCountedNotFatal) {
  Pair p;
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  Endpoint from{ip("10.0.0.9"), 500}, to{ip("10.0.0.2"), 500};
  Bytes junk(100, 0x41);
  p.b.engine->on_datagram(to, from, junk, p.net.now);
  // A well-formed INFORMATIONAL for an SA that does not exist.
  wire::Message m;
  m.header.spi_i = 0x1111;
  m.header.spi_r = 0x2222;
  m.header.exchange = wire::ExchangeType::INFORMATIONAL;
  m.header.flags = wire::kFlagInitiator;
  auto bytes = wire::encode(m, nullptr);
  ASSERT_TRUE(bytes);
  p.b.engine->on_datagram(to, from, *bytes, p.net.now);
  EXPECT_EQ(p.b.engine->stats().decode_errors, 1u);
  EXPECT_EQ(p.b.engine->stats().invalid_spi, 1u);
  EXPECT_EQ(p.b.children(), 1u);
}

namespace {

// Sends one packet each way every 100 ms for `span` and counts what arrived: the continuous
// ping an operator runs across a rekey.
struct Traffic {
  std::size_t sent = 0, delivered = 0;
};

Traffic ping_both_ways(Pair& p, Duration span) {
  Traffic t;
  p.a.dp.take_delivered();
  p.b.dp.take_delivered();
  std::uint16_t seq = 1000;
  for (Duration elapsed{}; elapsed < span; elapsed += 100ms) {
    p.net.run_for(100ms);
    for (auto [from, src, dst] : {std::tuple{&p.a, "192.168.1.1", "192.168.2.99"},
                                  std::tuple{&p.b, "192.168.2.99", "192.168.1.1"}}) {
      auto outcome = from->dp.send(icmp_packet(src, dst, ++seq));
      if (outcome == dataplane::FakeDataPlane::SendOutcome::Sent) ++t.sent;
    }
    p.net.deliver_all();
    t.delivered += p.a.dp.take_delivered().size() + p.b.dp.take_delivered().size();
  }
  return t;
}

// Both sides agree on one CHILD SA per ACL line whose SPIs pair up, and no SA is left over.
void expect_consistent_children(Pair& p, std::size_t per_side) {
  auto a = p.a.engine->snapshot(p.net.now);
  auto b = p.b.engine->snapshot(p.net.now);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].spi_local, b[0].spi_remote);
  ASSERT_EQ(a[0].children.size(), per_side);
  ASSERT_EQ(b[0].children.size(), per_side);
  for (const auto& ca : a[0].children) {
    auto it = std::find_if(b[0].children.begin(), b[0].children.end(),
                           [&](const auto& cb) { return cb.spi_in == ca.spi_out; });
    ASSERT_NE(it, b[0].children.end()) << "no peer SA for outbound SPI " << ca.spi_out;
    EXPECT_EQ(it->spi_out, ca.spi_in);
  }
  // Two SAs (in and out) per CHILD SA in each data plane, nothing stale.
  EXPECT_EQ(p.a.dp.sa_count(), 2 * per_side);
  EXPECT_EQ(p.b.dp.sa_count(), 2 * per_side);
}

}  // namespace

TEST(Ikev2Sim, RekeyResponderKeepsSendingOnTheOldSaUntilTheInitiatorHasTheNewOne) {
  // RFC 7296 2.8: until our CREATE_CHILD_SA response reaches the initiator it cannot decrypt
  // the new SA, so the responder must not send on it yet. The response is lost once here.
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pa->map_entries[0].lifetime = 100s;
  pb->map_entries[0].lifetime = 300s;
  Pair p(pa, pb);
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  bool lost = false;
  p.net.drop = [&](const Datagram& d) {
    if (lost || !is_response_of(d, wire::ExchangeType::CREATE_CHILD_SA)) return false;
    return lost = true;
  };
  p.net.run_for(86s);  // the rekey request went out at 90 s; its answer is lost
  ASSERT_TRUE(lost);
  p.b.dp.take_delivered();
  p.a.dp.take_delivered();
  EXPECT_EQ(p.b.dp.send(icmp_packet("192.168.2.99", "192.168.1.1", 7)), dataplane::FakeDataPlane::SendOutcome::Sent);
  EXPECT_EQ(p.a.dp.take_delivered().size(), 1u) << "the responder switched to an SA the initiator cannot read";
  auto t = ping_both_ways(p, 10s);  // the retransmission completes the rekey
  EXPECT_EQ(t.delivered, t.sent);
  EXPECT_GT(t.sent, 150u);
  expect_consistent_children(p, 1);
  EXPECT_TRUE(p.a.traced("Rekeying CHILD SA"));
}

TEST(Ikev2Sim, SimultaneousChildRekeyKeepsOneChildSaAndLosesNoPacket) {
  // Equal 10 s lifetimes: both ends rekey at the same instant, every 9 s (RFC 7296 2.8.1).
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pa->map_entries[0].lifetime = 10s;
  pb->map_entries[0].lifetime = 10s;
  Pair p(pa, pb);
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(1s);
  auto first = p.a.engine->snapshot(p.net.now).at(0).children.at(0).spi_in;
  auto t = ping_both_ways(p, 40s);
  EXPECT_TRUE(p.a.traced("Simultaneous rekey of CHILD SA"));
  EXPECT_TRUE(p.b.traced("Simultaneous rekey of CHILD SA"));
  // Exactly one side found its own new SA redundant in each collision.
  EXPECT_TRUE(p.a.traced("is redundant; deleting it") != p.b.traced("is redundant; deleting it") ||
              (p.a.traced("is redundant; deleting it") && p.b.traced("is redundant; deleting it")));
  EXPECT_EQ(t.delivered, t.sent);
  EXPECT_GT(t.sent, 700u);
  expect_consistent_children(p, 1);
  EXPECT_NE(p.a.engine->snapshot(p.net.now).at(0).children.at(0).spi_in, first);
}

TEST(Ikev2Sim, SimultaneousIkeRekeyKeepsOneIkeSaWithTheChildSas) {
  // The initiator rekeys at 90% of 95 s, the responder at 95% of 90 s: the same instant.
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pa->ike_proposals[0].lifetime = 95s;
  pb->ike_proposals[0].lifetime = 90s;
  Pair p(pa, pb);
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.a.dp.send(icmp_packet("192.168.1.12", "192.168.2.99", 1));
  p.net.run_for(2s);
  auto before = p.a.engine->snapshot(p.net.now).at(0).spi_local;
  auto t = ping_both_ways(p, 90s);
  EXPECT_TRUE(p.a.traced("Simultaneous rekey of the IKE SA"));
  EXPECT_TRUE(p.b.traced("Simultaneous rekey of the IKE SA"));
  EXPECT_EQ(t.delivered, t.sent);
  expect_consistent_children(p, 2);
  auto a = p.a.engine->snapshot(p.net.now);
  EXPECT_NE(a.at(0).spi_local, before);
  EXPECT_EQ(a.at(0).status, "READY");
  // The surviving SA carries exchanges: a DPD round trip and a new CHILD SA rekey.
  p.net.run_for(30s);
  expect_consistent_children(p, 2);
}

namespace {

std::size_t count_fragments(const Datagram& d) {
  auto m = wire::decode(d.bytes);
  return m && m->encrypted && m->sk.fragment ? 1 : 0;
}

}  // namespace

TEST(Ikev2Sim, SmallMtuFragmentsIkeAuthAndCreateChildSaAndTheTunnelComesUp) {
  // RFC 7383 with a 200-octet MTU: IKE_AUTH and CREATE_CHILD_SA travel in SKF fragments.
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pa->ikev2_fragment_mtu = 200;
  pb->ikev2_fragment_mtu = 200;
  Pair p(pa, pb);
  std::size_t fragments_on_the_wire = 0, largest = 0;
  p.net.drop = [&](const Datagram& d) {
    fragments_on_the_wire += count_fragments(d);
    largest = std::max(largest, d.bytes.size());
    return false;
  };
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.a.dp.send(icmp_packet("192.168.1.12", "192.168.2.99", 1));
  p.net.run_for(5s);
  EXPECT_EQ(p.a.children(), 2u);
  EXPECT_EQ(p.b.children(), 2u);
  EXPECT_EQ(p.b.dp.take_delivered().size(), 2u);
  EXPECT_TRUE(p.a.traced("Fragmentation is enabled"));
  EXPECT_TRUE(p.b.traced("Reassembled a message"));
  EXPECT_GT(p.a.engine->stats().fragments_sent, 2u);
  EXPECT_GT(p.b.engine->stats().fragments_sent, 2u);
  EXPECT_EQ(p.a.engine->stats().fragments_received, p.b.engine->stats().fragments_sent);
  EXPECT_EQ(p.a.engine->stats().fragment_errors + p.b.engine->stats().fragment_errors, 0u);
  EXPECT_EQ(fragments_on_the_wire, p.a.engine->stats().fragments_sent + p.b.engine->stats().fragments_sent);
  // Only IKE_SA_INIT (never fragmented, RFC 7383 2.5) may exceed 200 - 28 octets of IKE.
  EXPECT_GT(largest, 172u);
  auto sa = p.a.engine->snapshot(p.net.now);
  ASSERT_EQ(sa.size(), 1u);
  EXPECT_TRUE(sa[0].fragmentation);
}

TEST(Ikev2Sim, ALostFragmentIsRecoveredByRetransmission) {
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pa->ikev2_fragment_mtu = 200;
  pb->ikev2_fragment_mtu = 200;
  Pair p(pa, pb);
  int seen = 0;
  p.net.drop = [&](const Datagram& d) { return count_fragments(d) && ++seen == 2; };  // lose the 2nd fragment
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(10s);
  EXPECT_GE(seen, 2);
  EXPECT_EQ(p.a.children(), 1u);
  EXPECT_EQ(p.b.children(), 1u);
  EXPECT_GE(p.a.engine->stats().retransmits + p.b.engine->stats().retransmits, 1u);
  EXPECT_EQ(p.b.dp.take_delivered().size(), 1u);
}

TEST(Ikev2Sim, FragmentationIsUsedOnlyWhenBothEndsOfferIt) {
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pa->ikev2_fragment_mtu = 200;  // B does not offer IKEV2_FRAGMENTATION_SUPPORTED
  Pair p(pa, pb);
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  EXPECT_EQ(p.a.children(), 1u);
  EXPECT_EQ(p.a.engine->stats().fragments_sent, 0u);
  EXPECT_FALSE(p.a.traced("Fragmentation is enabled"));
  EXPECT_FALSE(p.a.engine->snapshot(p.net.now).at(0).fragmentation);
}

TEST(Ikev2Sim, SentEncryptedMessagesAreTracedWithTheirLengthsOnTheWire) {
  // The seed's "Message id: 0x6, length: 180 / ENCR ... length: 152" for messages we send.
  Pair p;
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.a.dp.send(icmp_packet("192.168.1.12", "192.168.2.99", 1));
  p.net.run_for(5s);
  for (Node* n : {&p.a, &p.b}) {
    ASSERT_GE(n->traced_encrypted.size(), 2u) << n->name;  // IKE_AUTH and CREATE_CHILD_SA
    for (auto [length, encr] : n->traced_encrypted) {
      EXPECT_NE(std::find(n->sent_sizes.begin(), n->sent_sizes.end(), length), n->sent_sizes.end()) << length;
      EXPECT_EQ(encr, length - wire::kHeaderSize);
    }
  }
}

TEST(Ikev2Sim, ACreateChildSaRequestWhileTheIkeSaIsBeingDeletedIsAnsweredTemporaryFailure) {
  Pair p;
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  // A's crypto map entry goes away: A deletes the IKE SA, but its Delete never reaches B.
  p.net.drop = [&](const Datagram& d) {
    return d.from.address == p.a.address && d.bytes.size() > 19 &&
           d.bytes[18] == static_cast<std::uint8_t>(wire::ExchangeType::INFORMATIONAL) &&
           !(d.bytes[19] & wire::kFlagResponse);
  };
  auto other = make_policy(kAsa1, "cisco123", "cisco123");
  other->map_entries[0].map = "another_map";
  p.a.engine->set_policy(other, p.net.now);
  p.net.run_for(100ms);
  ASSERT_EQ(p.a.engine->snapshot(p.net.now).at(0).status, "DELETE");
  // B asks for a second CHILD SA on the SA A is closing: A must answer, not go silent.
  p.b.dp.send(icmp_packet("192.168.2.99", "192.168.1.12", 1));
  p.net.run_for(1s);
  EXPECT_TRUE(p.a.traced("CREATE_CHILD_SA while the IKE SA is being deleted: answered TEMPORARY_FAILURE"));
  EXPECT_TRUE(p.b.traced("failed: TEMPORARY_FAILURE"));
  EXPECT_EQ(p.b.engine->stats().retransmits, 0u);
}

// EngineOptions::share_ike_sa = false (the load generator): a second crypto ACL line gets an IKE
// SA of its own, and that IKE_AUTH carries no INITIAL_CONTACT (the responder would otherwise drop
// the first IKE SA, RFC 7296 2.4), so both stay up on both sides.
TEST(Ikev2Sim, UnsharedIkeSaGivesEveryChildItsOwnIkeSaWithoutInitialContact) {
  Pair p;
  unshare_ike_sas(p.a);
  ASSERT_TRUE(p.a.engine->initiate("outside_map", 1, 0, p.net.now));
  p.net.run_for(5s);
  ASSERT_EQ(p.a.engine->ike_sa_count(), 1u);
  ASSERT_TRUE(p.a.engine->initiate("outside_map", 1, 1, p.net.now));
  p.net.run_for(5s);
  auto sa_a = p.a.engine->snapshot(p.net.now);
  auto sa_b = p.b.engine->snapshot(p.net.now);
  ASSERT_EQ(sa_a.size(), 2u);
  ASSERT_EQ(sa_b.size(), 2u);
  for (const auto& s : sa_a) {
    EXPECT_EQ(s.status, "READY");
    EXPECT_EQ(s.children.size(), 1u);
  }
  for (const auto& s : sa_b) {
    EXPECT_EQ(s.status, "READY");
    EXPECT_EQ(s.children.size(), 1u);
  }
  EXPECT_NE(sa_a[0].spi_local, sa_a[1].spi_local);
  EXPECT_FALSE(p.b.traced("INITIAL_CONTACT from the peer"));
  EXPECT_FALSE(p.a.traced("CHILD_I_IPSEC EV_BLD_MSG"));  // no CREATE_CHILD_SA was needed
  // The default shares: a third line rides on an existing IKE SA.
  Pair q;
  ASSERT_TRUE(q.a.engine->initiate("outside_map", 1, 0, q.net.now));
  q.net.run_for(5s);
  ASSERT_TRUE(q.a.engine->initiate("outside_map", 1, 1, q.net.now));
  q.net.run_for(5s);
  EXPECT_EQ(q.a.engine->ike_sa_count(), 1u);
  EXPECT_EQ(q.a.children(), 2u);
}

TEST(Ikev2Sim, AVolumeLifetimeRekeysTheChildSaBeforeItsHardLimit) {
  // `set security-association lifetime kilobytes 2`: soft at 90% of 2048 octets of traffic.
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pa->map_entries[0].lifetime_kilobytes = 2;
  Pair p(pa, pb);
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(2s);
  auto first = p.a.engine->snapshot(p.net.now).at(0).children.at(0).spi_in;
  auto t = ping_both_ways(p, 20s);  // 200 packets of 28 octets each way: several volume rekeys
  EXPECT_EQ(t.delivered, t.sent);
  EXPECT_EQ(t.sent, 400u);
  EXPECT_TRUE(p.a.traced("Rekeying CHILD SA"));
  expect_consistent_children(p, 1);
  EXPECT_NE(p.a.engine->snapshot(p.net.now).at(0).children.at(0).spi_in, first);
  EXPECT_EQ(p.a.engine->snapshot(p.net.now).at(0).children.at(0).lifetime_kb, 2u);
}

TEST(Ikev2Sim, AnUnknownCriticalPayloadInIkeSaInitIsAnsweredWithItsType) {
  // RFC 7296 2.5: the response names the payload type in UNSUPPORTED_CRITICAL_PAYLOAD.
  Pair p;
  Bytes req(28, 0);
  store_be64(&req[0], 0x1234567890abcdefULL);
  req[16] = 200;   // next payload: an unassigned type
  req[17] = 0x20;  // IKEv2
  req[18] = static_cast<std::uint8_t>(wire::ExchangeType::IKE_SA_INIT);
  req[19] = wire::kFlagInitiator;
  for (std::uint8_t o : {0x00, 0x80, 0x00, 0x04}) req.push_back(o);  // critical, empty
  store_be32(&req[24], static_cast<std::uint32_t>(req.size()));
  Endpoint from{ip("10.0.0.9"), 500}, to{ip("10.0.0.2"), 500};
  p.b.engine->on_datagram(to, from, req, p.net.now);
  ASSERT_EQ(p.net.in_flight.size(), 1u);
  EXPECT_EQ(p.net.in_flight.back().to, from);
  auto answer = wire::decode(p.net.in_flight.back().bytes);
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->header.is_response());
  EXPECT_EQ(answer->header.spi_i, 0x1234567890abcdefULL);
  const auto* n = wire::find_notify(answer->payloads, wire::NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->data, Bytes{200});
  EXPECT_EQ(p.b.engine->ike_sa_count(), 0u);
  EXPECT_EQ(p.b.engine->stats().decode_errors, 1u);
}

TEST(Ikev2Sim, AReflectedMessageIsCountedAndDropped) {
  Pair p;
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  std::optional<Datagram> captured;
  p.net.drop = [&](const Datagram& d) {
    if (!captured && d.from.address == p.a.address) captured = d;
    return false;
  };
  p.a.dp.send(icmp_packet("192.168.1.12", "192.168.2.99", 1));  // A sends CREATE_CHILD_SA
  p.net.run_for(2s);
  ASSERT_TRUE(captured);
  // The same datagram sent back to A, as if the peer had sent it: its Initiator flag points the
  // SA lookup at the peer's SPI, so A finds no SA of its own (or, were both SPIs equal, the
  // role check refuses it); either way it is counted and changes nothing.
  auto before = p.a.engine->stats().invalid_spi;
  p.a.engine->on_datagram(captured->from, captured->to, captured->bytes, p.net.now);
  EXPECT_EQ(p.a.engine->stats().invalid_spi + p.a.engine->stats().role_mismatch, before + 1);
  EXPECT_EQ(p.a.children(), 2u);
  EXPECT_EQ(p.a.engine->snapshot(p.net.now).at(0).status, "READY");
}

TEST(Ikev2Sim, ADynamicMapReusesTheReqidsOfClearedChildSas) {
  // A dynamic crypto map gives each CHILD SA a reqid and policy of its own; once they are gone
  // the reqid returns, so a long-running head-end never runs out of (16-bit XFRM) reqids.
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pb->map_entries[0].dynamic = true;
  pb->map_entries[0].peers.clear();
  Pair p(pa, pb);
  std::set<std::uint32_t> reqids;
  for (int round = 0; round < 40; ++round) {
    p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", static_cast<std::uint16_t>(round)));
    p.net.run_for(3s);
    auto b = p.b.engine->snapshot(p.net.now);
    ASSERT_EQ(b.size(), 1u) << "round " << round;
    ASSERT_EQ(b[0].children.size(), 1u) << "round " << round;
    reqids.insert(b[0].children[0].reqid);
    EXPECT_GE(b[0].children[0].reqid, kIkev2FirstReqid);
    EXPECT_LE(b[0].children[0].reqid, kIkev2LastReqid);
    EXPECT_EQ(p.a.engine->clear_ike_sas(std::nullopt, p.net.now), 1u);
    p.net.run_for(2s);
    ASSERT_EQ(p.b.engine->ike_sa_count(), 0u) << "round " << round;
  }
  EXPECT_EQ(reqids.size(), 1u);
  EXPECT_EQ(p.b.dp.sa_count(), 0u);
}

// Many IKE SAs with one peer (the load generator's mode): only the first carries
// INITIAL_CONTACT, the responder keeps them all, and a later INITIAL_CONTACT from that peer
// removes every established one but its own.
TEST(Ikev2Sim, ManyUnsharedIkeSasWithOnePeerAndInitialContactRemovesThemAll) {
  Pair p;
  unshare_ike_sas(p.a);
  ASSERT_TRUE(p.a.engine->initiate("outside_map", 1, 0, p.net.now));
  p.net.run_for(5s);
  ASSERT_TRUE(p.a.engine->initiate("outside_map", 1, 1, p.net.now));
  p.net.run_for(5s);
  ASSERT_EQ(p.a.engine->ike_sa_count(), 2u);
  ASSERT_EQ(p.b.engine->ike_sa_count(), 2u);
  EXPECT_FALSE(p.b.traced("INITIAL_CONTACT from the peer"));
  // ASA1 restarts: a fresh engine has no SA with ASA2, so its first IKE_AUTH carries
  // INITIAL_CONTACT and ASA2 drops the two old IKE SAs.
  unshare_ike_sas(p.a);
  ASSERT_TRUE(p.a.engine->initiate("outside_map", 1, 0, p.net.now));
  p.net.run_for(5s);
  EXPECT_TRUE(p.b.traced("INITIAL_CONTACT from the peer"));
  EXPECT_EQ(p.b.engine->ike_sa_count(), 1u);
  EXPECT_EQ(p.b.children(), 1u);
}

namespace {

// Delivers `d` to its destination node directly and returns how many datagrams that node sent
// in answer (taking them off the link).
std::size_t answers_to(Pair& p, Node& to, const Datagram& d) {
  std::size_t before = p.net.in_flight.size();
  to.engine->on_datagram(d.to, d.from, d.bytes, p.net.now);
  std::size_t sent = p.net.in_flight.size() - before;
  p.net.in_flight.clear();
  return sent;
}

// The datagram with one octet of its encrypted payload changed (the header, SPIs and Message ID
// stay): what an attacker who saw the SPIs and the Message ID on the wire can make.
Datagram altered(Datagram d) {
  d.bytes[d.bytes.size() - 5] ^= 0x01;
  return d;
}

}  // namespace

TEST(Ikev2Sim, OnlyABitwiseIdenticalRetransmissionIsAnsweredFromTheCache) {
  // RFC 7296 2.1: the responder resends its cached response to a retransmitted request, which is
  // bitwise identical to the original. A datagram with the same SPIs and Message ID but other
  // octets is not a retransmission: answering it (before any integrity check) would let anyone
  // who saw the SPIs make the gateway send to its peer.
  Pair p;
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  std::optional<Datagram> request;
  p.net.drop = [&](const Datagram& d) {
    if (!request && d.from.address == p.a.address) request = d;
    return false;
  };
  p.a.dp.send(icmp_packet("192.168.1.12", "192.168.2.99", 1));  // A sends CREATE_CHILD_SA
  p.net.run_for(2s);
  ASSERT_TRUE(request);
  ASSERT_EQ(p.b.children(), 2u);
  const auto& s = p.b.engine->stats();
  auto duplicates = s.duplicate_requests;
  EXPECT_EQ(answers_to(p, p.b, altered(*request)), 0u);
  EXPECT_EQ(s.invalid_retransmits, 1u);
  EXPECT_EQ(s.duplicate_requests, duplicates);
  EXPECT_TRUE(p.b.traced("differs from the one answered"));
  EXPECT_EQ(answers_to(p, p.b, *request), 1u);  // the genuine retransmission
  EXPECT_EQ(s.duplicate_requests, duplicates + 1);
  EXPECT_EQ(p.b.children(), 2u);
  EXPECT_EQ(p.b.engine->snapshot(p.net.now).at(0).status, "READY");
}

TEST(Ikev2Sim, AFragmentedRetransmissionIsAnsweredOnlyForTheIdenticalFirstFragment) {
  // RFC 7383 2.6.1: a retransmitted fragmented request is answered on its first fragment; the
  // fragment must be the one that was answered.
  auto pa = make_policy(kAsa1, "cisco123", "cisco123");
  auto pb = make_policy(kAsa2, "cisco123", "cisco123");
  pa->ikev2_fragment_mtu = 200;
  pb->ikev2_fragment_mtu = 200;
  Pair p(pa, pb);
  std::vector<Datagram> fragments;  // A's IKE_AUTH request, fragment by fragment
  p.net.drop = [&](const Datagram& d) {
    auto m = wire::decode(d.bytes);
    if (d.from.address == p.a.address && m && m->sk.fragment && m->header.exchange == wire::ExchangeType::IKE_AUTH)
      fragments.push_back(d);
    return false;
  };
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  ASSERT_EQ(p.b.children(), 1u);
  ASSERT_GE(fragments.size(), 2u);
  std::size_t response_fragments = p.b.engine->stats().fragments_sent;
  ASSERT_GE(response_fragments, 2u);
  auto first = std::find_if(fragments.begin(), fragments.end(),
                            [](const Datagram& d) { return wire::decode(d.bytes)->sk.fragment_number == 1; });
  auto other = std::find_if(fragments.begin(), fragments.end(),
                            [](const Datagram& d) { return wire::decode(d.bytes)->sk.fragment_number == 2; });
  ASSERT_NE(first, fragments.end());
  ASSERT_NE(other, fragments.end());
  const auto& s = p.b.engine->stats();
  EXPECT_EQ(answers_to(p, p.b, altered(*first)), 0u);
  EXPECT_EQ(s.invalid_retransmits, 1u);
  EXPECT_EQ(answers_to(p, p.b, *other), 0u);              // answered on fragment 1 only
  EXPECT_EQ(answers_to(p, p.b, *first), response_fragments);  // every fragment of the response
  EXPECT_EQ(s.duplicate_requests, 1u);
  EXPECT_EQ(p.b.children(), 1u);
}

TEST(Ikev2Sim, ARetransmittedIkeSaInitMustBeIdenticalToBeAnsweredAgain) {
  Pair p;
  std::optional<Datagram> init;
  // A's IKE_SA_INIT reaches B; everything after it is lost, so B stays half-open.
  p.net.drop = [&](const Datagram& d) {
    if (d.from.address != p.a.address) return false;
    if (!init) {
      init = d;
      return false;
    }
    return true;
  };
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(1s);
  ASSERT_TRUE(init);
  ASSERT_EQ(p.b.engine->stats().half_open, 1u);
  p.net.in_flight.clear();
  // The same request with another KE value: walk the payload chain to the KE payload.
  Datagram other = *init;
  std::size_t off = 28;
  for (std::uint8_t type = other.bytes[16]; type != 34 && off + 4 <= other.bytes.size();) {
    type = other.bytes[off];
    off += load_be16(&other.bytes[off + 2]);
  }
  ASSERT_LT(off + 8, other.bytes.size());
  other.bytes[off + 8] ^= 0x01;
  const auto& s = p.b.engine->stats();
  EXPECT_EQ(answers_to(p, p.b, other), 0u);
  EXPECT_EQ(s.invalid_retransmits, 1u);
  EXPECT_EQ(answers_to(p, p.b, *init), 1u);
  EXPECT_EQ(s.duplicate_requests, 1u);
  EXPECT_EQ(s.half_open, 1u);
}

TEST(Ikev2Sim, ANewNatMappingIsFollowedByTheIkeSaAndItsChildSas) {
  // RFC 7296 2.23: the NAT in front of ASA1 forgets its mapping and picks another port. After
  // the next authenticated message from there, ASA2 sends IKE and the ESP of the existing CHILD
  // SA to the new mapping, without a rekey.
  Pair p;
  p.net.nat = std::pair{ip("10.0.0.1"), ip("10.0.0.100")};
  p.b.policy->peers[0].address = ip("10.0.0.100");
  p.b.policy->map_entries[0].peers = {ip("10.0.0.100")};
  p.a.dp.send(icmp_packet("192.168.1.1", "192.168.2.99", 1));
  p.net.run_for(5s);
  auto b = p.b.engine->snapshot(p.net.now);
  ASSERT_EQ(b.size(), 1u);
  ASSERT_EQ(b[0].remote, (Endpoint{ip("10.0.0.100"), 4501}));
  ASSERT_EQ(b[0].children.size(), 1u);
  const std::uint32_t first_out = b[0].children[0].spi_out;
  p.net.nat_shift = 7;  // the mapping of 4500 is now 4507
  p.a.dp.send(icmp_packet("192.168.1.12", "192.168.2.99", 1));  // CREATE_CHILD_SA from 4507
  p.net.run_for(5s);
  b = p.b.engine->snapshot(p.net.now);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].remote, (Endpoint{ip("10.0.0.100"), 4507}));
  EXPECT_TRUE(p.b.traced("NAT mapping changed"));
  ASSERT_EQ(b[0].children.size(), 2u);
  for (const auto& c : b[0].children) {
    const auto* out = p.b.dp.sa(c.spi_out, dataplane::Direction::Outbound);
    ASSERT_NE(out, nullptr);
    EXPECT_EQ(out->encap_remote_port, 4507) << "outbound SA " << c.spi_out << (c.spi_out == first_out ? " (the old one)" : "");
    EXPECT_EQ(out->remote, ip("10.0.0.100"));
  }
  EXPECT_EQ(p.b.engine->stats().retransmits + p.a.engine->stats().retransmits, 0u);
}
