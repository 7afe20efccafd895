#include "wire/vendor_ids.h"

#include <algorithm>
#include <array>

namespace ikegate::wire::vid {

namespace {

constexpr std::string_view kDeleteReason = "CISCO-DELETE-REASON";
constexpr std::string_view kCopyright = "CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco Systems, Inc.";
constexpr std::string_view kFlexVpn = "FLEXVPN-SUPPORTED";
constexpr std::string_view kDynamicRoute = "CISCO-DYNAMIC-ROUTE";
constexpr std::array<std::uint8_t, 16> kFragmentation = {0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc,
                                                         0xe8, 0x85, 0x25, 0xe7, 0xde, 0x7f,
                                                         0x00, 0xd6, 0xc2, 0xd3};
constexpr std::array<std::uint8_t, 8> kGraniteSuffix = {0x3d, 0xb7, 0x84, 0x1a,
                                                        0x75, 0xe6, 0x83, 0xa6};

Bytes ascii(std::string_view s) {
  auto v = as_bytes(s);
  return Bytes(v.begin(), v.end());
}

bool equals(ByteView v, std::string_view s) {
  return std::ranges::equal(v, as_bytes(s));
}

struct Names {
  Known id;
  std::string_view construct;
  std::string_view parse;
};

// One table: how Cisco names each VID when it builds one and when it parses one.
constexpr Names kNames[] = {
    {Known::CUSTOM, "(CUSTOM)", "(CUSTOM)"},
    {Known::CISCO_DELETE_REASON, "CISCO-DELETE-REASON", "CISCO-DELETE-REASON"},
    {Known::CISCO_COPYRIGHT, "CISCO(COPYRIGHT)", "CISCO(COPYRIGHT)"},
    {Known::FRAGMENTATION, "FRAGMENTATION", "FRAGMENTATION"},
    {Known::CISCO_GRANITE, "CISCO-GRANITE", "(CUSTOM)"},
    {Known::FLEXVPN_SUPPORTED, "(CUSTOM)", "(CUSTOM)"},
    {Known::CISCO_DYNAMIC_ROUTE, "CISCO-DYNAMIC-ROUTE", "CISCO-DYNAMIC-ROUTE"},
};

const Names& names(Known k) {
  for (const auto& n : kNames) {
    if (n.id == k) return n;
  }
  return kNames[0];
}

}  // namespace

Bytes cisco_delete_reason() { return ascii(kDeleteReason); }
Bytes cisco_copyright() { return ascii(kCopyright); }
Bytes cisco_fragmentation() { return Bytes(kFragmentation.begin(), kFragmentation.end()); }
Bytes flexvpn_supported() { return ascii(kFlexVpn); }
Bytes cisco_dynamic_route() { return ascii(kDynamicRoute); }

Bytes cisco_granite(std::span<const std::uint8_t, 8> per_sa) {
  Bytes out(per_sa.size() + kGraniteSuffix.size());
  std::ranges::copy(per_sa, out.begin());
  std::ranges::copy(kGraniteSuffix, out.begin() + per_sa.size());
  return out;
}

Known classify(ByteView v) {
  if (equals(v, kDeleteReason)) return Known::CISCO_DELETE_REASON;
  if (equals(v, kCopyright)) return Known::CISCO_COPYRIGHT;
  if (equals(v, kFlexVpn)) return Known::FLEXVPN_SUPPORTED;
  if (equals(v, kDynamicRoute)) return Known::CISCO_DYNAMIC_ROUTE;
  if (std::ranges::equal(v, kFragmentation)) return Known::FRAGMENTATION;
  if (v.size() == 16 && std::ranges::equal(v.subspan(8), kGraniteSuffix)) {
    return Known::CISCO_GRANITE;
  }
  return Known::CUSTOM;
}

std::string_view construct_name(Known k) { return names(k).construct; }
std::string_view parse_name(ByteView v) { return names(classify(v)).parse; }

std::vector<Bytes> ike_sa_init_set() {
  return {cisco_delete_reason(), cisco_copyright(), cisco_fragmentation()};
}

}  // namespace ikegate::wire::vid
