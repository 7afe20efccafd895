#include "daemon/ike_socket.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "daemon/sockaddr.h"

namespace ikegate::daemon {

namespace {

constexpr std::size_t kControlSize = CMSG_SPACE(sizeof(in6_pktinfo));
// Bound the work done per readable event so a flood on one socket cannot starve the others.
constexpr int kMaxBatchesPerEvent = 4;
constexpr std::array<std::uint8_t, 4> kNonEspMarker{0, 0, 0, 0};
constexpr std::array<std::uint8_t, 1> kKeepalive{0xFF};

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

struct IkeSocket::Batch {
  std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(kBatch * kMaxDatagram);
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  std::array<sockaddr_storage, kBatch> names{};
  struct alignas(cmsghdr) Control {
    std::array<std::uint8_t, kControlSize> bytes;
  };
  std::array<Control, kBatch> controls{};

  void prepare() {
    for (std::size_t i = 0; i < kBatch; ++i) {
      iovs[i] = iovec{buffer.data() + i * kMaxDatagram, kMaxDatagram};
      msghdr& h = msgs[i].msg_hdr;
      h = msghdr{};
      h.msg_name = &names[i];
      h.msg_namelen = sizeof(sockaddr_storage);
      h.msg_iov = &iovs[i];
      h.msg_iovlen = 1;
      h.msg_control = controls[i].bytes.data();
      h.msg_controllen = kControlSize;
      msgs[i].msg_len = 0;
    }
  }
};

IkeSocket::IkeSocket(Key, Callbacks callbacks)
    : callbacks_(std::move(callbacks)), batch_(std::make_unique<Batch>()) {}

IkeSocket::~IkeSocket() = default;

Result<std::unique_ptr<IkeSocket>> IkeSocket::open(EventLoop& loop, const IkeSocketConfig& config,
                                                   Callbacks callbacks) {
  auto self = std::make_unique<IkeSocket>(Key{}, std::move(callbacks));
  self->wildcard_ = config.local.is_unspecified();
  if (auto r = self->bind_one(self->ike_fd_, config.local, config.ike_port, self->local_ike_); !r)
    return std::unexpected(r.error());
  if (auto r = self->bind_one(self->natt_fd_, config.local, config.natt_port, self->local_natt_);
      !r)
    return std::unexpected(r.error());
  IkeSocket* raw = self.get();
  self->ike_watch_ = loop.watch_readable(raw->ike_fd_.get(), [raw] {
    raw->on_readable(raw->ike_fd_.get(), false);
  });
  self->natt_watch_ = loop.watch_readable(raw->natt_fd_.get(), [raw] {
    raw->on_readable(raw->natt_fd_.get(), true);
  });
  return self;
}

Result<void> IkeSocket::bind_one(UniqueFd& fd, const IpAddress& address, std::uint16_t port,
                                 Endpoint& bound) {
  const bool v4 = address.is_v4();
  const int family = v4 ? AF_INET : AF_INET6;
  fd.reset(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return fail(fmt::format("cannot create a UDP socket: {}", errno_text(errno)));
  const int on = 1;
  // A restarted daemon must rebind at once even if the old socket lingers.
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  int rc = v4 ? ::setsockopt(fd.get(), IPPROTO_IP, IP_PKTINFO, &on, sizeof on)
              : ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
  if (rc != 0) return fail(fmt::format("cannot enable packet info: {}", errno_text(errno)));
  if (!v4) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(Endpoint{address, port}, ss);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
    return fail(fmt::format("cannot bind UDP {}: {}", Endpoint{address, port}.to_string(),
                            errno_text(errno)));
  len = sizeof ss;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    return fail(fmt::format("getsockname: {}", errno_text(errno)));
  auto ep = from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  if (!ep) return fail("getsockname returned an unexpected address family");
  bound = *ep;
  return {};
}

void IkeSocket::on_readable(int fd, bool natt) {
  const std::uint16_t port = natt ? local_natt_.port : local_ike_.port;
  for (int round = 0; round < kMaxBatchesPerEvent; ++round) {
    batch_->prepare();
    int n = ::recvmmsg(fd, batch_->msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ++stats_.receive_errors;
      return;
    }
    for (int i = 0; i < n; ++i) {
      msghdr& h = batch_->msgs[i].msg_hdr;
      if (h.msg_flags & MSG_TRUNC) {
        ++stats_.dropped_truncated;
        continue;
      }
      auto remote = from_sockaddr(static_cast<sockaddr*>(h.msg_name), h.msg_namelen);
      if (!remote) {
        ++stats_.receive_errors;
        continue;
      }
      Endpoint local{natt ? local_natt_.address : local_ike_.address, port};
      for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          in_pktinfo pi;
          std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
          local.address = IpAddress::v4(ntohl(pi.ipi_addr.s_addr));
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
          in6_pktinfo pi;
          std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
          std::array<std::uint8_t, 16> octets;
          std::memcpy(octets.data(), &pi.ipi6_addr, 16);
          local.address = IpAddress::v6(octets);
        }
      }
      dispatch(local, *remote,
               ByteView(static_cast<const std::uint8_t*>(batch_->iovs[i].iov_base),
                        batch_->msgs[i].msg_len),
               natt);
    }
    if (static_cast<std::size_t>(n) < kBatch) return;
  }
}

void IkeSocket::dispatch(const Endpoint& local, const Endpoint& remote, ByteView data, bool natt) {
  if (!natt) {
    if (data.size() < kIkeHeaderSize) {
      ++stats_.dropped_too_short;
      return;
    }
    ++stats_.ike_received;
    if (callbacks_.on_ike) callbacks_.on_ike(Datagram{local, remote, data});
    return;
  }
  // RFC 3948 2.3: the keepalive is exactly one 0xFF octet.
  if (data.size() == 1 && data[0] == 0xFF) {
    ++stats_.keepalives_received;
    return;
  }
  if (data.size() < kNonEspMarkerSize) {
    ++stats_.dropped_too_short;
    return;
  }
  if (load_be32(data.data()) == 0) {
    // RFC 3948 2.2: the non-ESP marker; an SPI of zero is reserved, so this cannot be ESP.
    ByteView ike = data.subspan(kNonEspMarkerSize);
    if (ike.size() < kIkeHeaderSize) {
      ++stats_.dropped_too_short;
      return;
    }
    ++stats_.ike_received;
    if (callbacks_.on_ike) callbacks_.on_ike(Datagram{local, remote, ike});
    return;
  }
  if (data.size() < kEspHeaderSize) {
    ++stats_.dropped_too_short;
    return;
  }
  ++stats_.esp_received;
  if (callbacks_.on_esp) callbacks_.on_esp(Datagram{local, remote, data});
}

Result<void> IkeSocket::send_parts(int fd, const IpAddress& local, const Endpoint& remote,
                                   ByteView head, ByteView body) {
  if (remote.address.is_v4() != local_ike_.address.is_v4()) {
    ++stats_.send_errors;
    return fail(fmt::format("cannot send to {} from a socket of the other address family",
                            remote.to_string()));
  }
  sockaddr_storage ss;
  const socklen_t len = to_sockaddr(remote, ss);
  std::array<iovec, 2> iov{iovec{const_cast<std::uint8_t*>(head.data()), head.size()},
                           iovec{const_cast<std::uint8_t*>(body.data()), body.size()}};
  msghdr h{};
  h.msg_name = &ss;
  h.msg_namelen = len;
  h.msg_iov = iov.data();
  h.msg_iovlen = iov.size();
  Batch::Control control{};
  // Only a wildcard-bound socket needs the source chosen per datagram: the engine answers from
  // the address the request came to.
  if (wildcard_ && !local.is_unspecified()) {
    h.msg_control = control.bytes.data();
    cmsghdr* c;
    if (local.is_v4()) {
      h.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
      c = CMSG_FIRSTHDR(&h);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo pi{};
      std::memcpy(&pi.ipi_spec_dst, local.bytes().data(), 4);
      std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    } else {
      h.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
      c = CMSG_FIRSTHDR(&h);
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
      in6_pktinfo pi{};
      std::memcpy(&pi.ipi6_addr, local.bytes().data(), 16);
      std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    }
  }
  if (::sendmsg(fd, &h, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
    ++stats_.send_errors;
    return fail(fmt::format("cannot send to {}: {}", remote.to_string(), errno_text(errno)));
  }
  return {};
}

Result<void> IkeSocket::send(const Endpoint& local, const Endpoint& remote, ByteView ike_message) {
  if (local.port == local_natt_.port) {
    auto r = send_parts(natt_fd_.get(), local.address, remote, kNonEspMarker, ike_message);
    if (r) ++stats_.ike_sent;
    return r;
  }
  if (local.port == local_ike_.port) {
    auto r = send_parts(ike_fd_.get(), local.address, remote, {}, ike_message);
    if (r) ++stats_.ike_sent;
    return r;
  }
  ++stats_.send_errors;
  return fail(fmt::format("no IKE socket on local port {}", local.port));
}

Result<void> IkeSocket::send_keepalive(const Endpoint& remote, const IpAddress& local) {
  auto r = send_parts(natt_fd_.get(), local, remote, kKeepalive, {});
  if (r) ++stats_.keepalives_sent;
  return r;
}

}  // namespace ikegate::daemon
