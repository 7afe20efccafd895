#include "cli/commands.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "cli/show_asa.h"
#include "cli/show_ios.h"
#include "cli/views.h"
#include "policy/from_model.h"

namespace ikegate::cli {
namespace {

enum Command : int {
  kNone = -1,
  kShowIkev2Sa,
  kShowIkev2SaDetail,
  kShowIkev2Stats,
  kShowIsakmpSa,
  kShowIsakmpStats,
  kShowIsakmpSaDetail,
  kShowIpsecSa,
  kShowSession,
  kShowRunning,
  kShowDebug,
  kClearIkev2Sa,
  kClearIpsecSa,
  kClearIsakmpSa,
  kDebugProtocol,
  kDebugPlatform,
  kDebugIkev2All,     // IOS `debug crypto ikev2`
  kDebugIkev2Packet,  // IOS: message dumps
  kDebugIkev2Internal,
  kDebugIkev2Error,
  kUndebugAll,
  kUndebugIkev2,
  kDebugIsakmp,
  kUndebugIsakmp,
  kDebugIpsec,
  kUndebugIpsec,
  kShowIsakmpPolicy,
  kShowIsakmpDefaultPolicy,
  kMonitor,
  kConfigReload,
};

enum class Arg { None, Ip, Level };

struct Token {
  std::string_view text;
  std::size_t column = 0;
};

bool printable(unsigned char c) { return c == '\t' || (c >= 0x20 && c < 0x7f); }

bool iequals_prefix(std::string_view token, std::string_view keyword) {
  if (token.size() > keyword.size()) return false;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(token[i])) != keyword[i]) return false;
  }
  return true;
}

std::optional<int> parse_level(std::string_view t) {
  int v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc{} || p != t.data() + t.size() || v < 1 || v > 255) return std::nullopt;
  return v;
}

}  // namespace

struct CommandInterpreter::Node {
  std::vector<std::string> spellings;  // lower case; empty for an argument
  Arg arg = Arg::None;
  int command = kNone;  // set where a command may end
  std::vector<std::unique_ptr<Node>> children;
};

struct CommandInterpreter::Parsed {
  int command = kNone;
  std::optional<IpAddress> ip;
  std::optional<int> level;
};

CommandInterpreter::CommandInterpreter(policy::Personality personality,
                                       std::shared_ptr<const policy::Policy> policy,
                                       Actions actions)
    : personality_(personality),
      policy_(std::move(policy)),
      actions_(std::move(actions)),
      root_(std::make_unique<Node>()) {
  const bool ios = personality_ == policy::Personality::Ios;
  add("show crypto ikev2 sa", kShowIkev2Sa);
  add("show crypto ikev2 sa detail|detailed", kShowIkev2SaDetail);
  add("show crypto ikev2 stats", kShowIkev2Stats);
  add("show crypto isakmp sa", kShowIsakmpSa);
  add("show crypto isakmp sa detail", kShowIsakmpSaDetail);
  if (!ios) add("show crypto isakmp stats", kShowIsakmpStats);
  add("show crypto ipsec sa", kShowIpsecSa);
  add("show crypto ipsec sa peer <ip>", kShowIpsecSa);
  if (ios) {
    add("show crypto isakmp policy", kShowIsakmpPolicy);
    add("show crypto isakmp default policy", kShowIsakmpDefaultPolicy);
    add("show crypto session", kShowSession);
    add("show crypto session detail", kShowSession);
  }
  add("show running-config", kShowRunning);
  add("show debug|debugging", kShowDebug);
  add("clear crypto ikev2 sa", kClearIkev2Sa);
  add("clear crypto ikev2 sa <ip>", kClearIkev2Sa);
  add("clear crypto ipsec sa", kClearIpsecSa);
  add("clear crypto ipsec sa peer <ip>", kClearIpsecSa);
  add("clear crypto isakmp sa", kClearIsakmpSa);
  add("debug crypto ikev2 protocol", kDebugProtocol);
  add("debug crypto ikev2 protocol <level>", kDebugProtocol);
  add("debug crypto ikev2 platform", kDebugPlatform);
  add("debug crypto ikev2 platform <level>", kDebugPlatform);
  if (ios) {
    add("debug crypto ikev2", kDebugIkev2All);
    add("debug crypto ikev2 packet", kDebugIkev2Packet);
    add("debug crypto ikev2 internal", kDebugIkev2Internal);
    add("debug crypto ikev2 error", kDebugIkev2Error);
  }
  add("debug crypto isakmp", kDebugIsakmp);
  add("debug crypto isakmp <level>", kDebugIsakmp);
  add("debug crypto ipsec", kDebugIpsec);
  add("debug crypto ipsec <level>", kDebugIpsec);
  add("undebug all", kUndebugAll);
  add("no debug all", kUndebugAll);
  add("undebug crypto ikev2", kUndebugIkev2);
  add("no debug crypto ikev2", kUndebugIkev2);
  add("undebug crypto isakmp", kUndebugIsakmp);
  add("no debug crypto isakmp", kUndebugIsakmp);
  add("undebug crypto ipsec", kUndebugIpsec);
  add("no debug crypto ipsec", kUndebugIpsec);
  add("terminal monitor", kMonitor);
  add("monitor", kMonitor);
  add("config reload", kConfigReload);
}

CommandInterpreter::~CommandInterpreter() = default;
CommandInterpreter::CommandInterpreter(CommandInterpreter&&) noexcept = default;
CommandInterpreter& CommandInterpreter::operator=(CommandInterpreter&&) noexcept = default;

void CommandInterpreter::set_policy(std::shared_ptr<const policy::Policy> policy) {
  policy_ = std::move(policy);
}

// `path` is keywords separated by blanks; "a|b" is one keyword with two spellings, "<ip>" and
// "<level>" are arguments.
void CommandInterpreter::add(std::string_view path, int command) {
  Node* node = root_.get();
  while (!path.empty()) {
    auto sp = path.find(' ');
    std::string_view word = path.substr(0, sp);
    path = sp == std::string_view::npos ? std::string_view{} : path.substr(sp + 1);
    Node proto;
    if (word == "<ip>") {
      proto.arg = Arg::Ip;
    } else if (word == "<level>") {
      proto.arg = Arg::Level;
    } else {
      while (!word.empty()) {
        auto bar = word.find('|');
        proto.spellings.emplace_back(word.substr(0, bar));
        word = bar == std::string_view::npos ? std::string_view{} : word.substr(bar + 1);
      }
    }
    auto it = std::find_if(node->children.begin(), node->children.end(), [&](const auto& c) {
      return c->arg == proto.arg && c->spellings == proto.spellings;
    });
    if (it == node->children.end()) {
      node->children.push_back(std::make_unique<Node>(std::move(proto)));
      it = std::prev(node->children.end());
    }
    node = it->get();
  }
  node->command = command;
}

CommandInterpreter::Output CommandInterpreter::error(std::string_view message) const {
  Output o;
  o.status = 1;
  o.text = fmt::format("{}{}\n", personality_ == policy::Personality::Asa ? "ERROR: " : "",
                       message);
  return o;
}

// The box echoes the line and puts a caret under the first character it could not take.
CommandInterpreter::Output CommandInterpreter::invalid_at(std::string_view line,
                                                         std::size_t column) const {
  std::string echo;
  for (char ch : line) {
    auto c = static_cast<unsigned char>(ch);
    echo += c == '\t' ? ' ' : printable(c) ? ch : '?';
  }
  Output o = error("% Invalid input detected at '^' marker.");
  o.text = fmt::format("{}\n{}^\n{}", echo, std::string(column, ' '), o.text);
  return o;
}

CommandInterpreter::Output CommandInterpreter::execute(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.size() > kMaxLine) {
    return error(fmt::format("% Command line too long ({} characters, at most {})", line.size(),
                             kMaxLine));
  }
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (!printable(static_cast<unsigned char>(line[i]))) return invalid_at(line, i);
  }

  std::vector<Token> tokens;
  for (std::size_t i = 0; i < line.size();) {
    if (line[i] == ' ' || line[i] == '\t') {
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    tokens.push_back({line.substr(start, i - start), start});
  }
  if (tokens.empty()) return {};

  Parsed parsed;
  const Node* node = root_.get();
  for (const auto& t : tokens) {
    const Node* next = nullptr;
    std::size_t matches = 0;
    for (const auto& child : node->children) {
      if (child->arg != Arg::None) continue;
      bool exact = false, prefix = false;
      for (const auto& s : child->spellings) {
        if (iequals_prefix(t.text, s)) {
          prefix = true;
          exact = exact || t.text.size() == s.size();
        }
      }
      if (exact) {
        next = child.get();
        matches = 1;
        break;
      }
      if (prefix) {
        next = child.get();
        ++matches;
      }
    }
    if (matches > 1) {
      auto upto = line.substr(0, t.column + t.text.size());
      return error(fmt::format("% Ambiguous command:  \"{}\"", upto));
    }
    if (next == nullptr) {
      for (const auto& child : node->children) {
        if (child->arg == Arg::Ip) {
          if (auto a = IpAddress::parse(t.text)) {
            parsed.ip = *a;
            next = child.get();
          }
        } else if (child->arg == Arg::Level) {
          if (auto v = parse_level(t.text)) {
            parsed.level = *v;
            next = child.get();
          }
        }
        if (next != nullptr) break;
      }
    }
    if (next == nullptr) return invalid_at(line, t.column);
    node = next;
  }
  if (node->command == kNone) {
    return error(personality_ == policy::Personality::Asa ? "% Incomplete command"
                                                          : "% Incomplete command.");
  }
  parsed.command = node->command;
  return run(parsed);
}

std::string CommandInterpreter::show_stats() const {
  ikev2::Stats s = actions_.stats();
  std::size_t active = 0;
  if (actions_.snapshot) {
    for (const auto& sa : actions_.snapshot()) active += sa.status == "READY" ? 1 : 0;
  }
  std::string out = "Global IKEv2 Statistics\n";
  auto row = [&](std::string_view name, std::uint64_t value) {
    out += fmt::format("  {:<40}{}\n", fmt::format("{}:", name), value);
  };
  row("Active Tunnels", active);
  row("Half-open SAs", s.half_open);
  row("Established SAs", s.established);
  row("In IKE_SA_INIT Requests", s.sa_init_received);
  row("Out IKE_SA_INIT Requests", s.sa_init_sent);
  row("Cookie Challenges Sent", s.cookies_sent);
  row("Authentication Failures", s.auth_failures);
  row("NO_PROPOSAL_CHOSEN", s.no_proposal);
  row("TS_UNACCEPTABLE", s.ts_unacceptable);
  row("Invalid SPI", s.invalid_spi);
  row("Invalid Message ID", s.invalid_message_id);
  row("Role Mismatch (Reflected)", s.role_mismatch);
  row("Decode Errors", s.decode_errors);
  row("Integrity Check Failures", s.icv_failures);
  row("Retransmissions", s.retransmits);
  row("Duplicate Requests", s.duplicate_requests);
  row("Invalid Retransmissions", s.invalid_retransmits);
  row("DPD Timeouts", s.dpd_timeouts);
  row("Fragments Sent", s.fragments_sent);
  row("Fragments Received", s.fragments_received);
  row("Fragments Refused", s.fragment_errors);
  row("Dropped, Crypto Workers Busy", s.busy_drops);
  return out;
}

// The ASA's `show crypto isakmp stats`: the IKEv1 counters under Cisco's names (the cikeGlobal
// objects of CISCO-IPSEC-FLOW-MONITOR-MIB), then the IKEv2 ones. "Out Drop Packets" and "Out P2
// Exchange Invalids" are counted by nobody here (the engine does not learn of failed sends or
// of the peer's verdict on a message) and stay 0.
std::string CommandInterpreter::show_isakmp_stats() const {
  ikev1::Stats s = actions_.v1_stats ? actions_.v1_stats() : ikev1::Stats{};
  std::uint64_t active = 0;
  if (actions_.v1_snapshot)
    for (const auto& sa : actions_.v1_snapshot().isakmp) active += sa.established ? 1 : 0;
  std::uint64_t previous = s.phase1_completed > active ? s.phase1_completed - active : 0;
  std::string out = "Global IKEv1 Statistics\n";
  auto row = [&](std::string_view name, std::uint64_t value) {
    out += fmt::format("  {:<26}{:>10}\n", fmt::format("{}:", name), value);
  };
  row("Active Tunnels", active);
  row("Previous Tunnels", previous);
  row("In Octets", s.in_octets);
  row("In Packets", s.in_packets);
  row("In Drop Packets", s.in_drops);
  row("In Notifys", s.in_notifies);
  row("In P2 Exchanges", s.in_p2);
  row("In P2 Exchange Invalids", s.in_p2_invalid);
  row("In P2 Exchange Rejects", s.in_p2_rejects);
  row("In P2 Sa Delete Requests", s.in_p2_deletes);
  row("Out Octets", s.out_octets);
  row("Out Packets", s.out_packets);
  row("Out Drop Packets", 0);
  row("Out Notifys", s.out_notifies);
  row("Out P2 Exchanges", s.out_p2);
  row("Out P2 Exchange Invalids", 0);
  row("Out P2 Exchange Rejects", s.out_p2_rejects);
  row("Out P2 Sa Delete Requests", s.out_p2_deletes);
  row("Initiator Tunnels", s.initiator_tunnels);
  row("Initiator Fails", s.initiator_fails);
  row("Responder Fails", s.responder_fails);
  row("System Capacity Fails", s.capacity_fails);
  row("Auth Fails", s.auth_failures);
  row("Decrypt Fails", s.decrypt_failures);
  row("Hash Valid Fails", s.hash_failures);
  row("No Sa Fails", s.unknown_cookies);
  if (actions_.stats) out += "\n" + show_stats();
  return out;
}

std::string CommandInterpreter::show_debug() const {
  std::string out;
  if (personality_ == policy::Personality::Asa) {
    if (levels_.protocol > 0) out += fmt::format("debug crypto ikev2 protocol {}\n", levels_.protocol);
    if (levels_.platform > 0) out += fmt::format("debug crypto ikev2 platform {}\n", levels_.platform);
    if (levels_.isakmp > 0) out += fmt::format("debug crypto isakmp {}\n", levels_.isakmp);
    if (levels_.ipsec > 0) out += fmt::format("debug crypto ipsec {}\n", levels_.ipsec);
    return out;
  }
  if (!levels_.any()) return out;
  out += "Crypto Subsystem:\n";
  if (levels_.protocol > 0)
    out += fmt::format("  Crypto IKEv2 protocol debugging is on (level {})\n", levels_.protocol);
  if (levels_.platform > 0)
    out += fmt::format("  Crypto IKEv2 platform debugging is on (level {})\n", levels_.platform);
  if (levels_.isakmp > 0)
    out += fmt::format("  Crypto ISAKMP debugging is on (level {})\n", levels_.isakmp);
  if (levels_.ipsec > 0) out += "  Crypto IPSEC debugging is on\n";
  return out;
}

CommandInterpreter::Output CommandInterpreter::run(const Parsed& p) {
  const bool asa = personality_ == policy::Personality::Asa;
  auto unavailable = [&] { return error("% This command is not available"); };
  auto snapshot = [&]() -> std::optional<std::vector<ikev2::IkeSaInfo>> {
    if (!actions_.snapshot) return std::nullopt;
    return actions_.snapshot();
  };
  auto v1 = [&]() { return actions_.v1_snapshot ? actions_.v1_snapshot() : ikev1::Snapshot{}; };
  Output o;
  switch (p.command) {
    case kShowIkev2Sa:
    case kShowIkev2SaDetail:
    case kShowIsakmpSa:
    case kShowIsakmpSaDetail: {
      auto sas = snapshot();
      if (!sas) return unavailable();
      auto views = ike_sa_views(*sas, personality_);
      bool detail = p.command == kShowIkev2SaDetail || p.command == kShowIsakmpSaDetail;
      bool isakmp = p.command == kShowIsakmpSa || p.command == kShowIsakmpSaDetail;
      if (isakmp) {
        auto v1_views = ike_sa_views(v1(), personality_);
        views.insert(views.begin(), v1_views.begin(), v1_views.end());
        o.text = asa ? asa::show_crypto_isakmp_sa(views, detail)
                     : ios::show_crypto_isakmp_sa(views, detail);
      } else {
        o.text = asa ? asa::show_crypto_ikev2_sa(views, detail)
                     : ios::show_crypto_ikev2_sa(views, detail);
      }
      return o;
    }
    case kShowIpsecSa: {
      auto sas = snapshot();
      if (!sas || !policy_) return unavailable();
      if (p.ip) std::erase_if(*sas, [&](const auto& sa) { return sa.remote.address != *p.ip; });
      auto views = child_sa_views(*sas, *policy_);
      auto v1_views = child_sa_views(v1(), *policy_);
      if (p.ip)
        std::erase_if(v1_views, [&](const auto& v) { return v.remote_endpoint.address != *p.ip; });
      views.insert(views.end(), v1_views.begin(), v1_views.end());
      if (actions_.dataplane)
        for (auto& v : views) v.dataplane = actions_.dataplane();
      o.text = asa ? asa::show_crypto_ipsec_sa(views) : ios::show_crypto_ipsec_sa(views);
      return o;
    }
    case kShowSession: {
      auto sas = snapshot();
      if (!sas || !policy_) return unavailable();
      auto sessions = session_views(*sas, *policy_);
      add_session_views(sessions, v1(), *policy_);
      o.text = ios::show_crypto_session_detail(sessions);
      return o;
    }
    case kShowIkev2Stats:
      if (!actions_.stats) return unavailable();
      o.text = show_stats();
      return o;
    case kShowIsakmpStats:
      if (!actions_.v1_stats && !actions_.stats) return unavailable();
      o.text = show_isakmp_stats();
      return o;
    case kShowRunning:
      if (!actions_.running_config) return unavailable();
      o.text = actions_.running_config();
      if (!o.text.empty() && o.text.back() != '\n') o.text += '\n';
      return o;
    case kShowDebug:
      o.text = show_debug();
      return o;
    case kClearIkev2Sa:
    case kClearIsakmpSa:
      if (!actions_.clear_ike) return unavailable();
      // IOS `clear crypto isakmp sa` is about IKEv1 SAs only; the ASA's clears every IKE SA.
      if (p.command == kClearIsakmpSa && actions_.clear_v1_isakmp) actions_.clear_v1_isakmp(p.ip);
      if (p.command == kClearIsakmpSa && !asa) return o;
      actions_.clear_ike(p.ip);
      return o;
    case kClearIpsecSa:
      if (!actions_.clear_ipsec) return unavailable();
      actions_.clear_ipsec(p.ip);
      if (actions_.clear_v1_ipsec) actions_.clear_v1_ipsec(p.ip);
      return o;
    case kDebugProtocol:
      levels_.protocol = p.level.value_or(1);
      return o;
    case kDebugPlatform:
      levels_.platform = p.level.value_or(1);
      return o;
    case kDebugIkev2All:
      levels_.protocol = levels_.platform = 127;
      return o;
    case kDebugIkev2Packet:
      levels_.protocol = std::max(levels_.protocol, 4);
      levels_.platform = std::max(levels_.platform, 4);
      return o;
    case kDebugIkev2Internal:
      levels_.platform = 127;
      return o;
    case kDebugIkev2Error:
      levels_.protocol = std::max(levels_.protocol, 1);
      levels_.platform = std::max(levels_.platform, 1);
      return o;
    case kDebugIsakmp:
      // IOS `debug crypto isakmp` takes no level: everything.
      levels_.isakmp = p.level.value_or(asa ? 1 : 255);
      return o;
    case kUndebugIsakmp:
      levels_.isakmp = 0;
      return o;
    case kDebugIpsec:
      // IOS `debug crypto ipsec` takes no level.
      levels_.ipsec = p.level.value_or(asa ? 1 : 255);
      return o;
    case kUndebugIpsec:
      levels_.ipsec = 0;
      return o;
    case kShowIsakmpPolicy:
      if (!policy_) return unavailable();
      o.text = ios::show_crypto_isakmp_policy(policy_->isakmp_proposals);
      return o;
    case kShowIsakmpDefaultPolicy:
      o.text = ios::show_crypto_isakmp_default_policy(policy::ios_default_isakmp_policies());
      return o;
    case kUndebugAll:
      levels_ = {};
      if (!asa) o.text = "All possible debugging has been turned off\n";
      return o;
    case kUndebugIkev2:
      levels_.protocol = levels_.platform = 0;
      return o;
    case kMonitor:
      o.subscribe_monitor = true;
      return o;
    case kConfigReload: {
      if (!actions_.reload) return unavailable();
      auto r = actions_.reload();
      if (!r) return error(fmt::format("% Configuration not reloaded: {}", r.error().message));
      return o;
    }
    default:
      return unavailable();
  }
}

}  // namespace ikegate::cli
