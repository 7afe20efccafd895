// The userspace ESP data plane, for kernels with XFRM but without ESP.
//
// Outbound: the kernel routes protected traffic (policy-routing rules built from each policy's
// selector) into a TUN device; a packet thread reads it, looks the packet up in the SPD, finds
// the outbound SA by reqid, encrypts and sends raw ESP (IP protocol 50, the kernel adds the
// outer header) or ESP-in-UDP (RFC 3948) from the daemon's UDP 4500 socket (set_encap_socket).
// No outbound SA: the packet is queued (kAcquireQueueLimit per policy) and Acquire is raised.
//
// Inbound: raw ESP arrives on a raw IPPROTO_ESP socket (on a kernel without an ESP handler an
// open raw socket also stops the kernel from answering ICMP protocol-unreachable, RFC 1122
// 3.2.2.1); ESP-in-UDP arrives through inject_udp_esp(). SA by SPI (hash map), anti-replay, ICV,
// decrypt, inner-packet policy check, write to TUN.
//
// TUN offloads (offload.h): with IFF_VNET_HDR and TSO the kernel hands over TCP super-packets,
// segmented here before encryption (SAs and counters see wire-size packets); decrypted TCP
// segments of one flow are coalesced into one super-packet per TUN write. ESP-in-UDP datagrams of
// one size to one peer leave as one UDP GSO (UDP_SEGMENT) send.
//
// Threads: one packet thread (epoll over TUN, the raw sockets and a wake-up eventfd). SA and
// policy tables are shared with the control thread under one mutex, taken once per batch.
// Events go to the control thread through event_fd().
#pragma once

#include <memory>
#include <string>

#include "dataplane/dataplane.h"

namespace ikegate::dataplane {

struct UserspaceOptions {
  std::string tun_name = "ikegate0";
  std::uint32_t route_table = 4500;          // private table holding "default dev <tun>"
  std::uint32_t rule_priority_base = 10000;  // rule priority = base + policy priority (capped)
  std::uint32_t rule_priority_span = 10000;  // our rules live in [base - 1, base + span)
  // Nonzero: outer ESP packets carry this fwmark (SO_MARK) and a rule at base - 1 sends marked
  // packets to the main table, so selectors covering the gateway's own addresses cannot loop
  // ESP back into the TUN device; the IKE sockets get it through set_encap_socket and
  // exempt_ike_socket.
  std::uint32_t fwmark = 0;
  std::uint32_t mtu = 1400;  // TUN MTU: 1500 minus outer IP, UDP and worst-case ESP overhead
  int worker_threads = 1;    // packet threads; only 1 is implemented
};

Result<std::unique_ptr<DataPlane>> make_userspace_dataplane(const UserspaceOptions& options);

// Removes what a killed instance with these options left behind: rules that look up our table
// (and our fwmark bypass rule), and the TUN device if it was made persistent by someone.
Result<void> cleanup_stale(const UserspaceOptions& options);

}  // namespace ikegate::dataplane
