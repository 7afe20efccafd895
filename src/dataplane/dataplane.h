// The data-plane interface the IKE engines and the daemon program against. Backends: the
// userspace ESP data plane (userspace.h), a kernel XFRM backend (later) and an in-memory fake
// for tests (fake.h). The engines never see which one is in use.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/iana.h"
#include "common/ip.h"
#include "common/result.h"
#include "common/secret.h"
#include "common/selector.h"

namespace ikegate::dataplane {

enum class Direction : std::uint8_t { Inbound, Outbound };

// The selector type is shared with the policy and the engines (common/selector.h).
using TrafficSelector = ikegate::TrafficSelector;

// One IPsec SA (one direction of a CHILD SA).
struct SaParams {
  std::uint32_t spi = 0;
  Direction direction = Direction::Inbound;
  std::uint32_t reqid = 0;  // ties SAs to a policy: a CHILD SA is an in/out pair with one reqid
  IpAddress local, remote;  // tunnel endpoints (outer header)
  std::optional<std::uint16_t> encap_local_port, encap_remote_port;  // set => ESP-in-UDP (RFC 3948)
  EncrId encr = EncrId::AES_GCM_16;
  std::uint16_t key_bits = 128;
  IntegId integ = IntegId::NONE;
  SecretBytes encr_key;  // AES-GCM: includes the 4-octet salt at the end (RFC 4106 8.1)
  SecretBytes integ_key;
  bool esn = false;
  std::uint32_t replay_window = 64;  // 0 disables anti-replay
  std::uint64_t soft_bytes = 0, hard_bytes = 0, soft_packets = 0, hard_packets = 0;  // 0 = unlimited
  // Seconds after installation (0 = unlimited). The engines keep their own (monotonic) rekey
  // and expiry timers; these are the data plane's backstop: soft = the negotiated lifetime
  // (SoftExpire asks for a rekey if the engine has not rekeyed by then), hard a little later
  // (HardExpire: the SA is gone), so an SA never outlives its lifetime by much, even when the
  // daemon that negotiated it is stopped or killed.
  std::uint64_t soft_seconds = 0, hard_seconds = 0;
};

// The hard time limit the engines give an SA with a soft limit of `seconds` (its lifetime):
// a tenth more, at least 5 s, so that the engine's own deletion always comes first.
inline std::uint64_t hard_seconds_for(std::uint64_t seconds) {
  return seconds == 0 ? 0 : seconds + std::max<std::uint64_t>(5, seconds / 10);
}

struct PolicyParams {
  std::uint32_t reqid = 0;
  TrafficSelector selector;
  std::uint32_t priority = 0;  // lower = preferred, like the crypto map sequence number
  IpAddress local, remote;     // tunnel endpoints of the SAs that will carry this traffic
  std::string crypto_map;
  std::uint32_t seq = 0;
};

// What `show crypto ipsec sa` prints. For an outbound SA: packets = #pkts encaps,
// encrypt_or_decrypt = #pkts encrypt, digest_or_verify = #pkts digest; inbound: decaps, decrypt,
// verify. Errors are counted on the SA they were attributed to.
struct SaCounters {
  std::uint64_t packets = 0;  // packets successfully processed (inner packets)
  std::uint64_t bytes = 0;    // inner octets (what byte lifetimes count)
  std::uint64_t encaps_or_decaps = 0;
  std::uint64_t encrypt_or_decrypt = 0;
  std::uint64_t digest_or_verify = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t recv_errors = 0;
  std::uint64_t replay_failures = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t policy_failures = 0;  // inbound inner packet outside the SA's selector
};

struct Event {
  enum class Kind { Acquire, SoftExpire, HardExpire };
  Kind kind = Kind::Acquire;
  std::uint32_t reqid = 0;
  std::uint32_t spi = 0;  // 0 for Acquire
  Direction direction = Direction::Outbound;
  TrafficSelector packet;  // Acquire: the triggering packet's 5-tuple (single addresses/ports)
};

class DataPlane {
 public:
  virtual ~DataPlane() = default;
  virtual std::string_view name() const = 0;  // "userspace" / "xfrm" / "fake"
  // Random, unique among installed and allocated SPIs, never 0..255 (RFC 4303 2.1).
  virtual Result<std::uint32_t> allocate_spi() = 0;
  virtual Result<void> add_sa(const SaParams&) = 0;
  virtual Result<void> delete_sa(std::uint32_t spi, Direction) = 0;
  // The peer's address or NAT mapping moved (RFC 7296 2.23, RFC 3948): the outbound SA sends to
  // `remote` from now on (its port only if it is ESP-in-UDP); keys and sequence numbers stay,
  // so nothing the peer's anti-replay window has seen is reused.
  virtual Result<void> update_sa_remote(std::uint32_t /*spi*/, const Endpoint& /*remote*/) {
    return fail(std::string(name()) + " data plane cannot move an SA to a new peer address");
  }
  // Traffic matching the selector is protected; with no outbound SA for the reqid the first
  // packet raises Acquire and is queued (up to kAcquireQueueLimit packets), not dropped.
  virtual Result<void> add_policy(const PolicyParams&) = 0;
  virtual Result<void> delete_policy(std::uint32_t reqid) = 0;
  virtual std::optional<SaCounters> counters(std::uint32_t spi, Direction) const = 0;
  // Events are delivered on the control thread: poll event_fd() (readable while events are
  // pending), then call drain_events().
  virtual int event_fd() const = 0;
  virtual std::vector<Event> drain_events() = 0;
  // ESP-in-UDP from the daemon's UDP 4500 socket, after the non-ESP marker check (RFC 3948
  // 2.2): `esp` starts at the SPI; `from` is the outer source, `to` the outer destination.
  virtual void inject_udp_esp(ByteView esp, const Endpoint& from, const Endpoint& to) = 0;
  // The daemon owns UDP 500/4500; outbound ESP-in-UDP is sent from its 4500 socket(s) so the
  // NAT mapping IKE created is the one ESP uses (RFC 3948 2.1). One socket per address family;
  // -1 unregisters. The data plane never closes it.
  virtual void set_encap_socket(int fd) = 0;
  // The daemon's IKE sockets (UDP 500 and 4500): IKE must never be caught by the data plane's
  // own policies, even when a crypto ACL covers the gateways' addresses (the kernel backend
  // gives each socket a bypass policy). Backends that cannot capture the daemon's own traffic
  // have nothing to do.
  virtual void exempt_ike_socket(int /*fd*/) {}
  // Remove every SA, policy, route, rule and device this data plane installed.
  virtual Result<void> shutdown() = 0;
};

inline constexpr std::size_t kAcquireQueueLimit = 32;

std::string_view to_string(Direction d);
std::string_view to_string(Event::Kind k);

}  // namespace ikegate::dataplane
