#include "common/ip.h"

#include <arpa/inet.h>

#include <algorithm>

namespace ikegate {

IpAddress IpAddress::v4(std::uint32_t host_order) {
  IpAddress a;
  a.family_ = Family::V4;
  store_be32(a.octets_.data(), host_order);
  return a;
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& octets) {
  IpAddress a;
  a.family_ = Family::V6;
  a.octets_ = octets;
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.octets_.data()) == 1) {
    a.family_ = Family::V4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.octets_.data()) == 1) {
    a.family_ = Family::V6;
    return a;
  }
  return std::nullopt;
}

std::optional<IpAddress> IpAddress::from_bytes(ByteView octets) {
  IpAddress a;
  if (octets.size() == 4) {
    a.family_ = Family::V4;
  } else if (octets.size() == 16) {
    a.family_ = Family::V6;
  } else {
    return std::nullopt;
  }
  std::copy(octets.begin(), octets.end(), a.octets_.begin());
  return a;
}

bool IpAddress::is_unspecified() const {
  auto b = bytes();
  return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, octets_.data(), buf, sizeof buf);
  return buf;
}

std::string Endpoint::to_string() const {
  if (address.is_v4()) return address.to_string() + ":" + std::to_string(port);
  return "[" + address.to_string() + "]:" + std::to_string(port);
}

std::optional<int> netmask_to_prefix(std::uint32_t mask) {
  int prefix = 0;
  while (prefix < 32 && (mask & (0x80000000u >> prefix))) ++prefix;
  if (prefix < 32 && (mask << prefix) != 0) return std::nullopt;
  return prefix;
}

std::uint32_t prefix_to_netmask(int prefix) {
  if (prefix <= 0) return 0;
  if (prefix >= 32) return 0xffffffffu;
  return ~((1u << (32 - prefix)) - 1);
}

}  // namespace ikegate
