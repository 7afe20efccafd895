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

Result<std::shared_ptr<const policy::Policy>> load_policy(const LoadgenOptions& o) {
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
  return std::make_shared<const policy::Policy>(std::move(*pol));
}

// One policy per source address: the configuration's with its crypto map entries replaced by
// one entry from that address whose ACL has one host line per SA of that source. SA i belongs
// to source i % K (K sources) and protects host (the ACL line's first source address + i).
Result<std::vector<std::shared_ptr<const policy::Policy>>> expand_policy(const policy::Policy& p,
                                                                         const LoadgenOptions& o) {
  auto it = std::find_if(p.map_entries.begin(), p.map_entries.end(), [](const policy::CryptoMapEntry& e) {
    return !e.dynamic && !e.ikev1 && !e.peers.empty() &&
           std::any_of(e.acl.begin(), e.acl.end(), [](const auto& a) { return a.permit; });
  });
  if (it == p.map_entries.end())
    return fail(fmt::format("{}: no static IKEv2 crypto map entry with a peer and a permit ACL line; the load "
                            "generator needs one",
                            o.config_path));
  const policy::CryptoMapEntry& base = *it;
  const auto& line = *std::find_if(base.acl.begin(), base.acl.end(), [](const auto& a) { return a.permit; });
  if (!line.selector.src_start.is_v4())
    return fail(fmt::format("{}: the load generator's ACL line must be IPv4", o.config_path));
  std::vector<IpAddress> sources{base.local_address};
  for (const auto& s : o.sources)
    if (std::find(sources.begin(), sources.end(), s) == sources.end()) sources.push_back(s);
  std::uint32_t first = line.selector.src_start.v4_value();
  if (std::uint64_t{first} + o.count > 0xffffffffull)
    return fail("--count is too large for the ACL line's source address");
  std::vector<std::shared_ptr<const policy::Policy>> out;
  for (std::size_t k = 0; k < sources.size(); ++k) {
    auto shard = std::make_shared<policy::Policy>(p);
    policy::CryptoMapEntry e = base;
    e.local_address = sources[k];
    e.acl.clear();
    for (std::size_t i = k; i < o.count; i += sources.size()) {
      policy::AclEntry a;
      a.selector = line.selector;
      a.selector.src_start = a.selector.src_end = IpAddress::v4(first + static_cast<std::uint32_t>(i));
      a.text = fmt::format("access-list {} extended permit ip host {} {}", base.acl_name,
                           a.selector.src_start.to_string(), a.selector.dst_start.to_string());
      e.acl.push_back(std::move(a));
    }
    shard->map_entries = {std::move(e)};
    shard->ikev2_addresses = {sources[k]};
    shard->dpd.interval = std::chrono::seconds(0);  // the generator never probes; it answers probes
    out.push_back(std::move(shard));
  }
  return out;
}

// One source address: its own engine, socket and null data plane, as a real peer gateway has.
// Each source is a peer and an identity of its own to the responder, so the first IKE SA of
// each carries INITIAL_CONTACT (RFC 7296 2.4) and the others do not. (The engine's lookups
// are by key, so one engine holding all N SAs costs the same per SA; --source 1 shows it.)
struct Shard final : ikev2::Host {
  std::shared_ptr<const policy::Policy> policy;
  SystemRandom random;
  NullDataPlane dp{random};
  std::unique_ptr<IkeSocket> socket;
  std::unique_ptr<ikev2::Engine> engine;
  std::size_t started = 0;
  std::size_t send_errors = 0;
  bool verbose = false;

  std::size_t planned() const { return policy->map_entries.front().acl.size(); }
  std::size_t established() const { return engine->stats().established; }
  // IKE SAs that vanished before they were established.
  std::size_t failed() const { return started - std::min(started, engine->ike_sa_count()); }
  std::size_t in_flight() const {
    std::size_t done = established() + failed();
    return started > done ? started - done : 0;
  }
  bool first_resolved() const { return started > 0 && (established() > 0 || failed() > 0); }

  void send(const Endpoint& local, const Endpoint& remote, ByteView datagram) override {
    if (auto r = socket->send(local, remote, datagram); !r) ++send_errors;
  }
  void send_keepalive(const Endpoint& local, const Endpoint& remote) override {
    (void)socket->send_keepalive(remote, local.address);
  }
  void trace(const ikev2::TraceEvent& ev) override {
    if (ev.kind == ikev2::TraceEvent::Kind::Note) fmt::print(stderr, "loadgen: {}\n", ev.text);
  }
  bool tracing(ikev2::Facility, int level) const override { return verbose && level <= 1; }
};

class Loadgen {
 public:
  explicit Loadgen(LoadgenOptions o) : o_(std::move(o)) {}

  int run() {
    auto pol = load_policy(o_);
    if (!pol) return error(pol.error().message);
    auto policies = expand_policy(**pol, o_);
    if (!policies) return error(policies.error().message);
    ikev2::EngineOptions eo;
    eo.share_ike_sa = false;
    eo.half_open_limit = o_.count + 1;
    eo.cookie_threshold = o_.count + 1;
    for (auto& sp : *policies) {
      auto shard = std::make_unique<Shard>();
      Shard* sh = shard.get();
      sh->verbose = o_.verbose;
      sh->policy = sp;
      const IpAddress& local = sp->map_entries.front().local_address;
      if (!interface_with_address(local))
        return error(fmt::format("no Linux interface has address {} (a load generator source)", local.to_string()));
      IkeSocketConfig sc;
      sc.local = local;
      IkeSocket::Callbacks cb;
      cb.on_ike = [this, sh](const Datagram& d) {
        sh->engine->on_datagram(d.local, d.remote, d.data, loop_.now());
        pump();
      };
      auto s = IkeSocket::open(loop_, sc, std::move(cb));
      if (!s) return error(fmt::format("cannot open UDP 500/4500 on {}: {}", local.to_string(), s.error().message));
      sh->socket = std::move(*s);
      sh->engine = std::make_unique<ikev2::Engine>(sp, sh->dp, sh->random, *sh, eo);
      shards_.push_back(std::move(shard));
    }
    timer_ = std::make_unique<Timer>(loop_, [this] {
      for (auto& sh : shards_)
        if (auto d = sh->engine->next_deadline(); d && *d <= loop_.now()) sh->engine->on_timer(loop_.now());
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

 private:
  int error(const std::string& message) {
    fmt::print(stderr, "ikegate loadgen: {}\n", message);
    return 2;
  }

  template <class F>
  std::size_t sum(F f) const {
    std::size_t n = 0;
    for (const auto& sh : shards_) n += f(*sh);
    return n;
  }

  bool start_one(Shard& sh, TimePoint now) {
    if (sh.started >= sh.planned()) return false;
    const auto& e = sh.policy->map_entries.front();
    if (auto r = sh.engine->initiate(e.map, e.seq, sh.started, now); !r) {
      fmt::print(stderr, "ikegate loadgen: {}\n", r.error().message);
      ++initiate_errors_;
    }
    ++sh.started;
    ++started_;
    return true;
  }

  // Starts what the rate and the window allow, re-arms the engines' timer, ends the run.
  void pump() {
    auto now = loop_.now();
    // First the first IKE SA of every source alone (it may carry INITIAL_CONTACT): the others of
    // a source start once it is READY, so they never carry one (RFC 7296 2.4).
    bool firsts_resolved = true;
    for (auto& sh : shards_) {
      if (sh->started == 0 && sh->planned() > 0) start_one(*sh, now);
      if (sh->planned() > 0 && !sh->first_resolved()) firsts_resolved = false;
    }
    if (firsts_resolved && !failed_first_) {
      for (auto& sh : shards_)
        if (sh->started > 0 && sh->established() == 0) failed_first_ = true;
      if (failed_first_) {
        fmt::print(stderr, "ikegate loadgen: the first IKE SA of a source failed; stopping (--verbose tells why)\n");
        loop_.stop();
        return;
      }
      std::size_t allowed = o_.count;
      if (o_.rate > 0) {
        double secs = std::chrono::duration<double>(now - start_).count();
        allowed = std::min(o_.count, static_cast<std::size_t>(secs * o_.rate) + 1);
      }
      std::size_t flying = sum([](const Shard& s) { return s.in_flight(); });
      // Round-robin over the sources, one SA each per turn.
      bool progress = true;
      while (started_ < allowed && flying < o_.window && progress) {
        progress = false;
        for (auto& sh : shards_) {
          if (started_ >= allowed || flying >= o_.window) break;
          if (start_one(*sh, now)) {
            progress = true;
            ++flying;
          }
        }
      }
      if (o_.rate > 0 && started_ < o_.count) tick_->arm_after(std::chrono::milliseconds(2));
    }
    std::optional<TimePoint> next;
    for (auto& sh : shards_)
      if (auto d = sh->engine->next_deadline(); d && (!next || *d < *next)) next = d;
    if (next) timer_->arm(*next);
    else timer_->cancel();
    if (started_ == o_.count && sum([](const Shard& s) { return s.in_flight(); }) == 0 && !finished_) {
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
    for (const auto& sh : shards_)
      for (const auto& sa : sh->engine->snapshot(end)) {
        if (sa.status != "READY") continue;
        ++ike;
        if (!sa.children.empty()) ++up;
      }
    double secs = std::chrono::duration<double>(end - start_).count();
    std::size_t failures = o_.count - std::min(o_.count, up);
    fmt::print("established={} ike_ready={} failed={} started={} elapsed={:.3f} sa_per_s={:.1f} retransmits={} "
               "send_errors={} initiate_errors={} sources={}{}\n",
               up, ike, failures, started_, secs, secs > 0 ? up / secs : 0.0,
               sum([](const Shard& s) { return s.engine->stats().retransmits; }),
               sum([](const Shard& s) { return s.send_errors; }), initiate_errors_, shards_.size(),
               cut_short ? " cut_short=1" : "");
    std::fflush(stdout);
    exit_status_ = (failures == 0 && !cut_short) ? 0 : 1;
    return exit_status_;
  }

  LoadgenOptions o_;
  EventLoop loop_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<Timer> timer_, tick_;
  EventLoop::Handle sig_int_, sig_term_;
  TimePoint start_{}, end_{};
  std::size_t started_ = 0, initiate_errors_ = 0;
  bool finished_ = false, reported_ = false, failed_first_ = false;
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
