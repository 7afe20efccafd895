// Linux network devices and their addresses, to bind Cisco interfaces ("interface
// GigabitEthernet0/0 / nameif outside / ip address 10.0.0.1 ...") to Linux devices by address.
//
// Read with getifaddrs(3): glibc fills it from the same netlink dumps (RTM_GETLINK and
// RTM_GETADDR) a hand-written libmnl query would send, and start-up needs nothing more than a
// one-time snapshot. Netlink proper (libmnl) stays where the daemon writes state: routes, rules
// and devices in the data plane.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/ip.h"
#include "common/result.h"

namespace ikegate::daemon {

struct LinuxInterface {
  std::string name;
  int index = 0;
  std::vector<std::pair<IpAddress, int>> addresses;  // address and prefix length
  bool up = false;                                   // IFF_UP
};

// Every device, including those without addresses, in kernel index order.
Result<std::vector<LinuxInterface>> list_interfaces();
// The device that carries `address`; nullopt if none does (a start-up error for the caller).
std::optional<LinuxInterface> interface_with_address(const IpAddress& address);
// A clear start-up error when no device carries `address`, naming the Cisco interface.
Result<LinuxInterface> require_interface_with_address(const IpAddress& address,
                                                      std::string_view cisco_interface);

}  // namespace ikegate::daemon
