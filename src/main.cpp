// ikegate: an IKE/IPsec gateway configured and operated like a Cisco ASA or IOS router.
// The binary dispatches `config`, `run` and, for everything else, an operator command sent to the
// running daemon over its control socket.
#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/parser.h"
#include "config/printer.h"
#include "config/validate.h"
#include "daemon/control.h"
#include "daemon/gateway.h"
#include "daemon/loadgen.h"
#include "daemon/secret_file.h"

namespace ikegate {

namespace {

void usage(std::FILE* out) {
  fmt::print(out,
             "usage: ikegate config check [--strict] [--dialect asa|ios] FILE...\n"
             "       ikegate config show [--dialect asa|ios] FILE\n"
             "       ikegate run --config FILE [--socket PATH] [--socket-group NAME]\n"
             "                   [--dataplane auto|userspace|xfrm|none]\n"
             "                   [--tun NAME] [--map IFNAME=DEVICE] [--strict]\n"
             "                   [--debug-protocol N] [--debug-platform N]\n"
             "                   [--ike-lifetime SECONDS] [--ipsec-lifetime SECONDS]   (override the\n"
             "                   configured lifetimes, below Cisco's 120 s minimum: for rekey tests)\n"
             "       ikegate loadgen --config FILE [--count N] [--rate SA/S] [--window N]\n"
             "                   [--source ADDR,...] [--time-limit SECONDS] [--hold] [--verbose]\n"
             "                   (benchmarks: N IKE SAs + first CHILD SAs, nothing installed)\n"
             "       ikegate [--socket PATH] COMMAND...   (a command for the running daemon:\n"
             "                   show crypto ikev2 sa [detail], show crypto ipsec sa, clear crypto ikev2 sa,\n"
             "                   debug crypto ikev2 protocol N, undebug all, monitor, ...)\n");
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int config_command(const std::vector<std::string>& args) {
  if (args.empty()) {
    usage(stderr);
    return 2;
  }
  const std::string& sub = args[0];
  config::ParseOptions po;
  std::vector<std::string> files;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--strict") {
      po.strict = true;
    } else if (args[i] == "--dialect" && i + 1 < args.size()) {
      po.dialect = config::dialect_from_name(args[++i]);
      if (!po.dialect) {
        fmt::print(stderr, "ikegate: unknown dialect '{}'; expected asa or ios\n", args[i]);
        return 2;
      }
    } else {
      files.push_back(args[i]);
    }
  }
  if ((sub != "check" && sub != "show") || files.empty() || (sub == "show" && files.size() != 1)) {
    usage(stderr);
    return 2;
  }
  int status = 0;
  std::vector<config::ParseResult> results;
  std::vector<std::string> loaded;
  for (const auto& file : files) {
    auto text = read_text(file);
    if (!text) {
      fmt::print(stderr, "{}: cannot read the file: {}\n", file, std::strerror(errno));
      status = 1;
      continue;
    }
    results.push_back(config::load_config(*text, po));
    // `run` would refuse it; checking and showing it is fine, with the same words as a warning.
    if (auto problem = daemon::secret_file_problem(file, results.back().model))
      fmt::print(stderr, "{}: warning: {}\n", file, *problem);
    loaded.push_back(file);
  }
  // Gateways checked together that name each other as peers must protect mirrored traffic.
  std::vector<const config::Model*> models;
  for (const auto& r : results) models.push_back(&r.model);
  for (auto& [i, d] : config::check_peers(models, loaded)) results[i].diagnostics.push_back(d);
  for (std::size_t i = 0; i < results.size(); ++i) {
    auto& ds = results[i].diagnostics;
    std::stable_sort(ds.begin(), ds.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
    for (const auto& d : ds) fmt::print(stderr, "{}\n", config::format_diagnostic(loaded[i], d));
    if (!results[i].ok()) {
      status = 1;
      continue;
    }
    if (sub == "show") fmt::print("{}", config::print_running_config(results[i].model));
  }
  return status;
}

int run_command(const std::vector<std::string>& args) {
  daemon::GatewayOptions o;
  auto number = [](const std::string& s) -> std::optional<int> {
    try {
      std::size_t used = 0;
      int v = std::stoi(s, &used);
      if (used != s.size() || v < 0 || v > 255) return std::nullopt;
      return v;
    } catch (...) {
      return std::nullopt;
    }
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool has_value = i + 1 < args.size();
    if (a == "--config" && has_value) {
      o.config_path = args[++i];
    } else if (a == "--socket" && has_value) {
      o.socket_path = args[++i];
    } else if (a == "--socket-group" && has_value) {
      o.socket_group = args[++i];
    } else if (a == "--dataplane" && has_value) {
      o.dataplane = args[++i];
    } else if (a == "--tun" && has_value) {
      o.tun_name = args[++i];
    } else if (a == "--map" && has_value) {
      const std::string& m = args[++i];
      auto eq = m.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == m.size()) {
        fmt::print(stderr, "ikegate: --map wants IFNAME=DEVICE, got '{}'\n", m);
        return 2;
      }
      o.interface_map[m.substr(0, eq)] = m.substr(eq + 1);
    } else if (a == "--strict") {
      o.strict = true;
    } else if ((a == "--debug-protocol" || a == "--debug-platform") && has_value) {
      auto n = number(args[++i]);
      if (!n) {
        fmt::print(stderr, "ikegate: {} wants a level from 0 to 255\n", a);
        return 2;
      }
      (a == "--debug-protocol" ? o.debug_protocol : o.debug_platform) = *n;
    } else if ((a == "--ike-lifetime" || a == "--ipsec-lifetime") && has_value) {
      const std::string& v = args[++i];
      char* end = nullptr;
      long secs = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || secs < 10 || secs > 2147483647) {
        fmt::print(stderr, "ikegate: {} wants seconds from 10 to 2147483647, got '{}'\n", a, v);
        return 2;
      }
      (a == "--ike-lifetime" ? o.ike_lifetime : o.ipsec_lifetime) = std::chrono::seconds(secs);
    } else {
      fmt::print(stderr, "ikegate run: unknown or incomplete option '{}'\n", a);
      usage(stderr);
      return 2;
    }
  }
  if (o.config_path.empty()) {
    fmt::print(stderr, "ikegate run: --config FILE is required\n");
    return 2;
  }
  return daemon::run_gateway(o);
}

}  // namespace

int ikegate_main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string socket = daemon::kDefaultControlSocket;
  if (args.size() >= 2 && args[0] == "--socket") {
    socket = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  if (args.empty()) {
    usage(stderr);
    return 2;
  }
  const std::string& cmd = args[0];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage(stdout);
    return 0;
  }
  if (cmd == "config" && (args.size() < 2 || args[1] != "reload"))
    return config_command({args.begin() + 1, args.end()});
  if (cmd == "run") {
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (socket != daemon::kDefaultControlSocket) rest.insert(rest.begin(), {"--socket", socket});
    return run_command(rest);
  }
  if (cmd == "loadgen") {
    daemon::LoadgenOptions lo;
    if (auto r = daemon::parse_loadgen_args({args.begin() + 1, args.end()}, lo); !r) {
      fmt::print(stderr, "ikegate loadgen: {}\n", r.error().message);
      return 2;
    }
    return daemon::run_loadgen(lo);
  }
  // Everything else is an operator command for the running daemon.
  return daemon::run_control_client(socket, args, stdout);
}

}  // namespace ikegate

int main(int argc, char** argv) { return ikegate::ikegate_main(argc, argv); }
