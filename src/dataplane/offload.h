// TUN offloads of the userspace data plane: the virtio_net_hdr that precedes every packet on a
// TUN device opened with IFF_VNET_HDR, TCP segmentation of the super-packets the kernel hands
// over once TUNSETOFFLOAD enabled TSO (so one read() carries up to 64 KiB of one TCP flow), and
// the opposite direction: coalescing consecutive decrypted TCP segments of one flow into one
// super-packet for one write() (what GRO does in the kernel). Pure computation, no sockets;
// nothing allocates per packet.
//
// The packet after the header is an IPv4 or IPv6 packet (IFF_NO_PI). Checksums follow the
// kernel's CHECKSUM_PARTIAL convention: with VIRTIO_NET_HDR_F_NEEDS_CSUM the 16-bit field at
// csum_start + csum_offset holds the folded, uncomplemented pseudo-header sum, and the
// receiver completes it over [csum_start, end).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>

#include "common/bytes.h"

namespace ikegate::dataplane {

// struct virtio_net_hdr (linux/virtio_net.h) in native byte order, as a TUN device without
// TUNSETVNETLE/BE exchanges it on a little-endian host.
struct VnetHdr {
  std::uint8_t flags = 0;     // VIRTIO_NET_HDR_F_NEEDS_CSUM
  std::uint8_t gso_type = 0;  // VIRTIO_NET_HDR_GSO_NONE / TCPV4 / TCPV6 (| ECN)
  std::uint16_t hdr_len = 0;  // IP + TCP header octets
  std::uint16_t gso_size = 0; // payload octets per segment
  std::uint16_t csum_start = 0;
  std::uint16_t csum_offset = 0;
};
static_assert(sizeof(VnetHdr) == 10);
// Its constants (linux/virtio_net.h, which does not compile as C++: a member is named "class").
inline constexpr std::uint8_t kVnetNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
inline constexpr std::uint8_t kGsoNone = 0, kGsoTcpV4 = 1, kGsoUdp = 3, kGsoTcpV6 = 4, kGsoUdpL4 = 5;
inline constexpr std::uint8_t kGsoEcn = 0x80;
inline constexpr std::size_t kVnetHdrLen = sizeof(VnetHdr);
// The largest packet a TUN read returns with TSO on: an IPv4 total length or an IPv6 payload
// length (plus its fixed header) is at most 65535 + 40.
inline constexpr std::size_t kMaxSuperPacket = 65535 + 40;

// ---- Internet checksum (RFC 1071) ----

// Adds the 16-bit big-endian words of `data` to `acc` (an odd last octet is padded with zero).
// Returns the sum, not yet folded.
std::uint64_t checksum_add(ByteView data, std::uint64_t acc = 0);
// Folds a sum to 16 bits (no complement).
std::uint16_t checksum_fold(std::uint64_t acc);
// The sum of the TCP/UDP pseudo-header (RFC 9293 3.1, RFC 8200 8.1) of an IPv4 or IPv6 packet
// whose header starts at `ip`, for `l4_len` octets of transport protocol `proto`.
std::uint64_t pseudo_header_sum(const std::uint8_t* ip, std::uint8_t proto, std::uint32_t l4_len);
// The IPv4 header checksum of `ip` (ihl words), computed with the field taken as zero.
std::uint16_t ipv4_header_checksum(const std::uint8_t* ip);

// ---- Segmentation (outbound: TUN read -> wire-size inner packets) ----

enum class OffloadError : std::uint8_t {
  Malformed,    // headers inconsistent with the packet or the virtio_net_hdr
  Unsupported,  // a GSO type this code did not ask for (UDP/USO, unknown)
};

// How one packet read from the TUN device splits into segments.
class Segmenter {
 public:
  // `pkt` follows `hdr`. A packet without GSO that needs its checksum gets it here, in place;
  // it is then its own single segment. A TCP super-packet is split into segments of
  // hdr.gso_size payload octets (the last one shorter).
  static std::expected<Segmenter, OffloadError> create(const VnetHdr& hdr, MutableByteView pkt);

  std::size_t count() const { return count_; }
  // The largest segment, in octets (what the output buffer of segment() must hold).
  std::size_t max_segment_len() const { return count_ == 1 ? pkt_.size() : hdr_len_ + mss_; }
  // Segment `i` < count() as a complete inner packet: with one segment the packet itself,
  // otherwise built in `out` (headers replicated, IPv4 ID + i, TCP sequence number advanced,
  // FIN/PSH only on the last segment, CWR only on the first, lengths and checksums fixed).
  ByteView segment(std::size_t i, MutableByteView out) const;

 private:
  Segmenter() = default;
  MutableByteView pkt_;
  std::size_t count_ = 1;
  std::size_t l4_off_ = 0;   // IP header octets
  std::size_t hdr_len_ = 0;  // IP + TCP header octets
  std::size_t mss_ = 0;
  bool v6_ = false;
};

// ---- Coalescing (inbound: decrypted inner packets -> TUN write) ----

// Collects consecutive in-order TCP segments of one flow into one super-packet, as Linux's GRO
// would merge them (RFC 9293 segments with identical headers except IP ID, lengths and
// checksums; only ACK, with PSH allowed on the last). Each segment's TCP checksum is verified
// before it joins, because the merged packet goes out with NEEDS_CSUM and nobody would check
// it later. IPv4 with options, IPv6 extension headers, fragments and non-TCP packets are not
// merged.
class Coalescer {
 public:
  Coalescer();
  bool empty() const { return segments_ == 0; }
  std::size_t segments() const { return segments_; }
  // Appends `pkt` to the current super-packet if it continues it; false otherwise (the caller
  // then flushes with take() and starts anew).
  bool append(ByteView pkt);
  // Starts a new super-packet with `pkt` if it can be merged with later ones; false if it can
  // never be (the caller writes it on its own). Requires empty().
  bool start(ByteView pkt);
  // The virtio_net_hdr and packet to write (one segment: the packet unchanged, no GSO), and
  // empties the coalescer. Valid until the next call.
  ByteView take();

 private:
  Bytes buf_;  // VnetHdr | IP | TCP | payload...
  std::size_t segments_ = 0;
  std::size_t len_ = 0;       // octets used in buf_ after the VnetHdr
  std::size_t l4_off_ = 0;
  std::size_t hdr_len_ = 0;
  std::size_t mss_ = 0;       // payload octets of the first segment
  std::uint32_t next_seq_ = 0;
  bool closed_ = false;       // a shorter segment or PSH ended the super-packet
  bool v6_ = false;
};

}  // namespace ikegate::dataplane
