// IPv4/IPv6 addresses, prefixes and endpoints as value types.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"

namespace ikegate {

class IpAddress {
 public:
  enum class Family : std::uint8_t { V4 = 4, V6 = 6 };

  IpAddress() = default;  // 0.0.0.0
  static IpAddress v4(std::uint32_t host_order);
  static IpAddress v6(const std::array<std::uint8_t, 16>& octets);
  static std::optional<IpAddress> parse(std::string_view text);
  static std::optional<IpAddress> from_bytes(ByteView octets);  // 4 or 16 octets

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::V4; }
  std::uint32_t v4_value() const { return load_be32(octets_.data()); }  // host order
  ByteView bytes() const { return {octets_.data(), is_v4() ? 4u : 16u}; }
  bool is_unspecified() const;
  std::string to_string() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::V4;
  std::array<std::uint8_t, 16> octets_{};
};

struct Endpoint {
  IpAddress address;
  std::uint16_t port = 0;
  std::string to_string() const;  // "10.0.0.1:500" or "[::1]:500"
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// An IPv4 netmask (255.255.255.0) to a prefix length; nullopt if not contiguous.
std::optional<int> netmask_to_prefix(std::uint32_t mask);
std::uint32_t prefix_to_netmask(int prefix);

}  // namespace ikegate
