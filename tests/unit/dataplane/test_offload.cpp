#include "dataplane/offload.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace ikegate::dataplane {
namespace {

constexpr std::uint8_t kFin = 0x01, kPsh = 0x08, kAck = 0x10, kCwr = 0x80;

// Reference Internet checksum, word by word (RFC 1071), independent of the code under test.
std::uint32_t naive_sum(const std::uint8_t* p, std::size_t n, std::uint32_t acc = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) acc += static_cast<std::uint32_t>((p[i] << 8) | p[i + 1]);
  if (n % 2) acc += static_cast<std::uint32_t>(p[n - 1] << 8);
  return acc;
}
std::uint16_t naive_fold(std::uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(s);
}
// True if the transport checksum of the packet (TCP or UDP, after an IP header of l4_off) verifies.
bool l4_valid(ByteView pkt, std::size_t l4_off) {
  const bool v6 = (pkt[0] >> 4) == 6;
  const std::uint8_t proto = v6 ? pkt[6] : pkt[9];
  const auto len = static_cast<std::uint32_t>(pkt.size() - l4_off);
  std::uint32_t s = v6 ? naive_sum(&pkt[8], 32) : naive_sum(&pkt[12], 8);
  s += proto + (len >> 16) + (len & 0xffff);
  return naive_fold(naive_sum(&pkt[l4_off], len, s)) == 0xffff;
}
bool ipv4_valid(ByteView pkt) { return naive_fold(naive_sum(pkt.data(), std::size_t{pkt[0] & 0xfu} * 4)) == 0xffff; }

struct TcpSpec {
  bool v6 = false;
  std::size_t payload = 1000;
  std::uint8_t flags = kAck;
  std::size_t ip_options = 0;  // IPv4 only, multiple of 4
  std::uint32_t seq = 0xfffff000;  // wraps within a few segments
  std::uint16_t sport = 40000;
  std::uint8_t payload_seed = 3;
};

std::size_t l4_off(const TcpSpec& s) { return s.v6 ? 40 : 20 + s.ip_options; }

// An IPv4 or IPv6 TCP packet with the timestamp option and valid checksums.
Bytes tcp_packet(const TcpSpec& s) {
  const std::size_t l4 = l4_off(s), tcp_len = 32 + s.payload;
  Bytes p(l4 + tcp_len);
  if (!s.v6) {
    p[0] = static_cast<std::uint8_t>(0x40 | (l4 / 4));
    store_be16(&p[2], static_cast<std::uint16_t>(p.size()));
    store_be16(&p[4], 0x1234);
    store_be16(&p[6], 0x4000);  // DF
    p[8] = 64;
    p[9] = 6;
    const std::uint8_t addrs[] = {192, 168, 1, 1, 192, 168, 2, 99};
    std::memcpy(&p[12], addrs, 8);
    for (std::size_t i = 0; i < s.ip_options; i += 4) {  // Router Alert (RFC 2113), repeated
      p[20 + i] = 0x94;
      p[21 + i] = 4;
    }
    store_be16(&p[10], static_cast<std::uint16_t>(~naive_fold(naive_sum(p.data(), l4))));
  } else {
    p[0] = 0x60;
    store_be16(&p[4], static_cast<std::uint16_t>(tcp_len));
    p[6] = 6;
    p[7] = 64;
    p[8] = 0xfd;
    p[23] = 1;
    p[24] = 0xfd;
    p[39] = 2;
  }
  std::uint8_t* t = &p[l4];
  store_be16(t, s.sport);
  store_be16(t + 2, 5201);
  store_be32(t + 4, s.seq);
  store_be32(t + 8, 777);
  t[12] = 8 << 4;
  t[13] = s.flags;
  store_be16(t + 14, 502);
  const std::uint8_t opts[] = {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 5};  // NOP NOP TS
  std::memcpy(t + 20, opts, sizeof opts);
  for (std::size_t i = 0; i < s.payload; ++i) t[32 + i] = static_cast<std::uint8_t>(i * 7 + s.payload_seed);
  const std::uint32_t ps = (s.v6 ? naive_sum(&p[8], 32) : naive_sum(&p[12], 8)) + 6 + static_cast<std::uint32_t>(tcp_len);
  store_be16(t + 16, static_cast<std::uint16_t>(~naive_fold(naive_sum(t, tcp_len, ps))));
  return p;
}

VnetHdr tso_hdr(const TcpSpec& s, std::uint16_t mss) {
  VnetHdr h;
  h.flags = kVnetNeedsCsum;
  h.gso_type = s.v6 ? kGsoTcpV6 : kGsoTcpV4;
  h.hdr_len = static_cast<std::uint16_t>(l4_off(s) + 32);
  h.gso_size = mss;
  h.csum_start = static_cast<std::uint16_t>(l4_off(s));
  h.csum_offset = 16;
  return h;
}

// Segments a super-packet; returns the segments as owned packets.
std::vector<Bytes> segment_all(const VnetHdr& h, Bytes& super) {
  auto seg = Segmenter::create(h, super);
  EXPECT_TRUE(seg.has_value());
  std::vector<Bytes> out;
  if (!seg) return out;
  Bytes buf(seg->max_segment_len());
  for (std::size_t i = 0; i < seg->count(); ++i) {
    ByteView v = seg->segment(i, buf);
    out.emplace_back(v.begin(), v.end());
  }
  return out;
}

TEST(Checksum, Rfc1071ExampleAndOddLengths) {
  const std::uint8_t ex[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(checksum_fold(checksum_add(ex)), 0xddf2);  // RFC 1071 section 3
  Bytes data(301);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 131 + 17);
  for (std::size_t off = 0; off < 4; ++off)
    for (std::size_t n = 0; n + off <= data.size(); n += 1)
      ASSERT_EQ(checksum_fold(checksum_add(ByteView(data).subspan(off, n))), naive_fold(naive_sum(&data[off], n)))
          << "offset " << off << " length " << n;
}

TEST(Checksum, Ipv4HeaderKnownValue) {
  // A header with checksum 0xb861 (the field is ignored by the computation).
  const std::uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                            0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(ipv4_header_checksum(h), 0xb861);
}

void expect_segments(const TcpSpec& spec, std::uint16_t mss) {
  SCOPED_TRACE(testing::Message() << "v6=" << spec.v6 << " payload=" << spec.payload << " mss=" << mss
                                  << " options=" << spec.ip_options);
  Bytes super = tcp_packet(spec);
  const Bytes original = super;
  const std::size_t l4 = l4_off(spec), hdr = l4 + 32;
  store_be16(&super[l4 + 16], 0x5555);  // only a partial sum in the field: must be recomputed
  auto segs = segment_all(tso_hdr(spec, mss), super);
  const std::size_t expected = spec.payload <= mss ? 1 : (spec.payload + mss - 1) / mss;
  ASSERT_EQ(segs.size(), expected);
  Bytes joined;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const Bytes& s = segs[i];
    const bool last = i + 1 == segs.size();
    const std::size_t chunk = last ? spec.payload - i * mss : mss;
    ASSERT_EQ(s.size(), hdr + chunk) << "segment " << i;
    EXPECT_TRUE(l4_valid(s, l4)) << "segment " << i;
    if (!spec.v6) {
      EXPECT_EQ(load_be16(&s[2]), s.size());
      EXPECT_EQ(load_be16(&s[4]), segs.size() == 1 ? 0x1234 : 0x1234 + i);
      EXPECT_TRUE(ipv4_valid(s));
      EXPECT_EQ(0, std::memcmp(&s[20], &original[20], spec.ip_options)) << "options copied";
    } else {
      EXPECT_EQ(load_be16(&s[4]), s.size() - 40);
    }
    EXPECT_EQ(load_be32(&s[l4 + 4]), static_cast<std::uint32_t>(spec.seq + i * mss));
    const std::uint8_t f = s[l4 + 13];
    EXPECT_EQ(f & (kFin | kPsh), last ? spec.flags & (kFin | kPsh) : 0) << "segment " << i;
    EXPECT_EQ(f & kCwr, i == 0 ? spec.flags & kCwr : 0) << "segment " << i;
    EXPECT_EQ(0, std::memcmp(&s[l4 + 20], &original[l4 + 20], 12)) << "TCP options copied";
    joined.insert(joined.end(), s.begin() + static_cast<std::ptrdiff_t>(hdr), s.end());
  }
  EXPECT_TRUE(std::equal(joined.begin(), joined.end(), original.begin() + static_cast<std::ptrdiff_t>(hdr)));
}

TEST(Segmenter, TcpSuperPacketsOfOddSizes) {
  const std::uint8_t all = kAck | kPsh | kFin | kCwr;
  expect_segments({.payload = 10000, .flags = all}, 1448);   // last segment shorter
  expect_segments({.payload = 4 * 1348, .flags = all}, 1348);  // last segment full
  expect_segments({.payload = 3001}, 1001);                  // odd MSS, 1-octet last segment
  expect_segments({.payload = 65535 - 52}, 1360);            // the largest IPv4 super-packet
  expect_segments({.payload = 500, .flags = all}, 1448);     // fits one segment: checksum only
  expect_segments({.payload = 9000, .flags = kAck | kPsh, .ip_options = 8}, 1400);
  expect_segments({.v6 = true, .payload = 20000, .flags = all}, 1428);
  expect_segments({.v6 = true, .payload = 1001}, 1000);
}

TEST(Segmenter, CompletesThePartialChecksumOfANonTcpPacket) {
  // UDP 192.168.1.1:5000 -> 192.168.2.99:53, 11 octets of payload (odd), CHECKSUM_PARTIAL.
  Bytes p(20 + 8 + 11);
  p[0] = 0x45;
  store_be16(&p[2], static_cast<std::uint16_t>(p.size()));
  p[8] = 64;
  p[9] = 17;
  const std::uint8_t addrs[] = {192, 168, 1, 1, 192, 168, 2, 99};
  std::memcpy(&p[12], addrs, 8);
  store_be16(&p[10], ipv4_header_checksum(p.data()));
  store_be16(&p[20], 5000);
  store_be16(&p[22], 53);
  store_be16(&p[24], 19);
  for (std::size_t i = 28; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>(i);
  store_be16(&p[26], checksum_fold(pseudo_header_sum(p.data(), 17, 19)));  // as the kernel leaves it
  VnetHdr h;
  h.flags = kVnetNeedsCsum;
  h.csum_start = 20;
  h.csum_offset = 6;
  auto seg = Segmenter::create(h, p);
  ASSERT_TRUE(seg.has_value());
  ASSERT_EQ(seg->count(), 1u);
  Bytes buf(2048);
  ByteView out = seg->segment(0, buf);
  EXPECT_EQ(out.data(), p.data());
  EXPECT_TRUE(l4_valid(out, 20));
  EXPECT_NE(load_be16(&out[26]), 0);

  // A packet without NEEDS_CSUM is passed through untouched.
  const Bytes before = p;
  auto plain = Segmenter::create(VnetHdr{}, p);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(p, before);
}

TEST(Segmenter, RejectsWhatTheKernelWasNotAskedFor) {
  Bytes v4 = tcp_packet({.payload = 3000});
  VnetHdr h = tso_hdr({}, 1000);
  h.gso_type = kGsoUdpL4;
  EXPECT_EQ(Segmenter::create(h, v4).error(), OffloadError::Unsupported);
  h = tso_hdr({.v6 = true}, 1000);  // says IPv6, is IPv4
  EXPECT_EQ(Segmenter::create(h, v4).error(), OffloadError::Malformed);
  h = tso_hdr({}, 0);
  EXPECT_EQ(Segmenter::create(h, v4).error(), OffloadError::Malformed);
  Bytes truncated(v4.begin(), v4.begin() + 40);
  EXPECT_EQ(Segmenter::create(tso_hdr({}, 1000), truncated).error(), OffloadError::Malformed);
  VnetHdr csum;
  csum.flags = kVnetNeedsCsum;
  csum.csum_start = static_cast<std::uint16_t>(v4.size());
  csum.csum_offset = 16;
  EXPECT_EQ(Segmenter::create(csum, v4).error(), OffloadError::Malformed);
}

// Coalesces segments and checks the result is the super-packet they came from.
void expect_round_trip(const TcpSpec& spec, std::uint16_t mss) {
  SCOPED_TRACE(testing::Message() << "v6=" << spec.v6 << " payload=" << spec.payload << " mss=" << mss);
  Bytes super = tcp_packet(spec);
  const auto segs = segment_all(tso_hdr(spec, mss), super);
  ASSERT_GT(segs.size(), 1u);
  Coalescer c;
  ASSERT_TRUE(c.start(segs[0]));
  for (std::size_t i = 1; i < segs.size(); ++i) ASSERT_TRUE(c.append(segs[i])) << "segment " << i;
  EXPECT_EQ(c.segments(), segs.size());
  ByteView out = c.take();
  EXPECT_TRUE(c.empty());
  VnetHdr h;
  std::memcpy(&h, out.data(), sizeof h);
  Bytes merged(out.begin() + kVnetHdrLen, out.end());
  ASSERT_EQ(merged.size(), super.size());
  const std::size_t l4 = l4_off(spec);
  EXPECT_EQ(h.flags, kVnetNeedsCsum);
  EXPECT_EQ(h.gso_type, spec.v6 ? kGsoTcpV6 : kGsoTcpV4);
  EXPECT_EQ(h.gso_size, mss);
  EXPECT_EQ(h.hdr_len, l4 + 32);
  EXPECT_EQ(h.csum_start, l4);
  EXPECT_EQ(h.csum_offset, 16);
  if (!spec.v6) {
    EXPECT_TRUE(ipv4_valid(merged));
  }
  // Headers and payload equal the original, except the TCP checksum field (a partial sum);
  // completing it as the kernel would gives a valid checksum.
  Bytes a = merged, b = super;
  store_be16(&a[l4 + 16], 0);
  store_be16(&b[l4 + 16], 0);
  EXPECT_EQ(a, b);
  const std::uint16_t done = static_cast<std::uint16_t>(~naive_fold(naive_sum(&merged[l4], merged.size() - l4)));
  store_be16(&merged[l4 + 16], done);
  EXPECT_TRUE(l4_valid(merged, l4));
  // And segmenting the merged packet again gives the same segments.
  Bytes again(out.begin() + kVnetHdrLen, out.end());
  EXPECT_EQ(segment_all(h, again), segs);
}

TEST(Coalescer, MergesSegmentsBackIntoTheSuperPacket) {
  expect_round_trip({.payload = 10000, .flags = kAck | kPsh}, 1348);
  expect_round_trip({.payload = 4 * 1348}, 1348);
  expect_round_trip({.payload = 65535 - 52}, 1360);
  expect_round_trip({.v6 = true, .payload = 7777, .flags = kAck | kPsh}, 1388);
}

TEST(Coalescer, OneSegmentIsWrittenUnchanged) {
  const Bytes p = tcp_packet({.payload = 1348});
  Coalescer c;
  ASSERT_TRUE(c.start(p));
  ByteView out = c.take();
  VnetHdr h;
  std::memcpy(&h, out.data(), sizeof h);
  EXPECT_EQ(h.flags, 0);
  EXPECT_EQ(h.gso_type, kGsoNone);
  EXPECT_TRUE(std::equal(p.begin(), p.end(), out.begin() + kVnetHdrLen, out.end()));
}

TEST(Coalescer, RefusesWhatGroWouldNotMerge) {
  Coalescer c;
  // Never the start of a super-packet.
  EXPECT_FALSE(c.start(tcp_packet({.payload = 0})));                         // pure ACK
  EXPECT_FALSE(c.start(tcp_packet({.payload = 100, .flags = kAck | kPsh})));  // ends at once
  EXPECT_FALSE(c.start(tcp_packet({.payload = 100, .flags = kAck | kFin})));
  EXPECT_FALSE(c.start(tcp_packet({.payload = 100, .ip_options = 4})));
  Bytes bad = tcp_packet({.payload = 100});
  bad[60] ^= 1;
  EXPECT_FALSE(c.start(bad)) << "bad checksum";
  Bytes udp = tcp_packet({.payload = 100});
  udp[9] = 17;
  EXPECT_FALSE(c.start(udp));
  Bytes frag = tcp_packet({.payload = 100});
  store_be16(&frag[6], 0x2000);  // MF
  EXPECT_FALSE(c.start(frag));
  EXPECT_TRUE(c.empty());

  const std::uint32_t seq = 1000;
  ASSERT_TRUE(c.start(tcp_packet({.payload = 1000, .seq = seq})));
  EXPECT_FALSE(c.append(tcp_packet({.payload = 1000, .seq = seq + 2000}))) << "gap";
  EXPECT_FALSE(c.append(tcp_packet({.payload = 1000, .seq = seq}))) << "retransmission";
  EXPECT_FALSE(c.append(tcp_packet({.payload = 1000, .seq = seq + 1000, .sport = 40001}))) << "other flow";
  EXPECT_FALSE(c.append(tcp_packet({.payload = 1001, .seq = seq + 1000}))) << "larger than the first";
  EXPECT_FALSE(c.append(tcp_packet({.payload = 1000, .flags = kAck | kFin, .seq = seq + 1000})));
  Bytes bad2 = tcp_packet({.payload = 1000, .seq = seq + 1000});
  bad2[100] ^= 0x40;
  EXPECT_FALSE(c.append(bad2)) << "bad checksum";
  Bytes ttl = tcp_packet({.payload = 1000, .seq = seq + 1000});
  ttl[8] = 63;
  store_be16(&ttl[10], 0);
  store_be16(&ttl[10], ipv4_header_checksum(ttl.data()));
  EXPECT_FALSE(c.append(ttl)) << "other TTL";
  EXPECT_EQ(c.segments(), 1u);
  // A shorter segment is the last one; so is one with PSH.
  EXPECT_TRUE(c.append(tcp_packet({.payload = 500, .seq = seq + 1000})));
  EXPECT_FALSE(c.append(tcp_packet({.payload = 500, .seq = seq + 1500})));
  EXPECT_EQ(c.segments(), 2u);
  (void)c.take();
  ASSERT_TRUE(c.start(tcp_packet({.payload = 1000, .seq = seq})));
  EXPECT_TRUE(c.append(tcp_packet({.payload = 1000, .flags = kAck | kPsh, .seq = seq + 1000})));
  EXPECT_FALSE(c.append(tcp_packet({.payload = 1000, .seq = seq + 2000})));
  ByteView out = c.take();
  EXPECT_EQ(out[kVnetHdrLen + 20 + 13], kAck | kPsh) << "the merged packet carries PSH";
}

}  // namespace
}  // namespace ikegate::dataplane
