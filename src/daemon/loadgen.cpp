#include "daemon/loadgen.h"

#include <fmt/core.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "config/diagnostics.h"
#include "config/parser.h"
#include "daemon/event_loop.h"
#include "daemon/ike_socket.h"
#include "daemon/interfaces.h"
#include "daemon/null_dataplane.h"
#include "ikev2/engine.h"
#include "policy/from_model.h"

namespace ikegate::daemon {

namespace {

Result<std::shared_ptr<policy::Policy>> load_policy(const LoadgenOptions& o) {
  std::ifstream in(o.config_path, std::ios::binary);
  if (!in) return fail(fmt::format("{}: cannot read the configuration file", o.config_path));
  std::ostringstream ss;
  ss << in.rdbuf();
  auto parsed = config::load_config(ss.str());
  std::string errors;
  for (const auto& d : parsed.diagnostics)
    if (d.severity == config::Severity::Error) errors += config::format_diagnostic(o.config_path, d) + "\n";
  if (!parsed.ok()) {
    if (!errors.empty()) errors.pop_back();
    return fail(errors);
  }
  auto pol = policy::from_model(parsed.model);
  if (!pol) return fail(fmt::format("{}: {}", o.config_path, pol.error().message));
  return std::make_shared<policy::Policy>(std::move(*pol));
}

// Replaces the crypto map entries by one entry per source address whose ACL has one host line
// per SA: SA i is line i / K of entry i % K (K sources).
Result<void> expand_policy(policy::Policy& p, const LoadgenOptions& o) {
  auto it = std::find_if(p.map_entries.begin(), p.map_entries.end(), [](const policy::CryptoMapEntry& e) {
    return !e.dynamic && !e.ikev1 && !e.peers.empty() &&
           std::any_of(e.acl.begin(), e.acl.end(), [](const auto& a) { return a.permit; });
  });
  if (it == p.map_entries.end())
    return fail(fmt::format("{}: no static IKEv2 crypto map entry with a peer and a permit ACL line; the load "
                            "generator needs one",
                            o.config_path));
  policy::CryptoMapEntry base = *it;
  const auto& line = *std::find_if(base.acl.begin(), base.acl.end(), [](const auto& a) { return a.permit; });
  if (!line.selector.src_start.is_v4())
    return fail(fmt::format("{}: the load generator's ACL line must be IPv4", o.config_path));
  std::vector<IpAddress> sources{base.local_address};
  for (const auto& s : o.sources)
    if (std::find(sources.begin(), sources.end(), s) == sources.end()) sources.push_back(s);
  std::uint32_t first = line.selector.src_start.v4_value();
  if (std::uint64_t{first} + o.count > 0xffffffffull)
    return fail("--count is too large for the ACL line's source address");
  std::vector<policy::CryptoMapEntry> entries;
  for (std::size_t k = 0; k < sources.size(); ++k) {
    policy::CryptoMapEntry e = base;
    e.seq = base.seq + static_cast<std::uint32_t>(k);
    e.local_address = sources[k];
    e.acl.clear();
    entries.push_back(std::move(e));
  }
  for (std::size_t i = 0; i < o.count; ++i) {
    policy::AclEntry a;
    a.selector = line.selector;
    a.selector.src_start = a.selector.src_end = IpAddress::v4(first + static_cast<std::uint32_t>(i));
    a.text = fmt::format("access-list {} extended permit ip host {} {}", base.acl_name, a.selector.src_start.to_string(),
                         a.selector.dst_start.to_string());
    entries[i % sources.size()].acl.push_back(std::move(a));
  }
  p.map_entries = std::move(entries);
  for (const auto& s : sources)
    if (std::find(p.ikev2_addresses.begin(), p.ikev2_addresses.end(), s) == p.ikev2_addresses.end())
      p.ikev2_addresses.push_back(s);
  p.dpd.interval = std::chrono::seconds(0);  // the generator never probes; it answers probes
  return {};
}

class Loadgen final : public ikev2::Host {
 public:
  explicit Loadgen(LoadgenOptions o) : o_(std::move(o)) {}

  int run() {
    auto pol = load_policy(o_);
    if (!pol) return error(pol.error().message);
    if (auto r = expand_policy(**pol, o_); !r) return error(r.error().message);
    policy_ = std::move(*pol);
    for (const auto& e : policy_->map_entries) {
      if (!interface_with_address(e.local_address))
        return error(fmt::format("no Linux interface has address {} (a load generator source)", e.local_address.to_string()));
      IkeSocketConfig sc;
      sc.local = e.local_address;
      IkeSocket::Callbacks cb;
      cb.on_ike = [this](const Datagram& d) {
        engine_->on_datagram(d.local, d.remote, d.data, loop_.now());
        pump();
      };
      auto s = IkeSocket::open(loop_, sc, std::move(cb));
      if (!s) return error(fmt::format("cannot open UDP 500/4500 on {}: {}", sc.local.to_string(), s.error().message));
      sockets_.push_back(std::move(*s));
    }
    ikev2::EngineOptions eo;
    eo.share_ike_sa = false;
    eo.half_open_limit = o_.count + 1;
    eo.cookie_threshold = o_.count + 1;
    engine_ = std::make_unique<ikev2::Engine>(policy_, dp_, random_, *this, eo);
    timer_ = std::make_unique<Timer>(loop_, [this] {
      engine_->on_timer(loop_.now());
      pump();
    });
    tick_ = std::make_unique<Timer>(loop_, [this] { pump(); });
    auto stop = [this] { loop_.stop(); };
    sig_int_ = loop_.add_signal(SIGINT, stop);
    sig_term_ = loop_.add_signal(SIGTERM, stop);
    start_ = loop_.now();
    pump();
    bool stopped = loop_.run_for(o_.time_limit);
    return report(!stopped || !finished_);
  }

  // ---- ikev2::Host ----
  void send(const Endpoint& local, const Endpoint& remote, ByteView datagram) override {
    for (auto& s : sockets_)
      if (s->local_ike().address == local.address) {
        if (auto r = s->send(local, remote, datagram); !r) ++send_errors_;
        return;
      }
    ++send_errors_;
  }
  void send_keepalive(const Endpoint& local, const Endpoint& remote) override {
    for (auto& s : sockets_)
      if (s->local_ike().address == local.address) (void)s->send_keepalive(remote, local.address);
  }
  void trace(const ikev2::TraceEvent& ev) override {
    if (ev.kind == ikev2::TraceEvent::Kind::Note) fmt::print(stderr, "loadgen: {}\n", ev.text);
  }
  bool tracing(ikev2::Facility, int level) const override { return o_.verbose && level <= 1; }

 private:
  int error(const std::string& message) {
    fmt::print(stderr, "ikegate loadgen: {}\n", message);
    return 2;
  }

  // SAs whose IKE SA vanished before it was established.
  std::size_t failed() const { return started_ - std::min(started_, engine_->ike_sa_count()); }
  std::size_t in_flight() const {
    std::size_t up = engine_->stats().established + failed();
    return started_ > up ? started_ - up : 0;
  }

  // Starts what the rate and the window allow, re-arms the engine's timer, ends the run.
  void pump() {
    auto now = loop_.now();
    const std::size_t established = engine_->stats().established;
    // The first IKE SA alone: it carries INITIAL_CONTACT; the others wait until it is READY.
    const bool first_done = started_ > 0 && (established > 0 || failed() > 0);
    if (started_ > 0 && !first_done) {
      // waiting for the first one
    } else if (started_ > 0 && established == 0) {
      finished_ = false;
      fmt::print(stderr, "ikegate loadgen: the first IKE SA failed; stopping (run with --verbose to see why)\n");
      loop_.stop();
      return;
    } else {
      std::size_t allowed = o_.count;
      if (o_.rate > 0) {
        double secs = std::chrono::duration<double>(now - start_).count();
        allowed = std::min(o_.count, static_cast<std::size_t>(secs * o_.rate) + 1);
      }
      while (started_ < allowed && in_flight() < o_.window && (started_ == 0 || first_done)) {
        std::size_t k = started_ % policy_->map_entries.size();
        const auto& e = policy_->map_entries[k];
        if (auto r = engine_->initiate(e.map, e.seq, started_ / policy_->map_entries.size(), now); !r) {
          fmt::print(stderr, "ikegate loadgen: {}\n", r.error().message);
          ++initiate_errors_;
        }
        ++started_;
        if (started_ == 1) break;
      }
      if (o_.rate > 0 && started_ < o_.count) tick_->arm_after(std::chrono::milliseconds(2));
    }
    if (auto d = engine_->next_deadline()) timer_->arm(*d);
    else timer_->cancel();
    if (started_ == o_.count && in_flight() == 0 && !finished_) {
      finished_ = true;
      end_ = now;
      if (o_.hold) {
        (void)report(false);
        fmt::print(stderr, "ikegate loadgen: holding the SAs until SIGINT/SIGTERM or the time limit\n");
      } else {
        loop_.stop();
      }
    }
  }

  int report(bool cut_short) {
    if (reported_) return exit_status_;
    reported_ = true;
    auto end = finished_ ? end_ : loop_.now();
    std::size_t up = 0, ike = 0;
    for (const auto& sa : engine_->snapshot(end)) {
      if (sa.status != "READY") continue;
      ++ike;
      if (!sa.children.empty()) ++up;
    }
    double secs = std::chrono::duration<double>(end - start_).count();
    std::size_t failures = o_.count - std::min(o_.count, up);
    fmt::print("established={} ike_ready={} failed={} started={} elapsed={:.3f} sa_per_s={:.1f} retransmits={} "
               "send_errors={} initiate_errors={}{}\n",
               up, ike, failures, started_, secs, secs > 0 ? up / secs : 0.0, engine_->stats().retransmits,
               send_errors_, initiate_errors_, cut_short ? " cut_short=1" : "");
    std::fflush(stdout);
    exit_status_ = (failures == 0 && !cut_short) ? 0 : 1;
    return exit_status_;
  }

  LoadgenOptions o_;
  EventLoop loop_;
  SystemRandom random_;
  NullDataPlane dp_{random_};
  std::shared_ptr<const policy::Policy> policy_;
  std::vector<std::unique_ptr<IkeSocket>> sockets_;
  std::unique_ptr<ikev2::Engine> engine_;
  std::unique_ptr<Timer> timer_, tick_;
  EventLoop::Handle sig_int_, sig_term_;
  TimePoint start_{}, end_{};
  std::size_t started_ = 0, send_errors_ = 0, initiate_errors_ = 0;
  bool finished_ = false, reported_ = false;
  int exit_status_ = 1;
};

std::optional<std::size_t> parse_size(const std::string& s, std::size_t max) {
  if (s.empty() || s.size() > 12 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  std::size_t v = std::stoull(s);
  if (v == 0 || v > max) return std::nullopt;
  return v;
}

}  // namespace

Result<void> parse_loadgen_args(const std::vector<std::string>& args, LoadgenOptions& o) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool has_value = i + 1 < args.size();
    if (a == "--hold") {
      o.hold = true;
    } else if (a == "--verbose") {
      o.verbose = true;
    } else if (!has_value) {
      return fail(fmt::format("unknown or incomplete option '{}'", a));
    } else if (a == "--config") {
      o.config_path = args[++i];
    } else if (a == "--count" || a == "--window" || a == "--time-limit") {
      auto v = parse_size(args[++i], a == "--time-limit" ? 86400 : 10'000'000);
      if (!v) return fail(fmt::format("{} wants a positive whole number, got '{}'", a, args[i]));
      if (a == "--count") o.count = *v;
      else if (a == "--window") o.window = *v;
      else o.time_limit = std::chrono::seconds(*v);
    } else if (a == "--rate") {
      auto v = parse_size(args[++i], 10'000'000);
      if (!v) return fail(fmt::format("--rate wants IKE SAs per second (a positive whole number), got '{}'", args[i]));
      o.rate = static_cast<double>(*v);
    } else if (a == "--source") {
      const std::string& v = args[++i];
      std::size_t pos = 0;
      while (pos <= v.size()) {
        std::size_t comma = std::min(v.find(',', pos), v.size());
        auto addr = IpAddress::parse(std::string_view(v).substr(pos, comma - pos));
        if (!addr || !addr->is_v4())
          return fail(fmt::format("--source wants IPv4 addresses separated by commas, got '{}'", v));
        o.sources.push_back(*addr);
        pos = comma + 1;
      }
    } else {
      return fail(fmt::format("unknown option '{}'", a));
    }
  }
  if (o.config_path.empty()) return fail("--config FILE is required");
  return {};
}

int run_loadgen(const LoadgenOptions& options) {
  Loadgen g(options);
  return g.run();
}

}  // namespace ikegate::daemon
