// dp_static: installs one static CHILD SA pair and its policy on the userspace data plane, with
// keys derived from a secret given on the command line, and runs until SIGTERM/SIGINT. Prints
// events as they arrive and the SA counters on SIGUSR1 and on exit. Test tool only.
//
//   dp_static --local 10.0.0.1 --remote 10.0.0.2 --src 192.168.1.1/32 --dst 192.168.2.99/32
//             --out-spi 0x1001 --in-spi 0x2002 --suite aes-gcm-128|aes-cbc-256-sha1
//             --secret TEXT [--udp 4500] [--no-sa | --sa-on-acquire] [--tun NAME] [--table N]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include <fmt/format.h>

#include "dataplane/userspace.h"

using namespace ikegate;
using namespace ikegate::dataplane;

namespace {

[[noreturn]] void die(const std::string& msg) {
  fmt::print(stderr, "dp_static: {}\n", msg);
  std::exit(2);
}

// "a.b.c.d/len" or a single address, as an inclusive range.
std::pair<IpAddress, IpAddress> parse_range(const std::string& text) {
  const auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr || !addr->is_v4()) die("bad IPv4 prefix " + text);
  const int len = slash == std::string::npos ? 32 : std::atoi(text.c_str() + slash + 1);
  const std::uint32_t mask = len == 0 ? 0 : prefix_to_netmask(len);
  return {IpAddress::v4(addr->v4_value() & mask), IpAddress::v4((addr->v4_value() & mask) | ~mask)};
}

// Key material for one direction: SHA-256(secret | spi | label), repeated as needed. Both
// gateways given the same secret derive the same keys.
SecretBytes derive(const std::string& secret, std::uint32_t spi, char label, std::size_t len) {
  SecretBytes out;
  for (std::uint8_t counter = 0; out.size() < len; ++counter) {
    Bytes in(secret.begin(), secret.end());
    put_be32(in, spi);
    in.push_back(static_cast<std::uint8_t>(label));
    in.push_back(counter);
    std::uint8_t md[32];
    unsigned md_len = 0;
    EVP_Digest(in.data(), in.size(), md, &md_len, EVP_sha256(), nullptr);
    out.append(ByteView(md, md_len));
  }
  out.resize(len);
  return out;
}

void print_counters(const DataPlane& dp, std::uint32_t spi, Direction d) {
  auto c = dp.counters(spi, d);
  if (!c) {
    fmt::print("spi 0x{:08x} {}: not installed\n", spi, to_string(d));
  } else if (d == Direction::Outbound) {
    fmt::print("spi 0x{:08x} outbound: #pkts encaps: {}, #pkts encrypt: {}, #pkts digest: {}, #send errors: {}\n",
               spi, c->encaps_or_decaps, c->encrypt_or_decrypt, c->digest_or_verify, c->send_errors);
  } else {
    fmt::print("spi 0x{:08x} inbound: #pkts decaps: {}, #pkts decrypt: {}, #pkts verify: {}, #recv errors: {}, "
               "replay failures: {}, auth failures: {}, policy failures: {}\n",
               spi, c->encaps_or_decaps, c->encrypt_or_decrypt, c->digest_or_verify, c->recv_errors,
               c->replay_failures, c->auth_failures, c->policy_failures);
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--no-sa" || k == "--sa-on-acquire") {
      a[k] = "1";
    } else if (k.rfind("--", 0) == 0 && i + 1 < argc) {
      a[k] = argv[++i];
    } else {
      die("unexpected argument " + k);
    }
  }
  for (const char* req : {"--local", "--remote", "--src", "--dst", "--out-spi", "--in-spi", "--secret"})
    if (!a.contains(req)) die(std::string("missing ") + req);
  const auto local = IpAddress::parse(a["--local"]);
  const auto remote = IpAddress::parse(a["--remote"]);
  if (!local || !remote) die("bad --local/--remote");
  const auto out_spi = static_cast<std::uint32_t>(std::stoul(a["--out-spi"], nullptr, 0));
  const auto in_spi = static_cast<std::uint32_t>(std::stoul(a["--in-spi"], nullptr, 0));
  const std::string suite = a.contains("--suite") ? a["--suite"] : "aes-gcm-128";
  const std::uint16_t udp_port = a.contains("--udp") ? static_cast<std::uint16_t>(std::stoi(a["--udp"])) : 0;

  UserspaceOptions opts;
  if (a.contains("--tun")) opts.tun_name = a["--tun"];
  if (a.contains("--table")) opts.route_table = static_cast<std::uint32_t>(std::stoul(a["--table"]));
  if (auto r = cleanup_stale(opts); !r) die("cleanup: " + r.error().message);

  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGTERM, SIGINT, SIGUSR1}) sigaddset(&mask, s);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);  // before the packet thread starts: it inherits it
  const int sfd = signalfd(-1, &mask, SFD_CLOEXEC);

  auto dpr = make_userspace_dataplane(opts);
  if (!dpr) die(dpr.error().message);
  DataPlane& dp = **dpr;

  int udp = -1;
  if (udp_port) {
    // Stands in for the daemon's UDP 4500 socket: ESP-in-UDP goes out from it and comes in on it.
    udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(udp_port);
    std::memcpy(&sin.sin_addr, local->bytes().data(), 4);
    if (udp < 0 || ::bind(udp, reinterpret_cast<sockaddr*>(&sin), sizeof sin) < 0) die("bind UDP port");
    dp.set_encap_socket(udp);
  }

  const auto [ss, se] = parse_range(a["--src"]);
  const auto [ds, de] = parse_range(a["--dst"]);
  PolicyParams pol;
  pol.reqid = 1;
  pol.selector.src_start = ss;
  pol.selector.src_end = se;
  pol.selector.dst_start = ds;
  pol.selector.dst_end = de;
  pol.priority = 10;
  pol.local = *local;
  pol.remote = *remote;
  pol.crypto_map = "CMAP";
  pol.seq = 10;
  if (auto r = dp.add_policy(pol); !r) die(r.error().message);

  auto make_sa = [&](std::uint32_t spi, Direction d) {
    SaParams p;
    p.spi = spi;
    p.direction = d;
    p.reqid = 1;
    p.local = *local;
    p.remote = *remote;
    if (udp_port) p.encap_local_port = p.encap_remote_port = udp_port;
    if (suite == "aes-gcm-128") {
      p.encr = EncrId::AES_GCM_16;
      p.key_bits = 128;
      p.integ = IntegId::NONE;
      p.encr_key = derive(a["--secret"], spi, 'e', 20);
    } else if (suite == "aes-cbc-256-sha1") {
      p.encr = EncrId::AES_CBC;
      p.key_bits = 256;
      p.integ = IntegId::HMAC_SHA1_96;
      p.encr_key = derive(a["--secret"], spi, 'e', 32);
      p.integ_key = derive(a["--secret"], spi, 'i', 20);
    } else {
      die("unknown suite " + suite);
    }
    return p;
  };
  auto install = [&] {
    if (auto r = dp.add_sa(make_sa(in_spi, Direction::Inbound)); !r) die(r.error().message);
    if (auto r = dp.add_sa(make_sa(out_spi, Direction::Outbound)); !r) die(r.error().message);
    fmt::print("installed SAs in 0x{:08x} out 0x{:08x}\n", in_spi, out_spi);
    std::fflush(stdout);
  };
  const bool defer = a.contains("--no-sa") || a.contains("--sa-on-acquire");
  if (!defer) install();
  fmt::print("ready\n");
  std::fflush(stdout);

  std::array<std::uint8_t, 2048> buf;
  bool running = true;
  while (running) {
    pollfd pfds[3] = {{sfd, POLLIN, 0}, {dp.event_fd(), POLLIN, 0}, {udp, POLLIN, 0}};
    if (::poll(pfds, udp >= 0 ? 3 : 2, 1000) < 0) continue;
    if (pfds[0].revents & POLLIN) {
      signalfd_siginfo si;
      if (::read(sfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGUSR1) {
          print_counters(dp, out_spi, Direction::Outbound);
          print_counters(dp, in_spi, Direction::Inbound);
        } else {
          running = false;
        }
      }
    }
    if (pfds[1].revents & POLLIN) {
      for (const Event& e : dp.drain_events()) {
        fmt::print("event {} reqid={} spi=0x{:08x} {} packet {} -> {} proto {}\n", to_string(e.kind), e.reqid,
                   e.spi, to_string(e.direction), e.packet.src_start.to_string(), e.packet.dst_start.to_string(),
                   e.packet.protocol);
        std::fflush(stdout);
        if (e.kind == Event::Kind::Acquire && a.contains("--sa-on-acquire") && !dp.counters(out_spi, Direction::Outbound))
          install();
      }
    }
    if (udp >= 0 && (pfds[2].revents & POLLIN)) {
      sockaddr_in from{};
      socklen_t fl = sizeof from;
      const ssize_t n = ::recvfrom(udp, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
      // RFC 3948 2.2/2.3: a zero "non-ESP marker" is IKE, a single 0xFF octet a keepalive.
      if (n >= 8 && load_be32(buf.data()) != 0) {
        Endpoint f{IpAddress::v4(ntohl(from.sin_addr.s_addr)), ntohs(from.sin_port)};
        dp.inject_udp_esp(ByteView(buf.data(), static_cast<std::size_t>(n)), f, Endpoint{*local, udp_port});
      }
    }
  }
  print_counters(dp, out_spi, Direction::Outbound);
  print_counters(dp, in_spi, Direction::Inbound);
  if (auto r = dp.shutdown(); !r) die(r.error().message);
  if (udp >= 0) ::close(udp);
  return 0;
}
