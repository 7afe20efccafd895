// The kernel data plane: ESP in the Linux kernel, programmed over XFRM netlink (libmnl).
//
// SPIs come from XFRM_MSG_ALLOCSPI; SAs are ESP tunnel mode (AEAD rfc4106(gcm(aes)) or a CBC
// cipher with a truncated HMAC, ESN and anti-replay through XFRMA_REPLAY_ESN_VAL, byte and
// packet lifetimes, ESP-in-UDP through XFRMA_ENCAP); policies (out, in, fwd) come from the
// crypto map ACL lines with the engine's priorities. The kernel raises ACQUIRE for traffic
// without an SA and EXPIRE when a byte or packet lifetime runs out; both arrive on event_fd(),
// a netlink socket subscribed to XFRMNLGRP_ACQUIRE and XFRMNLGRP_EXPIRE. The same socket
// listens to XFRMNLGRP_SA and XFRMNLGRP_POLICY: a state or policy of ours deleted (or flushed)
// by someone else (`ip xfrm state delete ...`) is noticed; a lost SA is reported as a
// HardExpire (the engine removes the CHILD SA, tells the peer, and traffic sets up a new one),
// a lost policy is put back at once.
//
// What ikegate installs is recognisable by its reqid: engine reqid N is kernel reqid
// reqid_base + N, reqid_base itself marks SPI reservations and the probe. shutdown() and
// cleanup_stale_xfrm() remove every state and policy in [reqid_base, reqid_base + span) and
// nothing else (docs/xfrm.md says why the reqid and not a mark or an if_id).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/dataplane.h"

namespace ikegate::dataplane {

inline constexpr std::uint32_t kXfrmReqidBase = 0x49470000;  // "IG" in the top half
inline constexpr std::uint32_t kXfrmReqidSpan = 0x10000;

struct XfrmOptions {
  std::uint32_t reqid_base = kXfrmReqidBase;
  std::uint32_t priority_base = 0;  // kernel policy priority = base + PolicyParams::priority
  // Protected destinations must be routable before XFRM sees a packet: each remote selector
  // prefix gets a route in this table (through the route to the peer, as it is when the policy
  // is installed) and each selector pair a rule `from SRC to DST lookup TABLE`.
  std::uint32_t route_table = 4501;
  std::uint32_t rule_priority = 4501;
  // The interface promises that packets raising an Acquire are held, not dropped: set this
  // namespace's net.core.xfrm_larval_drop to 0 while the data plane runs (restored on shutdown).
  bool hold_acquire_packets = true;
  // Where the data plane reports what it noticed and repaired by itself (a state or policy of
  // ours deleted by someone else); unset: not reported.
  std::function<void(const std::string&)> log;
};

Result<std::unique_ptr<DataPlane>> make_xfrm_dataplane(const XfrmOptions& options = {});

// Whether this kernel carries ESP: adds a throwaway ESP state (marked with reqid_base, on
// 127.0.0.2 with a random SPI) and deletes it again. esp=false with the kernel's reason when
// it refuses (EPROTONOSUPPORT: no ESP; EPROTONOSUPPORT on the socket: no xfrm_user).
struct XfrmProbe {
  bool esp = false;
  std::string reason;
};
XfrmProbe probe_xfrm_esp(const XfrmOptions& options = {});

// Removes every XFRM state and policy whose reqid lies in ikegate's range, and the routes and
// rules of route_table (a killed instance's leftovers); returns how many were removed.
// Foreign state is never touched.
Result<int> cleanup_stale_xfrm(const XfrmOptions& options = {});

// ---- Message building and parsing, exposed for tests (no kernel needed) ----
namespace xfrm {

// The kernel's names for a transform (RFC 4106, RFC 4868, RFC 2404 truncations).
struct Algorithms {
  bool aead = false;
  std::string encr;       // "rfc4106(gcm(aes))", "cbc(aes)", "cbc(des3_ede)", ...
  unsigned icv_bits = 0;  // AEAD
  std::string integ;      // "hmac(sha256)"; empty: none
  unsigned trunc_bits = 0;
};
Result<Algorithms> algorithms_for(EncrId encr, IntegId integ);

// One kernel policy: XFRM selectors are prefixes with a port and a port mask, so one ACL
// selector (ranges) becomes one policy per prefix/port-block combination and direction.
enum class PolicyDir : std::uint8_t { In = 0, Out = 1, Fwd = 2 };  // XFRM_POLICY_IN/OUT/FWD
struct KernelSelector {
  IpAddress src, dst;
  int src_len = 0, dst_len = 0;
  std::uint8_t proto = 0;
  std::uint16_t sport = 0, sport_mask = 0, dport = 0, dport_mask = 0;
  friend bool operator==(const KernelSelector&, const KernelSelector&) = default;
};
struct KernelPolicy {
  PolicyDir dir = PolicyDir::Out;
  KernelSelector sel;
  std::uint32_t priority = 0;
  IpAddress tmpl_src, tmpl_dst;  // tunnel endpoints of the template, in this direction
  std::uint32_t reqid = 0;       // kernel reqid
  friend bool operator==(const KernelPolicy&, const KernelPolicy&) = default;
};

// [lo, hi] as aligned (port, mask) blocks; the full range is {0, 0}.
std::vector<std::pair<std::uint16_t, std::uint16_t>> port_blocks(std::uint16_t lo, std::uint16_t hi);
std::vector<KernelPolicy> expand_policy(const PolicyParams& p, std::uint32_t kernel_reqid,
                                        std::uint32_t priority_base);

// Netlink messages (header included) as the kernel reads them.
Result<SecretBytes> sa_message(const SaParams& p, std::uint32_t kernel_reqid, bool update);
std::vector<std::uint8_t> policy_message(const KernelPolicy& p, bool remove);
std::vector<std::uint8_t> allocspi_message(std::uint32_t kernel_reqid);

// An ACQUIRE or EXPIRE message as the kernel sends it to its multicast groups.
struct KernelEvent {
  Event::Kind kind = Event::Kind::Acquire;
  std::uint32_t reqid = 0;  // kernel reqid (Acquire: of the policy's template)
  std::uint32_t spi = 0;
  IpAddress daddr;          // Expire: the SA's destination
  TrafficSelector packet;   // Acquire: the triggering packet
};
std::optional<KernelEvent> parse_event(ByteView message);

// A deletion notification of XFRMNLGRP_SA / XFRMNLGRP_POLICY. `portid` is the nlmsg_pid of the
// request that caused it (ikegate's own requests carry its socket's port id).
struct KernelDeletion {
  enum class What { Sa, Policy, FlushSa, FlushPolicy } what = What::Sa;
  std::uint32_t portid = 0;
  std::uint32_t reqid = 0;  // Sa: the state's; Policy: its first template's
  std::uint32_t spi = 0;
  IpAddress daddr;
};
std::optional<KernelDeletion> parse_deletion(ByteView message);

}  // namespace xfrm
}  // namespace ikegate::dataplane
