#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "daemon/ike_socket.h"
#include "daemon/sockaddr.h"
#include "daemon/unique_fd.h"

using namespace ikegate;
using namespace ikegate::daemon;
using namespace std::chrono_literals;

namespace {

const IpAddress kLoopback = IpAddress::v4(0x7f000001);

// A plain UDP socket playing the peer (or its NAT) on 127.0.0.1.
struct Peer {
  UniqueFd fd{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  Endpoint self;
  Peer() {
    sockaddr_storage ss;
    socklen_t len = to_sockaddr(Endpoint{kLoopback, 0}, ss);
    EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len), 0);
    len = sizeof ss;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
    self = *from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  }
  void send_to(const Endpoint& to, const Bytes& data) {
    sockaddr_storage ss;
    socklen_t len = to_sockaddr(to, ss);
    ASSERT_EQ(::sendto(fd.get(), data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss),
                       len),
              static_cast<ssize_t>(data.size()));
  }
  // Bounded receive.
  std::optional<std::pair<Endpoint, Bytes>> receive() {
    timeval tv{2, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    Bytes buf(65536);
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    ssize_t n = ::recvfrom(fd.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&ss),
                           &len);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<std::size_t>(n));
    return std::make_pair(*from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len), buf);
  }
};

Bytes ike_message(std::uint8_t fill, std::size_t size = 40) {
  Bytes m(size, fill);
  m[0] = 0x11;  // a nonzero initiator SPI, as RFC 7296 3.1 requires
  return m;
}

struct Received {
  std::vector<std::pair<Datagram, Bytes>> ike, esp;
};

struct Fixture {
  EventLoop loop;
  Received got;
  std::unique_ptr<IkeSocket> sock;
  explicit Fixture(IpAddress local = kLoopback) {
    IkeSocket::Callbacks cb;
    cb.on_ike = [this](const Datagram& d) {
      got.ike.emplace_back(d, Bytes(d.data.begin(), d.data.end()));
    };
    cb.on_esp = [this](const Datagram& d) {
      got.esp.emplace_back(d, Bytes(d.data.begin(), d.data.end()));
    };
    auto s = IkeSocket::open(loop, IkeSocketConfig{local, 0, 0}, std::move(cb));
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    if (s) sock = std::move(*s);
  }
  // Runs the loop until `pred` holds (bounded).
  template <class Pred>
  bool run_until(Pred pred) {
    const auto deadline = Clock::now() + 3s;
    while (!pred() && Clock::now() < deadline) loop.run_for(5ms);
    return pred();
  }
};

}  // namespace

TEST(IkeSocket, BindsEphemeralPortsOnLoopback) {
  Fixture f;
  ASSERT_TRUE(f.sock);
  EXPECT_NE(f.sock->local_ike().port, 0);
  EXPECT_NE(f.sock->local_natt().port, 0);
  EXPECT_NE(f.sock->local_ike().port, f.sock->local_natt().port);
  EXPECT_EQ(f.sock->local_ike().address, kLoopback);
  EXPECT_GE(f.sock->fd_4500(), 0);
}

TEST(IkeSocket, IkeOnPort500IsDeliveredWhole) {
  Fixture f;
  ASSERT_TRUE(f.sock);
  Peer peer;
  const Bytes msg = ike_message(0xAB);
  peer.send_to(f.sock->local_ike(), msg);
  ASSERT_TRUE(f.run_until([&] { return f.got.ike.size() == 1; }));
  const auto& [d, data] = f.got.ike[0];
  EXPECT_EQ(data, msg);
  EXPECT_EQ(d.remote, peer.self);
  EXPECT_EQ(d.local, f.sock->local_ike());
  EXPECT_EQ(f.sock->stats().ike_received, 1u);
}

TEST(IkeSocket, NonEspMarkerIsStrippedOn4500) {
  Fixture f;
  ASSERT_TRUE(f.sock);
  Peer peer;
  const Bytes msg = ike_message(0xCD);
  Bytes wire(4 + msg.size(), 0);  // the non-ESP marker, then the message
  std::copy(msg.begin(), msg.end(), wire.begin() + 4);
  peer.send_to(f.sock->local_natt(), wire);
  ASSERT_TRUE(f.run_until([&] { return f.got.ike.size() == 1; }));
  EXPECT_EQ(f.got.ike[0].second, msg);
  EXPECT_EQ(f.got.ike[0].first.local.port, f.sock->local_natt().port);
  EXPECT_TRUE(f.got.esp.empty());
}

TEST(IkeSocket, EspInUdpGoesToOnEsp) {
  Fixture f;
  ASSERT_TRUE(f.sock);
  Peer peer;
  Bytes esp{0xDF, 0xA3, 0xB5, 0x83, 0, 0, 0, 1, 0x42, 0x42, 0x42, 0x42};  // SPI, seq, payload
  peer.send_to(f.sock->local_natt(), esp);
  ASSERT_TRUE(f.run_until([&] { return f.got.esp.size() == 1; }));
  EXPECT_EQ(f.got.esp[0].second, esp);  // the SPI is part of ESP: nothing stripped
  EXPECT_TRUE(f.got.ike.empty());
  EXPECT_EQ(f.sock->stats().esp_received, 1u);
}

TEST(IkeSocket, KeepaliveAndRuntsAreDroppedAndCounted) {
  Fixture f;
  ASSERT_TRUE(f.sock);
  Peer peer;
  peer.send_to(f.sock->local_natt(), Bytes{0xFF});              // NAT-keepalive
  peer.send_to(f.sock->local_natt(), Bytes{0, 0});              // shorter than the marker
  peer.send_to(f.sock->local_natt(), Bytes{0, 0, 0, 0, 1, 2});  // marker, no IKE header
  peer.send_to(f.sock->local_natt(), Bytes{1, 2, 3, 4, 5});     // SPI, no sequence number
  peer.send_to(f.sock->local_ike(), Bytes(27, 0x11));           // one short of an IKE header
  peer.send_to(f.sock->local_ike(), ike_message(0x01));         // then a good one
  ASSERT_TRUE(f.run_until([&] { return f.got.ike.size() == 1; }));
  ASSERT_TRUE(f.run_until([&] { return f.sock->stats().dropped_too_short == 4; }));
  EXPECT_EQ(f.sock->stats().keepalives_received, 1u);
  EXPECT_TRUE(f.got.esp.empty());
}

TEST(IkeSocket, SendFrom4500PrependsMarkerAndFrom500DoesNot) {
  Fixture f;
  ASSERT_TRUE(f.sock);
  Peer peer;
  const Bytes msg = ike_message(0x77);
  ASSERT_TRUE(f.sock->send(f.sock->local_natt(), peer.self, msg));
  auto r = peer.receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, f.sock->local_natt());
  ASSERT_EQ(r->second.size(), msg.size() + 4);
  EXPECT_EQ(Bytes(r->second.begin(), r->second.begin() + 4), (Bytes{0, 0, 0, 0}));
  EXPECT_EQ(Bytes(r->second.begin() + 4, r->second.end()), msg);

  ASSERT_TRUE(f.sock->send(f.sock->local_ike(), peer.self, msg));
  r = peer.receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, f.sock->local_ike());
  EXPECT_EQ(r->second, msg);

  ASSERT_TRUE(f.sock->send_keepalive(peer.self));
  r = peer.receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->second, Bytes{0xFF});
  EXPECT_EQ(f.sock->stats().ike_sent, 2u);
  EXPECT_EQ(f.sock->stats().keepalives_sent, 1u);

  EXPECT_FALSE(f.sock->send(Endpoint{kLoopback, 1}, peer.self, msg));  // no socket on port 1
}

TEST(IkeSocket, WildcardSocketLearnsAndAnswersFromLocalAddress) {
  Fixture f(IpAddress{});  // 0.0.0.0: the local address comes from IP_PKTINFO
  ASSERT_TRUE(f.sock);
  Peer peer;
  const Endpoint target{kLoopback, f.sock->local_ike().port};
  peer.send_to(target, ike_message(0x33));
  ASSERT_TRUE(f.run_until([&] { return f.got.ike.size() == 1; }));
  EXPECT_EQ(f.got.ike[0].first.local, target);
  // Answer from the address the request came to (the engine's rule, RFC 7296 2.11).
  ASSERT_TRUE(f.sock->send(f.got.ike[0].first.local, f.got.ike[0].first.remote, ike_message(1)));
  auto r = peer.receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, target);
}

TEST(IkeSocket, BatchOfManyDatagramsIsDeliveredInOrder) {
  Fixture f;
  ASSERT_TRUE(f.sock);
  Peer peer;
  for (int i = 0; i < 100; ++i) peer.send_to(f.sock->local_ike(), ike_message(static_cast<std::uint8_t>(i)));
  ASSERT_TRUE(f.run_until([&] { return f.got.ike.size() == 100; }));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(f.got.ike[i].second[1], i);
}

TEST(IkeSocket, Ipv6Loopback) {
  auto v6 = IpAddress::parse("::1");
  ASSERT_TRUE(v6);
  EventLoop loop;
  auto s = IkeSocket::open(loop, IkeSocketConfig{*v6, 0, 0}, {});
  if (!s) GTEST_SKIP() << "no IPv6 here: " << s.error().message;
  EXPECT_EQ((*s)->local_natt().address, *v6);
  // Sending to the other family fails cleanly.
  EXPECT_FALSE((*s)->send((*s)->local_ike(), Endpoint{kLoopback, 500}, ike_message(1)));
}

TEST(IkeSocket, PortInUseIsAClearError) {
  Fixture f;
  ASSERT_TRUE(f.sock);
  EventLoop loop;
  UniqueFd blocker(::socket(AF_INET, SOCK_DGRAM, 0));
  // Another socket without SO_REUSEADDR holds the port.
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(Endpoint{kLoopback, 0}, ss);
  ASSERT_EQ(::bind(blocker.get(), reinterpret_cast<sockaddr*>(&ss), len), 0);
  len = sizeof ss;
  ::getsockname(blocker.get(), reinterpret_cast<sockaddr*>(&ss), &len);
  const auto port = from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len)->port;
  auto s = IkeSocket::open(loop, IkeSocketConfig{kLoopback, port, 0}, {});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("cannot bind UDP 127.0.0.1:"), std::string::npos)
      << s.error().message;
}
