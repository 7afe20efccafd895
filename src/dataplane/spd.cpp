#include "dataplane/spd.h"

#include <algorithm>
#include <tuple>

namespace ikegate::dataplane {

namespace {

bool has_ports(std::uint8_t proto) {
  return proto == 6 /*TCP*/ || proto == 17 /*UDP*/ || proto == 132 /*SCTP*/ || proto == 136 /*UDP-Lite*/;
}

bool in_range(const IpAddress& a, const IpAddress& lo, const IpAddress& hi) {
  return a.family() == lo.family() && lo <= a && a <= hi;
}

}  // namespace

std::optional<FiveTuple> parse_five_tuple(ByteView p) {
  if (p.empty()) return std::nullopt;
  FiveTuple t;
  std::size_t l4 = 0;
  bool first_fragment = true;
  const unsigned version = p[0] >> 4;
  if (version == 4) {
    if (p.size() < 20) return std::nullopt;
    const std::size_t ihl = std::size_t{p[0] & 0x0fu} * 4;
    if (ihl < 20 || p.size() < ihl) return std::nullopt;
    t.src = IpAddress::v4(load_be32(p.data() + 12));
    t.dst = IpAddress::v4(load_be32(p.data() + 16));
    t.protocol = p[9];
    first_fragment = (load_be16(p.data() + 6) & 0x1fff) == 0;
    l4 = ihl;
  } else if (version == 6) {
    if (p.size() < 40) return std::nullopt;
    t.src = *IpAddress::from_bytes(p.subspan(8, 16));
    t.dst = *IpAddress::from_bytes(p.subspan(24, 16));
    std::uint8_t nh = p[6];
    std::size_t off = 40;
    // Hop-by-hop, routing, destination options and fragment headers precede the upper layer.
    for (int guard = 0; guard < 8; ++guard) {
      if (nh == 0 || nh == 43 || nh == 60) {
        if (p.size() < off + 8) return std::nullopt;
        nh = p[off];
        off += (std::size_t{p[off + 1]} + 1) * 8;
      } else if (nh == 44) {
        if (p.size() < off + 8) return std::nullopt;
        first_fragment = (load_be16(p.data() + off + 2) & 0xfff8) == 0;
        nh = p[off];
        off += 8;
      } else {
        break;
      }
    }
    t.protocol = nh;
    l4 = off;
  } else {
    return std::nullopt;
  }
  if (has_ports(t.protocol) && first_fragment && p.size() >= l4 + 4) {
    t.src_port = load_be16(p.data() + l4);
    t.dst_port = load_be16(p.data() + l4 + 2);
  }
  return t;
}

bool selector_matches(const TrafficSelector& ts, const FiveTuple& t, bool reversed) {
  const IpAddress& src = reversed ? t.dst : t.src;
  const IpAddress& dst = reversed ? t.src : t.dst;
  const std::uint16_t sport = reversed ? t.dst_port : t.src_port;
  const std::uint16_t dport = reversed ? t.src_port : t.dst_port;
  if (!in_range(src, ts.src_start, ts.src_end) || !in_range(dst, ts.dst_start, ts.dst_end))
    return false;
  if (ts.protocol != 0 && ts.protocol != t.protocol) return false;
  if (ts.protocol != 0 && has_ports(ts.protocol)) {
    if (sport < ts.src_port_start || sport > ts.src_port_end) return false;
    if (dport < ts.dst_port_start || dport > ts.dst_port_end) return false;
  }
  return true;
}

TrafficSelector selector_of(const FiveTuple& t) {
  TrafficSelector s;
  s.src_start = s.src_end = t.src;
  s.dst_start = s.dst_end = t.dst;
  s.protocol = t.protocol;
  s.src_port_start = s.src_port_end = t.src_port;
  s.dst_port_start = s.dst_port_end = t.dst_port;
  return s;
}

void Spd::add(const PolicyParams& p) {
  remove(p.reqid);
  auto pos = std::find_if(policies_.begin(), policies_.end(), [&](const PolicyParams& q) {
    return std::tie(p.priority, p.reqid) < std::tie(q.priority, q.reqid);
  });
  policies_.insert(pos, p);
}

bool Spd::remove(std::uint32_t reqid) {
  return std::erase_if(policies_, [&](const PolicyParams& q) { return q.reqid == reqid; }) > 0;
}

const PolicyParams* Spd::lookup(const FiveTuple& t) const {
  for (const auto& p : policies_)
    if (selector_matches(p.selector, t)) return &p;
  return nullptr;
}

const PolicyParams* Spd::find(std::uint32_t reqid) const {
  for (const auto& p : policies_)
    if (p.reqid == reqid) return &p;
  return nullptr;
}

}  // namespace ikegate::dataplane
