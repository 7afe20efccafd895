#include "dataplane/fake.h"

#include <gtest/gtest.h>
#include <poll.h>

#include "dataplane/spd.h"

namespace ikegate::dataplane {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

// A minimal IPv4 packet (protocol `proto`, with ports if TCP/UDP).
Bytes ipv4(const char* src, const char* dst, std::uint8_t proto = 1, std::uint16_t sport = 0,
           std::uint16_t dport = 0, std::size_t len = 84) {
  Bytes p(len, 0);
  p[0] = 0x45;
  store_be16(p.data() + 2, static_cast<std::uint16_t>(len));
  p[8] = 64;
  p[9] = proto;
  store_be32(p.data() + 12, ip(src).v4_value());
  store_be32(p.data() + 16, ip(dst).v4_value());
  store_be16(p.data() + 20, sport);
  store_be16(p.data() + 22, dport);
  return p;
}

TrafficSelector host_pair(const char* a, const char* b) {
  TrafficSelector ts;
  ts.src_start = ts.src_end = ip(a);
  ts.dst_start = ts.dst_end = ip(b);
  return ts;
}

SecretBytes key(std::size_t n, std::uint8_t v) {
  SecretBytes k(n);
  for (std::size_t i = 0; i < n; ++i) k.data()[i] = static_cast<std::uint8_t>(v + i);
  return k;
}

SaParams sa(std::uint32_t spi, Direction d, const char* local, const char* remote, std::uint8_t kv = 1) {
  SaParams p;
  p.spi = spi;
  p.direction = d;
  p.reqid = 1;
  p.local = ip(local);
  p.remote = ip(remote);
  p.encr = EncrId::AES_GCM_16;
  p.key_bits = 128;
  p.encr_key = key(20, kv);
  return p;
}

struct Link : ::testing::Test {
  FakeDataPlane gw1{1}, gw2{2};
  void SetUp() override {
    gw1.connect(gw2);
    ASSERT_TRUE(gw1.add_policy({1, host_pair("192.168.1.1", "192.168.2.99"), 10,
                                ip("10.0.0.1"), ip("10.0.0.2"), "CMAP", 10}));
    ASSERT_TRUE(gw2.add_policy({1, host_pair("192.168.2.99", "192.168.1.1"), 10,
                                ip("10.0.0.2"), ip("10.0.0.1"), "CMAP", 10}));
  }
  void install(std::uint8_t gw2_inbound_key = 1) {
    // Inbound before outbound, as an engine installs them, so no flushed packet finds no SA.
    ASSERT_TRUE(gw2.add_sa(sa(0x1001, Direction::Inbound, "10.0.0.2", "10.0.0.1", gw2_inbound_key)));
    ASSERT_TRUE(gw1.add_sa(sa(0x2002, Direction::Inbound, "10.0.0.1", "10.0.0.2")));
    ASSERT_TRUE(gw1.add_sa(sa(0x1001, Direction::Outbound, "10.0.0.1", "10.0.0.2")));
    ASSERT_TRUE(gw2.add_sa(sa(0x2002, Direction::Outbound, "10.0.0.2", "10.0.0.1")));
  }
};

TEST_F(Link, PingBothWays) {
  install();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(gw1.send(ipv4("192.168.1.1", "192.168.2.99")), FakeDataPlane::SendOutcome::Sent);
    EXPECT_EQ(gw2.send(ipv4("192.168.2.99", "192.168.1.1")), FakeDataPlane::SendOutcome::Sent);
  }
  EXPECT_EQ(gw2.take_delivered().size(), 5u);
  EXPECT_EQ(gw1.take_delivered().size(), 5u);
  EXPECT_EQ(gw1.counters(0x1001, Direction::Outbound)->encaps_or_decaps, 5u);
  EXPECT_EQ(gw2.counters(0x1001, Direction::Inbound)->encaps_or_decaps, 5u);
  EXPECT_EQ(load_be32(gw1.last_esp().data()), 0x1001u);
  // Traffic outside every selector is not protected.
  EXPECT_EQ(gw1.send(ipv4("192.168.1.12", "192.168.2.99")), FakeDataPlane::SendOutcome::Bypassed);
}

TEST_F(Link, FirstPacketQueuedAndAcquireRaisedOnce) {
  struct pollfd pfd{gw1.event_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 0), 0);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(gw1.send(ipv4("192.168.1.1", "192.168.2.99", 17, 5000, 53)), FakeDataPlane::SendOutcome::Queued);
  EXPECT_EQ(::poll(&pfd, 1, 0), 1);
  auto ev = gw1.drain_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, Event::Kind::Acquire);
  EXPECT_EQ(ev[0].reqid, 1u);
  EXPECT_EQ(ev[0].packet.src_start, ip("192.168.1.1"));
  EXPECT_EQ(ev[0].packet.dst_end, ip("192.168.2.99"));
  EXPECT_EQ(ev[0].packet.protocol, 17);
  EXPECT_EQ(ev[0].packet.dst_port_start, 53);
  EXPECT_EQ(::poll(&pfd, 1, 0), 0);
  EXPECT_EQ(gw1.queued(1), 3u);
  install();  // the queued packets go out as soon as the outbound SA exists
  EXPECT_EQ(gw1.queued(1), 0u);
  EXPECT_EQ(gw2.take_delivered().size(), 3u);
}

TEST_F(Link, QueueIsBounded) {
  for (std::size_t i = 0; i < kAcquireQueueLimit; ++i) gw1.send(ipv4("192.168.1.1", "192.168.2.99"));
  EXPECT_EQ(gw1.send(ipv4("192.168.1.1", "192.168.2.99")), FakeDataPlane::SendOutcome::Dropped);
  EXPECT_EQ(gw1.queued(1), kAcquireQueueLimit);
}

TEST_F(Link, KeyMismatchShowsAsAuthFailure) {
  install(/*gw2_inbound_key=*/9);
  gw1.send(ipv4("192.168.1.1", "192.168.2.99"));
  EXPECT_TRUE(gw2.take_delivered().empty());
  EXPECT_EQ(gw2.counters(0x1001, Direction::Inbound)->auth_failures, 1u);
}

TEST_F(Link, LossTamperAndReplayOnTheLink) {
  install();
  Bytes captured;
  gw1.set_link_filter([&](Bytes& b) {
    captured = b;
    return true;
  });
  gw1.send(ipv4("192.168.1.1", "192.168.2.99"));
  ASSERT_EQ(gw2.take_delivered().size(), 1u);
  gw2.inject_udp_esp(captured, {ip("10.0.0.1"), 4500}, {ip("10.0.0.2"), 4500});  // replayed
  EXPECT_TRUE(gw2.take_delivered().empty());
  EXPECT_EQ(gw2.counters(0x1001, Direction::Inbound)->replay_failures, 1u);
  gw1.set_link_filter([](Bytes& b) {
    b[b.size() / 2] ^= 0x40;
    return true;
  });
  gw1.send(ipv4("192.168.1.1", "192.168.2.99"));
  EXPECT_EQ(gw2.counters(0x1001, Direction::Inbound)->auth_failures, 1u);
  gw1.set_link_filter([](Bytes&) { return false; });
  gw1.send(ipv4("192.168.1.1", "192.168.2.99"));
  EXPECT_TRUE(gw2.take_delivered().empty());
}

TEST_F(Link, InnerPacketOutsideSelectorIsDropped) {
  install();
  // gw1 widens its own policy; gw2's SA selector still says host-to-host.
  TrafficSelector wide = host_pair("192.168.1.0", "192.168.2.99");
  wide.src_end = ip("192.168.1.255");
  ASSERT_TRUE(gw1.add_policy({1, wide, 10, ip("10.0.0.1"), ip("10.0.0.2"), "CMAP", 10}));
  gw1.send(ipv4("192.168.1.12", "192.168.2.99"));
  EXPECT_TRUE(gw2.take_delivered().empty());
  EXPECT_EQ(gw2.counters(0x1001, Direction::Inbound)->policy_failures, 1u);
}

TEST_F(Link, LifetimeEventsFromTraffic) {
  SaParams o = sa(0x1001, Direction::Outbound, "10.0.0.1", "10.0.0.2");
  o.soft_packets = 2;
  o.hard_packets = 3;
  ASSERT_TRUE(gw1.add_sa(o));
  for (int i = 0; i < 4; ++i) gw1.send(ipv4("192.168.1.1", "192.168.2.99"));
  auto ev = gw1.drain_events();
  ASSERT_GE(ev.size(), 3u);
  EXPECT_EQ(ev[0].kind, Event::Kind::SoftExpire);
  EXPECT_EQ(ev[1].kind, Event::Kind::HardExpire);
  EXPECT_EQ(ev[1].spi, 0x1001u);
  EXPECT_EQ(ev[2].kind, Event::Kind::Acquire);  // hard-expired SA no longer carries traffic
}

TEST(Fake, RecordsAndRaises) {
  FakeDataPlane dp;
  EXPECT_EQ(dp.name(), "fake");
  auto a = dp.allocate_spi();
  auto b = dp.allocate_spi();
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_GE(*a, 256u);
  ASSERT_TRUE(dp.add_sa(sa(*a, Direction::Inbound, "10.0.0.1", "10.0.0.2")));
  EXPECT_FALSE(dp.add_sa(sa(*a, Direction::Inbound, "10.0.0.1", "10.0.0.2")));
  ASSERT_NE(dp.sa(*a, Direction::Inbound), nullptr);
  EXPECT_EQ(dp.sa(*a, Direction::Inbound)->reqid, 1u);
  SaParams bad = sa(*b, Direction::Inbound, "10.0.0.1", "10.0.0.2");
  bad.encr_key.resize(3);
  EXPECT_FALSE(dp.add_sa(bad));
  dp.raise_expire(Event::Kind::SoftExpire, *a, Direction::Inbound);
  dp.raise_acquire(5, host_pair("1.1.1.1", "2.2.2.2"));
  auto ev = dp.drain_events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, Event::Kind::SoftExpire);
  EXPECT_EQ(ev[0].reqid, 1u);
  EXPECT_EQ(ev[1].reqid, 5u);
  EXPECT_TRUE(dp.delete_sa(*a, Direction::Inbound));
  EXPECT_FALSE(dp.delete_sa(*a, Direction::Inbound));
  EXPECT_FALSE(dp.counters(*a, Direction::Inbound));
  dp.set_encap_socket(7);
  EXPECT_EQ(dp.encap_socket(), 7);
  EXPECT_TRUE(dp.shutdown());
  EXPECT_TRUE(dp.is_shut_down());
}

TEST(Spd, SelectorsAndPreference) {
  Spd spd;
  TrafficSelector any = host_pair("0.0.0.0", "0.0.0.0");
  any.src_end = any.dst_end = ip("255.255.255.255");
  TrafficSelector web = any;
  web.protocol = 6;
  web.dst_port_start = web.dst_port_end = 443;
  spd.add({1, any, 20, {}, {}, "M", 20});
  spd.add({2, web, 10, {}, {}, "M", 10});
  auto tcp443 = parse_five_tuple(ipv4("1.2.3.4", "5.6.7.8", 6, 40000, 443));
  auto tcp80 = parse_five_tuple(ipv4("1.2.3.4", "5.6.7.8", 6, 40000, 80));
  ASSERT_TRUE(tcp443 && tcp80);
  EXPECT_EQ(spd.lookup(*tcp443)->reqid, 2u);
  EXPECT_EQ(spd.lookup(*tcp80)->reqid, 1u);
  EXPECT_TRUE(selector_matches(web, *parse_five_tuple(ipv4("5.6.7.8", "1.2.3.4", 6, 443, 40000)), true));
  EXPECT_TRUE(spd.remove(2));
  EXPECT_EQ(spd.lookup(*tcp443)->reqid, 1u);
  // IPv6 with a fragment header in front of UDP.
  Bytes v6(40 + 8 + 8, 0);
  v6[0] = 0x60;
  v6[6] = 44;
  v6[8 + 15] = 1;
  v6[24 + 15] = 2;
  v6[40] = 17;
  store_be16(v6.data() + 48, 1234);
  store_be16(v6.data() + 50, 53);
  auto t6 = parse_five_tuple(v6);
  ASSERT_TRUE(t6);
  EXPECT_EQ(t6->protocol, 17);
  EXPECT_EQ(t6->dst_port, 53);
  EXPECT_FALSE(parse_five_tuple(Bytes{0x45, 0}));
}

}  // namespace
}  // namespace ikegate::dataplane
