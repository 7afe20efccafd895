// UDP sockets for IKE on one local address: the IKE port (500) and the NAT-T port (4500).
//
// Port 4500 carries three kinds of datagrams that must be told apart by their first octets
// (RFC 3948 2.2, RFC 7296 2.23):
//   - 0xFF alone: a NAT-keepalive (RFC 3948 2.3), only there to keep a NAT mapping; dropped;
//   - four zero octets (the non-ESP marker) then an IKE message: marker stripped, on_ike;
//   - anything else: ESP in UDP, the first four octets being the SPI (never zero), on_esp.
// Port 500 carries IKE messages only, with no marker.
//
// Every datagram's local address is taken from IP_PKTINFO / IPV6_PKTINFO, so one socket bound to
// the wildcard still knows which address a peer used (the engine needs it for NAT detection,
// RFC 7296 2.23, and must answer from it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <sys/socket.h>

#include "common/bytes.h"
#include "common/ip.h"
#include "common/result.h"
#include "daemon/event_loop.h"
#include "daemon/unique_fd.h"

namespace ikegate::daemon {

struct Datagram {
  Endpoint local;   // the address the peer sent to, and our port
  Endpoint remote;
  ByteView data;    // valid only during the callback; IKE without the non-ESP marker
};

struct IkeSocketConfig {
  // An unspecified address (0.0.0.0 or ::) binds every address of that family.
  IpAddress local;
  std::uint16_t ike_port = 500;    // 0 picks an ephemeral port (tests)
  std::uint16_t natt_port = 4500;  // 0 picks an ephemeral port (tests)
};

// For `show crypto ikev2 stats`. Touched by the loop thread only.
struct IkeSocketStats {
  std::uint64_t ike_received = 0;
  std::uint64_t esp_received = 0;
  std::uint64_t keepalives_received = 0;
  std::uint64_t ike_sent = 0;
  std::uint64_t keepalives_sent = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t receive_errors = 0;
  std::uint64_t dropped_too_short = 0;  // shorter than an IKE header or an ESP header
  std::uint64_t dropped_truncated = 0;  // larger than the receive buffer
};

class IkeSocket {
 public:
  struct Callbacks {
    std::function<void(const Datagram&)> on_ike;
    std::function<void(const Datagram&)> on_esp;  // may be empty: ESP is then counted and dropped
  };

  // RFC 7296 3.1: the IKE header is 28 octets; nothing shorter can be an IKE message.
  static constexpr std::size_t kIkeHeaderSize = 28;
  // RFC 4303 2: SPI and sequence number.
  static constexpr std::size_t kEspHeaderSize = 8;
  // RFC 3948 2.2.
  static constexpr std::size_t kNonEspMarkerSize = 4;
  static constexpr std::size_t kBatch = 16;
  static constexpr std::size_t kMaxDatagram = 65536;

  static Result<std::unique_ptr<IkeSocket>> open(EventLoop& loop, const IkeSocketConfig& config,
                                                 Callbacks callbacks);

  ~IkeSocket();
  IkeSocket(const IkeSocket&) = delete;
  IkeSocket& operator=(const IkeSocket&) = delete;

  // Sends an IKE message from `local` (its port selects the socket; from the NAT-T port the
  // non-ESP marker is prepended). With a wildcard-bound socket and a specified local address,
  // that address is set as the source with IP_PKTINFO.
  Result<void> send(const Endpoint& local, const Endpoint& remote, ByteView ike_message);
  // RFC 3948 2.3: a single 0xFF octet from the NAT-T port.
  Result<void> send_keepalive(const Endpoint& remote, const IpAddress& local = {});

  int fd_500() const { return ike_fd_.get(); }
  // The data plane sends ESP-in-UDP through this socket (RFC 3948 2.1: no marker for ESP).
  int fd_4500() const { return natt_fd_.get(); }
  // The bound endpoints (with the real port when 0 was configured).
  const Endpoint& local_ike() const { return local_ike_; }
  const Endpoint& local_natt() const { return local_natt_; }
  const IkeSocketStats& stats() const { return stats_; }

 private:
  struct Key {};

 public:
  IkeSocket(Key, Callbacks callbacks);  // use open()

 private:
  struct Batch;

  Result<void> bind_one(UniqueFd& fd, const IpAddress& address, std::uint16_t port,
                        Endpoint& bound);
  void on_readable(int fd, bool natt);
  void dispatch(const Endpoint& local, const Endpoint& remote, ByteView data, bool natt);
  Result<void> send_parts(int fd, const IpAddress& local, const Endpoint& remote, ByteView head,
                          ByteView body);

  Callbacks callbacks_;
  bool wildcard_ = false;
  UniqueFd ike_fd_;
  UniqueFd natt_fd_;
  Endpoint local_ike_;
  Endpoint local_natt_;
  EventLoop::Handle ike_watch_;
  EventLoop::Handle natt_watch_;
  std::unique_ptr<Batch> batch_;  // receive buffers, allocated once
  IkeSocketStats stats_;
};

}  // namespace ikegate::daemon
