#include "dataplane/offload.h"


#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>

namespace ikegate::dataplane {

namespace {

constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kTcpFin = 0x01, kTcpPsh = 0x08, kTcpAck = 0x10, kTcpCwr = 0x80;
constexpr std::size_t kTcpFlagsOff = 13, kTcpCsumOff = 16;

// The layout of a TCP packet whose IP header is directly followed by TCP (no IPv6 extension
// headers, not a fragment) and whose IP length is exactly the packet's.
struct TcpLayout {
  bool v6 = false;
  std::size_t l4_off = 0;   // IP header octets
  std::size_t hdr_len = 0;  // IP + TCP header octets
  std::size_t payload = 0;
};

std::optional<TcpLayout> parse_tcp(ByteView pkt) {
  TcpLayout l;
  if (pkt.size() < 20) return std::nullopt;
  const std::uint8_t version = pkt[0] >> 4;
  if (version == 4) {
    l.l4_off = std::size_t{pkt[0] & 0x0fu} * 4;
    if (l.l4_off < 20 || load_be16(&pkt[2]) != pkt.size() || pkt[9] != kProtoTcp) return std::nullopt;
    if (load_be16(&pkt[6]) & 0x3fff) return std::nullopt;  // MF or a fragment offset
  } else if (version == 6) {
    l.v6 = true;
    l.l4_off = 40;
    if (pkt.size() < 40 || std::size_t{load_be16(&pkt[4])} + 40 != pkt.size() || pkt[6] != kProtoTcp)
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (pkt.size() < l.l4_off + 20) return std::nullopt;
  l.hdr_len = l.l4_off + std::size_t{pkt[l.l4_off + 12]} / 16 * 4;
  if (l.hdr_len < l.l4_off + 20 || l.hdr_len > pkt.size()) return std::nullopt;
  l.payload = pkt.size() - l.hdr_len;
  return l;
}

// The complemented checksum of the transport segment at [l4_off, end) with its pseudo-header;
// the checksum field itself is included as it is.
std::uint16_t l4_checksum(ByteView pkt, std::size_t l4_off, std::uint8_t proto) {
  const auto l4_len = static_cast<std::uint32_t>(pkt.size() - l4_off);
  const std::uint64_t sum = pseudo_header_sum(pkt.data(), proto, l4_len) + checksum_add(pkt.subspan(l4_off));
  return static_cast<std::uint16_t>(~checksum_fold(sum));
}

// Recomputes the TCP checksum of a complete segment from scratch.
void set_tcp_checksum(MutableByteView pkt, std::size_t l4_off) {
  store_be16(&pkt[l4_off + kTcpCsumOff], 0);
  store_be16(&pkt[l4_off + kTcpCsumOff], l4_checksum(pkt, l4_off, kProtoTcp));
}

bool tcp_checksum_ok(ByteView pkt, std::size_t l4_off) { return l4_checksum(pkt, l4_off, kProtoTcp) == 0; }

}  // namespace

// ---- Checksums ----

std::uint64_t checksum_add(ByteView data, std::uint64_t acc) {
  // Sum native-order 32-bit words (RFC 1071 2(B): the sum is byte-order independent up to a
  // final swap), then fold and present the result as a big-endian 16-bit value.
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  std::uint64_t s = 0;
  for (; n >= 8; p += 8, n -= 8) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + 4, 4);
    s += a;
    s += b;
  }
  if (n >= 4) {
    std::uint32_t a;
    std::memcpy(&a, p, 4);
    s += a;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    std::uint16_t a;
    std::memcpy(&a, p, 2);
    s += a;
    p += 2;
    n -= 2;
  }
  if (n) {
    const std::uint8_t last[2] = {*p, 0};
    std::uint16_t a;
    std::memcpy(&a, last, 2);
    s += a;
  }
  std::uint16_t f = checksum_fold(s);
  if constexpr (std::endian::native == std::endian::little) f = std::byteswap(f);
  return acc + f;
}

std::uint16_t checksum_fold(std::uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}

std::uint64_t pseudo_header_sum(const std::uint8_t* ip, std::uint8_t proto, std::uint32_t l4_len) {
  if ((ip[0] >> 4) == 4) return checksum_add(ByteView(ip + 12, 8), std::uint64_t{proto} + l4_len);
  return checksum_add(ByteView(ip + 8, 32), std::uint64_t{proto} + (l4_len >> 16) + (l4_len & 0xffff));
}

std::uint16_t ipv4_header_checksum(const std::uint8_t* ip) {
  const std::size_t ihl = std::size_t{ip[0] & 0x0fu} * 4;
  const std::uint64_t sum = checksum_add(ByteView(ip, 10), checksum_add(ByteView(ip + 12, ihl - 12)));
  return static_cast<std::uint16_t>(~checksum_fold(sum));
}

// ---- Segmenter ----

std::expected<Segmenter, OffloadError> Segmenter::create(const VnetHdr& hdr, MutableByteView pkt) {
  Segmenter s;
  s.pkt_ = pkt;
  const std::uint8_t type = hdr.gso_type & static_cast<std::uint8_t>(~kGsoEcn);
  if (type == kGsoNone) {
    if (hdr.flags & kVnetNeedsCsum) {
      // Complete the partial checksum over [csum_start, end) (any transport protocol).
      const std::size_t field = std::size_t{hdr.csum_start} + hdr.csum_offset;
      if (hdr.csum_start > pkt.size() || field + 2 > pkt.size()) return std::unexpected(OffloadError::Malformed);
      auto c = static_cast<std::uint16_t>(~checksum_fold(checksum_add(pkt.subspan(hdr.csum_start))));
      if (c == 0) c = 0xffff;  // UDP sends 0 as all ones (RFC 768); equivalent for TCP
      store_be16(&pkt[field], c);
    }
    return s;
  }
  if (type != kGsoTcpV4 && type != kGsoTcpV6)
    return std::unexpected(OffloadError::Unsupported);
  auto l = parse_tcp(pkt);
  if (!l || l->v6 != (type == kGsoTcpV6) || hdr.gso_size == 0)
    return std::unexpected(OffloadError::Malformed);
  s.v6_ = l->v6;
  s.l4_off_ = l->l4_off;
  s.hdr_len_ = l->hdr_len;
  s.mss_ = hdr.gso_size;
  s.count_ = l->payload <= s.mss_ ? 1 : (l->payload + s.mss_ - 1) / s.mss_;
  if (s.count_ == 1) set_tcp_checksum(pkt, s.l4_off_);  // the field holds only a partial sum
  return s;
}

ByteView Segmenter::segment(std::size_t i, MutableByteView out) const {
  if (count_ == 1) return pkt_;
  const std::size_t payload = pkt_.size() - hdr_len_;
  const std::size_t off = i * mss_;
  const std::size_t chunk = std::min(mss_, payload - off);
  const std::size_t len = hdr_len_ + chunk;
  if (i >= count_ || out.size() < len) return {};
  std::memcpy(out.data(), pkt_.data(), hdr_len_);
  std::memcpy(out.data() + hdr_len_, pkt_.data() + hdr_len_ + off, chunk);
  std::uint8_t* ip = out.data();
  if (!v6_) {
    store_be16(ip + 2, static_cast<std::uint16_t>(len));
    store_be16(ip + 4, static_cast<std::uint16_t>(load_be16(ip + 4) + i));  // as Linux's TSO does
    store_be16(ip + 10, 0);
    store_be16(ip + 10, ipv4_header_checksum(ip));
  } else {
    store_be16(ip + 4, static_cast<std::uint16_t>(len - 40));
  }
  std::uint8_t* tcp = ip + l4_off_;
  store_be32(tcp + 4, static_cast<std::uint32_t>(load_be32(tcp + 4) + off));
  if (i + 1 != count_) tcp[kTcpFlagsOff] &= static_cast<std::uint8_t>(~(kTcpFin | kTcpPsh));
  if (i != 0) tcp[kTcpFlagsOff] &= static_cast<std::uint8_t>(~kTcpCwr);
  set_tcp_checksum(out.first(len), l4_off_);
  return out.first(len);
}

// ---- Coalescer ----

namespace {

// Only plain data segments merge: ACK, and PSH on the one that ends a super-packet.
bool mergeable_flags(std::uint8_t f) { return f == kTcpAck || f == (kTcpAck | kTcpPsh); }

}  // namespace

Coalescer::Coalescer() : buf_(kVnetHdrLen + kMaxSuperPacket) {}

bool Coalescer::start(ByteView pkt) {
  auto l = parse_tcp(pkt);
  if (!l || l->payload == 0 || (!l->v6 && l->l4_off != 20)) return false;
  const std::uint8_t flags = pkt[l->l4_off + kTcpFlagsOff];
  if (flags != kTcpAck || !tcp_checksum_ok(pkt, l->l4_off)) return false;
  std::memcpy(buf_.data() + kVnetHdrLen, pkt.data(), pkt.size());
  segments_ = 1;
  len_ = pkt.size();
  v6_ = l->v6;
  l4_off_ = l->l4_off;
  hdr_len_ = l->hdr_len;
  mss_ = l->payload;
  next_seq_ = static_cast<std::uint32_t>(load_be32(&pkt[l4_off_ + 4]) + l->payload);
  closed_ = false;
  return true;
}

bool Coalescer::append(ByteView pkt) {
  if (segments_ == 0 || closed_) return false;
  auto l = parse_tcp(pkt);
  if (!l || l->v6 != v6_ || l->hdr_len != hdr_len_ || l->l4_off != l4_off_) return false;
  if (l->payload == 0 || l->payload > mss_ || len_ + l->payload > kMaxSuperPacket) return false;
  if (!v6_ && len_ + l->payload > 65535) return false;
  if (v6_ && len_ + l->payload - 40 > 65535) return false;
  const std::uint8_t* first = buf_.data() + kVnetHdrLen;
  const std::uint8_t* p = pkt.data();
  // Same IP header except the total length, ID and checksum.
  if (!v6_) {
    if (p[1] != first[1] || std::memcmp(p + 6, first + 6, 4) != 0 || std::memcmp(p + 12, first + 12, 8) != 0)
      return false;
  } else {
    if (std::memcmp(p, first, 4) != 0 || std::memcmp(p + 6, first + 6, 34) != 0) return false;
  }
  // Same TCP header except the sequence number (which must continue) and the checksum.
  const std::uint8_t* t = p + l4_off_;
  const std::uint8_t* ft = first + l4_off_;
  const std::uint8_t flags = t[kTcpFlagsOff];
  if (load_be32(t + 4) != next_seq_ || !mergeable_flags(flags)) return false;
  if (std::memcmp(t, ft, 4) != 0 || std::memcmp(t + 8, ft + 8, 5) != 0 || std::memcmp(t + 14, ft + 14, 2) != 0 ||
      std::memcmp(t + 18, ft + 18, hdr_len_ - l4_off_ - 18) != 0)
    return false;
  if (!tcp_checksum_ok(pkt, l4_off_)) return false;
  std::memcpy(buf_.data() + kVnetHdrLen + len_, p + hdr_len_, l->payload);
  len_ += l->payload;
  next_seq_ += static_cast<std::uint32_t>(l->payload);
  ++segments_;
  if (flags & kTcpPsh) buf_[kVnetHdrLen + l4_off_ + kTcpFlagsOff] |= kTcpPsh;
  closed_ = l->payload < mss_ || (flags & kTcpPsh);
  return true;
}

ByteView Coalescer::take() {
  VnetHdr h{};
  std::uint8_t* ip = buf_.data() + kVnetHdrLen;
  if (segments_ > 1) {
    if (!v6_) {
      store_be16(ip + 2, static_cast<std::uint16_t>(len_));
      store_be16(ip + 10, 0);
      store_be16(ip + 10, ipv4_header_checksum(ip));
    } else {
      store_be16(ip + 4, static_cast<std::uint16_t>(len_ - 40));
    }
    // CHECKSUM_PARTIAL: the pseudo-header sum of the whole super-packet, as tcp_gro_complete.
    const auto l4_len = static_cast<std::uint32_t>(len_ - l4_off_);
    store_be16(ip + l4_off_ + kTcpCsumOff, checksum_fold(pseudo_header_sum(ip, kProtoTcp, l4_len)));
    h.flags = kVnetNeedsCsum;
    h.gso_type = v6_ ? kGsoTcpV6 : kGsoTcpV4;
    h.hdr_len = static_cast<std::uint16_t>(hdr_len_);
    h.gso_size = static_cast<std::uint16_t>(mss_);
    h.csum_start = static_cast<std::uint16_t>(l4_off_);
    h.csum_offset = static_cast<std::uint16_t>(kTcpCsumOff);
  }
  std::memcpy(buf_.data(), &h, sizeof h);
  const ByteView out(buf_.data(), kVnetHdrLen + len_);
  segments_ = 0;
  len_ = 0;
  closed_ = false;
  return out;
}

}  // namespace ikegate::dataplane
