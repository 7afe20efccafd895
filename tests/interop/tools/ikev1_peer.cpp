// The IKEv1 engine on real UDP sockets, for interoperability tests against strongSwan before the
// daemon carries IKEv1: an IOS configuration goes through the parser and policy::from_model, the
// engine runs on ports 500 and 4500 (non-ESP marker on 4500, RFC 3948 2.2) of the address the
// configuration gives, with the in-memory data plane. It prints the engine's trace and, once an
// ISAKMP SA and an IPsec SA are up, one line per IPsec SA:
//   IPSEC spi_in=XXXXXXXX spi_out=XXXXXXXX encr=N key_bits=N integ=N nat_t=0|1 keys_in=H keys_out=H
// where H is the first 8 octets of SHA-256(encryption key | integrity key) of that direction, so a
// test can compare the KEYMAT with the peer's without printing a key.
// Usage: ikev1_peer CONFIG [--initiate MAP SEQ] [--aggressive] [--seconds N] [--hold N]
//   --seconds  give up after N seconds without an IPsec SA (exit 1; default 30)
//   --hold     keep answering for N seconds after the IPsec SA is up (default 3)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "config/parser.h"
#include "crypto/ikev1.h"
#include "dataplane/fake.h"
#include "ikev1/engine.h"
#include "policy/from_model.h"

using namespace ikegate;

namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

int bind_udp(const IpAddress& a, std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(a.v4_value());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct Peer : ikev1::Host {
  int fd500 = -1, fd4500 = -1;
  void send(const Endpoint& local, const Endpoint& remote, ByteView d) override {
    static std::uint8_t marker[4] = {0, 0, 0, 0};  // non-ESP marker on 4500
    bool natt = local.port == 4500;
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(remote.port);
    sin.sin_addr.s_addr = htonl(remote.address.v4_value());
    iovec iov[2] = {{marker, natt ? sizeof marker : 0}, {const_cast<std::uint8_t*>(d.data()), d.size()}};
    msghdr msg{};
    msg.msg_name = &sin;
    msg.msg_namelen = sizeof sin;
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    ::sendmsg(natt ? fd4500 : fd500, &msg, 0);
  }
  void trace(const ikev1::TraceEvent& e) override {
    if (e.kind == ikev1::TraceEvent::Kind::StateChange)
      std::printf("ISAKMP:(%u):Old State = %.*s New State = %.*s\n", e.conn_id, static_cast<int>(e.old_state.size()),
                  e.old_state.data(), static_cast<int>(e.new_state.size()), e.new_state.data());
    else
      std::printf("ISAKMP:(%u): %s\n", e.conn_id, e.text.c_str());
    std::fflush(stdout);
  }
  bool tracing(int) const override { return true; }
  void send_keepalive(const Endpoint& local, const Endpoint& remote) override {
    std::uint8_t ff = 0xff;
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(remote.port);
    sin.sin_addr.s_addr = htonl(remote.address.v4_value());
    (void)local;
    ::sendto(fd4500, &ff, 1, 0, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ikev1_peer CONFIG [--initiate MAP SEQ] [--seconds N] [--hold N]\n");
    return 2;
  }
  std::string map;
  std::uint32_t seq = 0;
  int seconds = 30, hold = 3;
  ikev1::EngineOptions options;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--initiate" && i + 2 < argc) {
      map = argv[++i];
      seq = static_cast<std::uint32_t>(std::stoul(argv[++i]));
    } else if (a == "--aggressive") {
      options.aggressive = true;
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::stoi(argv[++i]);
    } else if (a == "--hold" && i + 1 < argc) {
      hold = std::stoi(argv[++i]);
    } else {
      std::fprintf(stderr, "ikev1_peer: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  std::ifstream in(argv[1]);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = config::load_config(text.str());
  if (!parsed.ok()) {
    std::fprintf(stderr, "ikev1_peer: %s does not load\n", argv[1]);
    return 2;
  }
  auto pol = policy::from_model(parsed.model);
  if (!pol || pol->ikev1_addresses.empty()) {
    std::fprintf(stderr, "ikev1_peer: no IKEv1 policy (%s)\n", pol ? "no address" : pol.error().message.c_str());
    return 2;
  }
  IpAddress me = pol->ikev1_addresses.front();
  Peer host;
  Fd s500(bind_udp(me, 500)), s4500(bind_udp(me, 4500));
  if (s500.fd < 0 || s4500.fd < 0) {
    std::perror("ikev1_peer: bind");
    return 2;
  }
  host.fd500 = s500.fd;
  host.fd4500 = s4500.fd;
  dataplane::FakeDataPlane dp;
  SystemRandom random;
  ikev1::Engine engine(std::make_shared<policy::Policy>(std::move(*pol)), dp, random, host, options);
  auto key_digest = [&](std::uint32_t spi, dataplane::Direction d) {
    const auto* sa = dp.sa(spi, d);
    if (!sa) return std::string("-");
    Bytes h = crypto::ikev1::hash(PrfId::HMAC_SHA2_256, {sa->encr_key.view(), sa->integ_key.view()});
    return to_hex(ByteView(h).first(8));
  };
  if (auto r = engine.install_policies(); !r) {
    std::fprintf(stderr, "ikev1_peer: %s\n", r.error().message.c_str());
    return 2;
  }
  auto start = Clock::now();
  if (!map.empty())
    if (auto r = engine.initiate(map, seq, 0, start); !r) {
      std::fprintf(stderr, "ikev1_peer: %s\n", r.error().message.c_str());
      return 1;
    }
  std::optional<TimePoint> up;
  while (true) {
    TimePoint now = Clock::now();
    if (!up) {
      auto snap = engine.snapshot(now);
      bool p1 = false;
      for (const auto& s : snap.isakmp) p1 = p1 || s.established;
      bool both_ways = !snap.ipsec.empty() && dp.sa(snap.ipsec[0].spi_out, dataplane::Direction::Outbound);
      if (p1 && both_ways) {
        up = now;
        for (const auto& s : snap.ipsec)
          std::printf("IPSEC spi_in=%08x spi_out=%08x encr=%u key_bits=%u integ=%u nat_t=%d keys_in=%s keys_out=%s\n",
                      s.spi_in, s.spi_out, static_cast<unsigned>(s.encr), s.key_bits, static_cast<unsigned>(s.integ),
                      s.nat_t ? 1 : 0, key_digest(s.spi_in, dataplane::Direction::Inbound).c_str(),
                      key_digest(s.spi_out, dataplane::Direction::Outbound).c_str());
        std::fflush(stdout);
      } else if (now - start > std::chrono::seconds(seconds)) {
        std::printf("ikev1_peer: no IPsec SA after %d s\n", seconds);
        return 1;
      }
    } else if (now - *up > std::chrono::seconds(hold)) {
      return 0;
    }
    int wait_ms = 200;
    if (auto d = engine.next_deadline())
      wait_ms = static_cast<int>(std::clamp<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(*d - now).count(), 0, 200));
    pollfd fds[2] = {{s500.fd, POLLIN, 0}, {s4500.fd, POLLIN, 0}};
    ::poll(fds, 2, wait_ms);
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      std::uint8_t buf[65536];
      sockaddr_in from{};
      socklen_t fl = sizeof from;
      ssize_t n = ::recvfrom(fds[i].fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n <= 0) continue;
      ByteView d(buf, static_cast<std::size_t>(n));
      std::uint16_t lport = i == 0 ? 500 : 4500;
      if (lport == 4500) {
        // RFC 3948: a non-ESP marker before IKE; a lone 0xFF is a keepalive; ESP is not ours.
        if (d.size() < 4 || load_be32(d.data()) != 0) continue;
        d = d.subspan(4);
      }
      Endpoint local{me, lport}, remote{IpAddress::v4(ntohl(from.sin_addr.s_addr)), ntohs(from.sin_port)};
      engine.on_datagram(local, remote, d, Clock::now());
    }
    for (const auto& ev : dp.drain_events()) engine.on_dataplane_event(ev, Clock::now());
    engine.on_timer(Clock::now());
  }
}
