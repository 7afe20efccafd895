// `ikegate run`: the gateway process. Loads the configuration, binds IKE sockets on the
// addresses of the interfaces that carry `crypto ikev2 enable` or a crypto map, builds the data
// plane, and runs the IKEv2 engine on one event loop; the control socket serves `show`,
// `clear` and `debug` commands.
#pragma once

#include <cstdint>
#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace ikegate::daemon {

struct GatewayOptions {
  std::string config_path;
  std::string socket_path = "/run/ikegate/ikegate.sock";
  std::string socket_group;  // empty: the control socket is for root only (0600); else 0660
  std::string dataplane = "auto";  // auto | userspace | xfrm | none (IKE only, for tests)
  std::string tun_name = "ikegate0";
  // Cisco interface (nameif or name) -> Linux device, for `ip address dhcp` interfaces.
  std::map<std::string, std::string> interface_map;
  std::uint16_t ike_port = 500;
  std::uint16_t natt_port = 4500;
  bool strict = false;
  int debug_protocol = 0;  // start with `debug crypto ikev2 protocol N` already set
  int debug_platform = 0;
  // Replace every configured IKE / IPsec SA lifetime (seconds). For tests of rekeying: the
  // configuration languages stop at Cisco's minimum of 120 s.
  std::optional<std::chrono::seconds> ike_lifetime, ipsec_lifetime;
};

// Runs until SIGTERM/SIGINT; returns the process exit status. Start-up errors are printed to
// stderr as one line each and give status 1.
int run_gateway(const GatewayOptions& options);

}  // namespace ikegate::daemon
