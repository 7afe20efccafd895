#include "common/selector.h"

namespace ikegate {

std::string_view ip_protocol_keyword(std::uint8_t protocol) {
  switch (protocol) {
    case 0: return "ip";
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 47: return "gre";
    case 50: return "esp";
    case 51: return "ahp";
    default: return {};
  }
}

}  // namespace ikegate
