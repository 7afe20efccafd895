#include "daemon/interfaces.h"

#include <fmt/format.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <memory>

namespace ikegate::daemon {

namespace {

struct IfaddrsDeleter {
  void operator()(ifaddrs* p) const { freeifaddrs(p); }
};

std::optional<IpAddress> address_of(const sockaddr* sa) {
  if (sa == nullptr) return std::nullopt;
  if (sa->sa_family == AF_INET) {
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof sin);
    return IpAddress::v4(ntohl(sin.sin_addr.s_addr));
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof sin6);
    std::array<std::uint8_t, 16> octets;
    std::memcpy(octets.data(), &sin6.sin6_addr, 16);
    return IpAddress::v6(octets);
  }
  return std::nullopt;
}

int prefix_length(const IpAddress& mask) {
  int bits = 0;
  for (std::uint8_t octet : mask.bytes()) bits += std::popcount(octet);
  return bits;
}

}  // namespace

Result<std::vector<LinuxInterface>> list_interfaces() {
  ifaddrs* head = nullptr;
  if (::getifaddrs(&head) != 0)
    return fail(fmt::format("cannot list network interfaces: {}", std::strerror(errno)));
  std::unique_ptr<ifaddrs, IfaddrsDeleter> owned(head);
  std::vector<LinuxInterface> out;
  for (const ifaddrs* ifa = head; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_name == nullptr) continue;
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const LinuxInterface& i) { return i.name == ifa->ifa_name; });
    if (it == out.end()) {
      LinuxInterface li;
      li.name = ifa->ifa_name;
      li.index = static_cast<int>(::if_nametoindex(ifa->ifa_name));
      li.up = (ifa->ifa_flags & IFF_UP) != 0;
      out.push_back(std::move(li));
      it = std::prev(out.end());
    }
    auto addr = address_of(ifa->ifa_addr);
    if (!addr) continue;  // AF_PACKET: the link itself
    auto mask = address_of(ifa->ifa_netmask);
    it->addresses.emplace_back(*addr, mask ? prefix_length(*mask) : (addr->is_v4() ? 32 : 128));
  }
  std::sort(out.begin(), out.end(),
            [](const LinuxInterface& a, const LinuxInterface& b) { return a.index < b.index; });
  return out;
}

std::optional<LinuxInterface> interface_with_address(const IpAddress& address) {
  auto all = list_interfaces();
  if (!all) return std::nullopt;
  for (auto& li : *all)
    for (const auto& [a, prefix] : li.addresses)
      if (a == address) return std::move(li);
  return std::nullopt;
}

Result<LinuxInterface> require_interface_with_address(const IpAddress& address,
                                                      std::string_view cisco_interface) {
  auto all = list_interfaces();
  if (!all) return std::unexpected(all.error());
  for (auto& li : *all) {
    for (const auto& [a, prefix] : li.addresses) {
      if (a != address) continue;
      if (!li.up)
        return fail(fmt::format("interface {}: address {} is on Linux device {}, which is down",
                                cisco_interface, address.to_string(), li.name));
      return std::move(li);
    }
  }
  return fail(fmt::format("interface {}: no Linux device has address {}; configure it (ip addr "
                          "add) or map the interface to a device explicitly",
                          cisco_interface, address.to_string()));
}

}  // namespace ikegate::daemon
