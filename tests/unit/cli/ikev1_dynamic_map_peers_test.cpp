// Real IKEv1 engines, then the show commands: an IOS hub with one dynamic crypto map entry and a
// wildcard key answers two spokes. Each spoke's IPsec SA must appear under that spoke's peer in
// `show crypto ipsec sa` (and `... peer A`), `show crypto session detail` and `show crypto
// isakmp sa detail`, with its own endpoints and C-id: the dynamic entry has no peer of its own,
// so only the engine knows which SA belongs to whom.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <deque>

#include "cli/commands.h"
#include "dataplane/fake.h"
#include "ikev1/engine.h"

namespace ikegate::cli {
namespace {

using namespace std::chrono_literals;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

policy::Selector subnet_pair(const char* local, const char* remote, std::uint32_t remote_hosts = 0xff) {
  policy::Selector s;
  s.src_start = ip(local);
  s.src_end = IpAddress::v4(ip(local).v4_value() | 0xff);
  s.dst_start = ip(remote);
  s.dst_end = IpAddress::v4(ip(remote).v4_value() | remote_hosts);
  return s;
}

// A gateway at `outside` protecting `local_net`/24; `peer` empty = a dynamic entry that takes
// any peer (with the wildcard key) and any remote subnet under 192.168.0.0/16.
std::shared_ptr<policy::Policy> gateway_policy(const char* outside, const char* peer, const char* local_net,
                                               const char* remote_net) {
  auto p = std::make_shared<policy::Policy>();
  p->personality = policy::Personality::Ios;
  p->isakmp_proposals = {{10, true, {EncrId::AES_CBC, 128}, PrfId::HMAC_SHA1, DhGroup::MODP_1536, 86400s}};
  policy::CryptoMapEntry e;
  e.map = "cmap";
  e.seq = 10;
  e.ikev1 = true;
  e.interface = "Ethernet0/0";
  e.local_address = ip(outside);
  policy::AclEntry a;
  a.text = "access-list 101 permit ip any any";
  a.selector = peer ? subnet_pair(local_net, remote_net) : subnet_pair(local_net, remote_net, 0xffff);
  e.acl.push_back(a);
  if (peer) e.peers.push_back(ip(peer));
  e.dynamic = peer == nullptr;
  e.proposals.push_back({"ts", {{EncrId::AES_CBC, 128}}, {IntegId::HMAC_SHA1_96}, false});
  e.lifetime = 3600s;
  p->map_entries.push_back(e);
  policy::PeerAuth pa;
  pa.name = peer ? peer : "0.0.0.0";
  pa.address = peer ? ip(peer) : IpAddress{};
  pa.prefix = peer ? 32 : 0;
  pa.local_psk = pa.remote_psk = SecretBytes(as_bytes("cisco123"));
  p->peers.push_back(std::move(pa));
  p->ikev1_addresses.push_back(ip(outside));
  return p;
}

struct Net;

struct Box : ikev1::Host {
  Net* net;
  IpAddress address;
  std::shared_ptr<policy::Policy> policy;
  dataplane::FakeDataPlane dp;
  TestRandom random;
  std::unique_ptr<ikev1::Engine> engine;
  Box(Net* n, const char* outside, std::shared_ptr<policy::Policy> p, std::uint64_t seed)
      : net(n), address(ip(outside)), policy(std::move(p)), dp(seed), random(seed) {
    engine = std::make_unique<ikev1::Engine>(policy, dp, random, *this);
    EXPECT_TRUE(engine->install_policies());
  }
  void send(const Endpoint& local, const Endpoint& remote, ByteView d) override;
  void trace(const ikev1::TraceEvent&) override {}
  bool tracing(int) const override { return false; }
  void send_keepalive(const Endpoint&, const Endpoint&) override {}
};

struct Net {
  TimePoint now{std::chrono::hours(1)};
  struct Datagram {
    Endpoint from, to;
    Bytes bytes;
  };
  std::deque<Datagram> queue;
  std::vector<Box*> boxes;
  void run() {
    for (int guard = 0; guard < 1000 && !queue.empty(); ++guard) {
      auto d = std::move(queue.front());
      queue.pop_front();
      for (Box* b : boxes)
        if (b->address == d.to.address) b->engine->on_datagram(d.to, d.from, d.bytes, now);
      now += 1ms;
    }
  }
};

void Box::send(const Endpoint& local, const Endpoint& remote, ByteView d) {
  net->queue.push_back({local, remote, Bytes(d.begin(), d.end())});
}

std::string run(CommandInterpreter& cli, std::string_view line) { return cli.execute(line).text; }

TEST(Ikev1DynamicMapPeers, TwoSpokesOnOneDynamicEntryShowUnderTheirOwnPeers) {
  Net net;
  Box hub(&net, "172.16.10.1", gateway_policy("172.16.10.1", nullptr, "192.168.1.0", "192.168.0.0"), 1);
  Box spoke2(&net, "172.16.10.2", gateway_policy("172.16.10.2", "172.16.10.1", "192.168.2.0", "192.168.1.0"), 2);
  Box spoke9(&net, "172.16.10.9", gateway_policy("172.16.10.9", "172.16.10.1", "192.168.9.0", "192.168.1.0"), 9);
  net.boxes = {&hub, &spoke2, &spoke9};
  ASSERT_TRUE(spoke2.engine->initiate("cmap", 10, 0, net.now));
  net.run();
  ASSERT_TRUE(spoke9.engine->initiate("cmap", 10, 0, net.now));
  net.run();

  auto snap = hub.engine->snapshot(net.now);
  ASSERT_EQ(snap.isakmp.size(), 2u);
  ASSERT_EQ(snap.ipsec.size(), 2u);
  for (const auto& c : snap.ipsec) {
    EXPECT_EQ(c.local, (Endpoint{ip("172.16.10.1"), 500}));
    auto isakmp = std::find_if(snap.isakmp.begin(), snap.isakmp.end(),
                               [&](const auto& sa) { return sa.conn_id == c.conn_id; });
    ASSERT_NE(isakmp, snap.isakmp.end()) << "the IPsec SA names its ISAKMP SA";
    EXPECT_EQ(isakmp->remote, c.remote);
    // Each SA protects the subnet of the peer it is with.
    auto expected_net = c.remote.address == ip("172.16.10.2") ? ip("192.168.2.0") : ip("192.168.9.0");
    EXPECT_EQ(c.selector.dst_start, expected_net) << c.remote.address.to_string();
  }
  EXPECT_NE(snap.ipsec[0].remote.address, snap.ipsec[1].remote.address);

  CommandInterpreter::Actions actions;
  actions.snapshot = [] { return std::vector<ikev2::IkeSaInfo>{}; };
  actions.v1_snapshot = [&] { return hub.engine->snapshot(net.now); };
  CommandInterpreter cli(policy::Personality::Ios, hub.policy, actions);

  // `show crypto ipsec sa peer A`: only that peer's SA, with its subnet and its endpoints.
  auto only9 = run(cli, "show crypto ipsec sa peer 172.16.10.9");
  EXPECT_NE(only9.find("current_peer 172.16.10.9 port 500"), std::string::npos) << only9;
  EXPECT_NE(only9.find("remote ident (addr/mask/prot/port): (192.168.9.0/255.255.255.0/0/0)"), std::string::npos) << only9;
  EXPECT_NE(only9.find("local crypto endpt.: 172.16.10.1, remote crypto endpt.: 172.16.10.9"), std::string::npos) << only9;
  EXPECT_EQ(only9.find("172.16.10.2"), std::string::npos) << only9;
  auto only2 = run(cli, "show crypto ipsec sa peer 172.16.10.2");
  EXPECT_NE(only2.find("remote ident (addr/mask/prot/port): (192.168.2.0/255.255.255.0/0/0)"), std::string::npos) << only2;
  EXPECT_EQ(only2.find("192.168.9.0"), std::string::npos) << only2;

  // `show crypto session detail`: one session per peer, each with its own flow and C-id.
  auto session = run(cli, "show crypto session detail");
  auto at2 = session.find("Peer: 172.16.10.2 port 500");
  auto at9 = session.find("Peer: 172.16.10.9 port 500");
  ASSERT_NE(at2, std::string::npos) << session;
  ASSERT_NE(at9, std::string::npos) << session;
  auto block = [&](std::size_t from) {
    auto next = std::min(session.find("Peer: ", from + 1), session.size());
    return session.substr(from, next - from);
  };
  auto conn_of = [&](const char* peer) {
    for (const auto& sa : snap.isakmp)
      if (sa.remote.address == ip(peer)) return sa.conn_id;
    return 0u;
  };
  EXPECT_NE(block(at2).find("192.168.2.0"), std::string::npos) << block(at2);
  EXPECT_EQ(block(at2).find("192.168.9.0"), std::string::npos) << block(at2);
  EXPECT_NE(block(at9).find("192.168.9.0"), std::string::npos) << block(at9);
  EXPECT_NE(block(at2).find(fmt::format("connid:{}", conn_of("172.16.10.2"))), std::string::npos) << block(at2);
  EXPECT_NE(block(at9).find(fmt::format("connid:{}", conn_of("172.16.10.9"))), std::string::npos) << block(at9);

  // `show crypto isakmp sa detail`: both ISAKMP SAs, each with its C-id and peer.
  auto isakmp = run(cli, "show crypto isakmp sa detail");
  for (const char* peer : {"172.16.10.2", "172.16.10.9"}) {
    auto line = fmt::format("{}  172.16.10.1", conn_of(peer));
    auto at = isakmp.find(line);
    ASSERT_NE(at, std::string::npos) << line << "\n" << isakmp;
    EXPECT_NE(isakmp.substr(at, 60).find(peer), std::string::npos) << isakmp;
  }
}

}  // namespace
}  // namespace ikegate::cli
