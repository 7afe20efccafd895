// The operator's command line, as the daemon receives it on its control socket, interpreted in
// the ASA or IOS personality: `show crypto ...`, `clear crypto ...`, `debug crypto ikev2|isakmp ...`,
// `terminal monitor`, `config reload`. Keywords may be abbreviated wherever the abbreviation is
// unambiguous, as on the boxes (`sh cry ikev2 sa det`). Everything the interpreter needs from
// the running daemon comes through Actions, so it is tested without one; it decides nothing
// about SAs itself, it only parses, calls and renders.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/debug.h"
#include "common/ip.h"
#include "common/result.h"
#include "ikev1/engine.h"
#include "ikev2/engine.h"
#include "policy/policy.h"

namespace ikegate::cli {

class CommandInterpreter {
 public:
  // What the daemon does for the interpreter. A missing action makes its commands fail with
  // status 1 and a message, never a crash.
  struct Actions {
    std::function<std::vector<ikev2::IkeSaInfo>()> snapshot;
    // The IKEv1 engine's SAs, listed by the isakmp, ipsec and session commands; may be empty.
    std::function<ikev1::Snapshot()> v1_snapshot;
    std::function<ikev2::Stats()> stats;
    std::function<ikev1::Stats()> v1_stats;  // may be empty: no IKEv1 engine
    // `peer` empty = all; the number of SAs cleared.
    std::function<std::size_t(std::optional<IpAddress> peer)> clear_ike;
    std::function<std::size_t(std::optional<IpAddress> peer)> clear_ipsec;
    // The IKEv1 engine's (may be empty): `clear crypto isakmp sa` clears its ISAKMP SAs (on the
    // ASA the IKEv2 SAs too), `clear crypto ipsec sa` its IPsec SAs next to the CHILD SAs.
    std::function<std::size_t(std::optional<IpAddress> peer)> clear_v1_isakmp;
    std::function<std::size_t(std::optional<IpAddress> peer)> clear_v1_ipsec;
    std::function<std::string()> running_config;
    // Re-read the configuration file and apply it; the daemon calls set_policy on success.
    std::function<Result<void>()> reload;
    // The data-plane backend's name, printed with each SA of `show crypto ipsec sa`.
    std::function<std::string()> dataplane;
  };

  struct Output {
    int status = 0;            // 0 = done, 1 = rejected or failed
    std::string text;          // every line ends with '\n'
    bool subscribe_monitor = false;  // `monitor` / `terminal monitor`: stream debug lines here
  };

  // Longest command line accepted; longer ones are rejected without being parsed.
  static constexpr std::size_t kMaxLine = 1024;

  CommandInterpreter(policy::Personality personality, std::shared_ptr<const policy::Policy> policy,
                     Actions actions);
  ~CommandInterpreter();
  CommandInterpreter(CommandInterpreter&&) noexcept;
  CommandInterpreter& operator=(CommandInterpreter&&) noexcept;

  Output execute(std::string_view line);

  const DebugLevels& debug_levels() const { return levels_; }
  void set_policy(std::shared_ptr<const policy::Policy> policy);

 private:
  struct Node;
  struct Parsed;
  void add(std::string_view path, int command);
  Output run(const Parsed& p);
  Output error(std::string_view message) const;
  std::string show_stats() const;
  std::string show_isakmp_stats() const;
  std::string show_debug() const;
  Output invalid_at(std::string_view line, std::size_t column) const;

  policy::Personality personality_;
  std::shared_ptr<const policy::Policy> policy_;
  Actions actions_;
  DebugLevels levels_;
  std::unique_ptr<Node> root_;
};

}  // namespace ikegate::cli
