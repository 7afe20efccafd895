#include "policy/policy.h"

#include <algorithm>

namespace ikegate::policy {

namespace {
bool in_prefix(const IpAddress& a, const IpAddress& net, int prefix) {
  if (a.family() != net.family()) return false;
  auto x = a.bytes();
  auto y = net.bytes();
  int full = prefix / 8;
  for (int i = 0; i < full; ++i)
    if (x[i] != y[i]) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (x[full] & mask) == (y[full] & mask);
}

template <class T>
std::optional<std::pair<T, T>> overlap(T a1, T a2, T b1, T b2) {
  T lo = std::max(a1, b1);
  T hi = std::min(a2, b2);
  if (hi < lo) return std::nullopt;
  return std::pair{lo, hi};
}
}  // namespace

const PeerAuth* Policy::find_peer(const IpAddress& addr) const {
  // The most specific match wins, so a wildcard key (0.0.0.0 0.0.0.0) is the last resort.
  const PeerAuth* best = nullptr;
  for (const auto& p : peers) {
    if (!in_prefix(addr, p.address, p.prefix)) continue;
    if (best == nullptr || p.prefix > best->prefix) best = &p;
  }
  return best;
}

const CryptoMapEntry* Policy::find_entry(const std::string& map, std::uint32_t seq) const {
  for (const auto& e : map_entries)
    if (e.map == map && e.seq == seq) return &e;
  return nullptr;
}

bool selector_contains(const Selector& o, const Selector& i) {
  auto within = [](const IpAddress& lo, const IpAddress& hi, const IpAddress& a, const IpAddress& b) {
    return lo.family() == a.family() && lo <= a && b <= hi;
  };
  return within(o.src_start, o.src_end, i.src_start, i.src_end) &&
         within(o.dst_start, o.dst_end, i.dst_start, i.dst_end) &&
         (o.protocol == 0 || o.protocol == i.protocol) && o.src_port_start <= i.src_port_start &&
         i.src_port_end <= o.src_port_end && o.dst_port_start <= i.dst_port_start &&
         i.dst_port_end <= o.dst_port_end;
}

std::optional<Selector> selector_intersect(const Selector& a, const Selector& b) {
  if (a.src_start.family() != b.src_start.family() || a.dst_start.family() != b.dst_start.family())
    return std::nullopt;
  if (a.protocol != 0 && b.protocol != 0 && a.protocol != b.protocol) return std::nullopt;
  auto src = overlap(a.src_start, a.src_end, b.src_start, b.src_end);
  auto dst = overlap(a.dst_start, a.dst_end, b.dst_start, b.dst_end);
  auto sp = overlap(a.src_port_start, a.src_port_end, b.src_port_start, b.src_port_end);
  auto dp = overlap(a.dst_port_start, a.dst_port_end, b.dst_port_start, b.dst_port_end);
  if (!src || !dst || !sp || !dp) return std::nullopt;
  Selector s;
  s.src_start = src->first;
  s.src_end = src->second;
  s.dst_start = dst->first;
  s.dst_end = dst->second;
  s.protocol = a.protocol != 0 ? a.protocol : b.protocol;
  s.src_port_start = sp->first;
  s.src_port_end = sp->second;
  s.dst_port_start = dp->first;
  s.dst_port_end = dp->second;
  return s;
}

Selector selector_reversed(const Selector& s) {
  Selector r = s;
  r.src_start = s.dst_start;
  r.src_end = s.dst_end;
  r.dst_start = s.src_start;
  r.dst_end = s.src_end;
  r.src_port_start = s.dst_port_start;
  r.src_port_end = s.dst_port_end;
  r.dst_port_start = s.src_port_start;
  r.dst_port_end = s.src_port_end;
  return r;
}

}  // namespace ikegate::policy
