// A traffic selector (RFC 7296 3.13.1, RFC 4301 4.4.1) as the policy, the engines and the data
// plane all see it: inclusive address and port ranges and an IP protocol, from the point of view
// of OUTBOUND traffic (src = this gateway's protected side).
#pragma once

#include <cstdint>
#include <string_view>

#include "common/ip.h"

namespace ikegate {

struct TrafficSelector {
  IpAddress src_start, src_end, dst_start, dst_end;
  std::uint8_t protocol = 0;  // 0 = any
  std::uint16_t src_port_start = 0, src_port_end = 65535;
  std::uint16_t dst_port_start = 0, dst_port_end = 65535;
  friend bool operator==(const TrafficSelector&, const TrafficSelector&) = default;
};

// Cisco's keyword for an IP protocol number in ACLs and show output ("ip" for 0, "tcp", ...);
// empty when Cisco prints the number.
std::string_view ip_protocol_keyword(std::uint8_t protocol);

}  // namespace ikegate
