#include "daemon/gateway.h"

#include <fmt/core.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <ctime>
#include <thread>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "cli/debug.h"
#include "config/diagnostics.h"
#include "config/parser.h"
#include "config/printer.h"
#include "daemon/control.h"
#include "daemon/event_loop.h"
#include "daemon/ike_socket.h"
#include "daemon/interfaces.h"
#include "daemon/ipsec_debug.h"
#include "daemon/null_dataplane.h"
#include "daemon/secret_file.h"
#include "daemon/worker_pool.h"
#include "dataplane/userspace.h"
#include "dataplane/xfrm.h"
#include "ikev1/engine.h"
#include "ikev2/engine.h"
#include "policy/from_model.h"

namespace ikegate::daemon {

namespace {

// The userspace data plane's fwmark (as its route table, 4500).
constexpr std::uint32_t kUserspaceFwmark = 0x4500;

std::string timestamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%b %d %H:%M:%S", &tm);
  return buf;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(fmt::format("{}: cannot read the configuration file", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Loaded {
  config::Model model;
  std::shared_ptr<const policy::Policy> policy;
};

Result<Loaded> load(const GatewayOptions& o) {
  auto text = read_file(o.config_path);
  if (!text) return std::unexpected(text.error());
  config::ParseOptions po;
  po.strict = o.strict;
  auto parsed = config::load_config(*text, po);
  std::string errors;
  for (const auto& d : parsed.diagnostics) {
    std::string line = config::format_diagnostic(o.config_path, d);
    if (d.severity == config::Severity::Error) errors += line + "\n";
    else fmt::print(stderr, "{}\n", line);
  }
  if (!parsed.ok()) {
    if (!errors.empty() && errors.back() == '\n') errors.pop_back();
    return fail(errors);
  }
  if (auto problem = daemon::secret_file_problem(o.config_path, parsed.model))
    return fail(fmt::format("{}: {}", o.config_path, *problem));
  // `ip address dhcp` interfaces: their address is whatever the mapped Linux device has now.
  policy::LearnedAddresses learned;
  for (const auto& i : parsed.model.interfaces) {
    if (i.address_mode != config::Interface::AddressMode::Dhcp) continue;
    auto it = o.interface_map.find(i.nameif);
    if (it == o.interface_map.end()) it = o.interface_map.find(i.name);
    if (it == o.interface_map.end()) continue;
    auto devices = list_interfaces();
    if (!devices) return fail(devices.error().message);
    auto dev = std::find_if(devices->begin(), devices->end(), [&](const auto& d) { return d.name == it->second; });
    if (dev == devices->end()) return fail(fmt::format("--map {}={}: no Linux device named '{}'", it->first, it->second, it->second));
    auto v4 = std::find_if(dev->addresses.begin(), dev->addresses.end(), [](const auto& a) { return a.first.is_v4(); });
    if (v4 == dev->addresses.end())
      return fail(fmt::format("interface {} (ip address dhcp) is mapped to {}, which has no IPv4 address yet", it->first, it->second));
    learned[it->first] = v4->first;
  }
  auto pol = policy::from_model(parsed.model, learned);
  if (!pol) return fail(fmt::format("{}: {}", o.config_path, pol.error().message));
  if (o.ike_lifetime) {
    for (auto& p : pol->ike_proposals) p.lifetime = *o.ike_lifetime;
    for (auto& p : pol->isakmp_proposals) p.lifetime = *o.ike_lifetime;  // IKEv1 phase 1 too
  }
  if (o.ipsec_lifetime)
    for (auto& e : pol->map_entries) e.lifetime = *o.ipsec_lifetime;
  Loaded l;
  l.model = std::move(parsed.model);
  l.policy = std::make_shared<const policy::Policy>(std::move(*pol));
  return l;
}

// Crypto map entries go to one engine each: IKEv1 entries (ASA transform sets without IKEv2
// proposals, IOS maps without an ikev2-profile) to the IKEv1 engine, the others to IKEv2.
std::shared_ptr<const policy::Policy> entries_for(const std::shared_ptr<const policy::Policy>& p, bool ikev1) {
  auto out = std::make_shared<policy::Policy>(*p);
  std::erase_if(out->map_entries, [&](const policy::CryptoMapEntry& e) { return e.ikev1 != ikev1; });
  return out;
}

class Gateway final : public ikev2::Host {
 public:
  explicit Gateway(GatewayOptions o) : options_(std::move(o)) {}

  int run() {
    auto loaded = load(options_);
    if (!loaded) return error(loaded.error().message);
    model_ = std::move(loaded->model);
    policy_ = std::move(loaded->policy);
    renderer_ = std::make_unique<cli::DebugRenderer>(policy_->personality);

    std::vector<IpAddress> addresses = policy_->ikev2_addresses;
    for (const auto& e : policy_->map_entries)
      if (!e.local_address.is_unspecified() &&
          std::find(addresses.begin(), addresses.end(), e.local_address) == addresses.end())
        addresses.push_back(e.local_address);
    for (const auto& i : model_.interfaces)
      if (i.address_mode == config::Interface::AddressMode::Dhcp && !options_.interface_map.contains(i.nameif) &&
          !options_.interface_map.contains(i.name))
        log(fmt::format("interface {} has `ip address dhcp`: map it to a Linux device with --map {}=DEVICE to use it",
                        i.nameif.empty() ? i.name : i.nameif, i.nameif.empty() ? i.name : i.nameif));
    if (addresses.empty())
      return error(fmt::format("{}: no interface has `crypto ikev2 enable` or a crypto map with an address",
                               options_.config_path));
    for (const auto& a : addresses)
      if (!interface_with_address(a))
        return error(fmt::format("no Linux interface has address {} (configured on a crypto interface)", a.to_string()));

    if (auto r = make_dataplane(); !r) return error(r.error().message);
    // `debug crypto ipsec`: each SA either engine installs is reported as it reaches the data plane.
    dp_ = std::make_unique<IpsecDebugDataPlane>(std::move(dp_), [this](const IpsecDebugDataPlane::Lines& make) {
      if (!renderer_ || !interpreter_ || !renderer_->wants_ipsec(interpreter_->debug_levels())) return;
      for (const auto& line : make(*renderer_, interpreter_->debug_levels())) {
        if (control_) control_->broadcast(line);
        fmt::print(stderr, "{}\n", line);
      }
    });

    for (const auto& a : addresses) {
      IkeSocketConfig sc;
      sc.local = a;
      sc.ike_port = options_.ike_port;
      sc.natt_port = options_.natt_port;
      IkeSocket::Callbacks cb;
      cb.on_ike = [this](const Datagram& d) {
        // The ISAKMP header's version octet (RFC 2408 3.1 / RFC 7296 3.1): 1.0 is IKEv1.
        if (d.data.size() > 17 && (d.data[17] >> 4) == 1 && v1_)
          v1_->on_datagram(d.local, d.remote, d.data, loop_.now());
        else
          engine_->on_datagram(d.local, d.remote, d.data, loop_.now());
        arm();
      };
      cb.on_esp = [this](const Datagram& d) { dp_->inject_udp_esp(d.data, d.remote, d.local); };
      auto s = IkeSocket::open(loop_, sc, std::move(cb));
      if (!s) return error(fmt::format("cannot listen on {} for IKE: {}", a.to_string(), s.error().message));
      dp_->set_encap_socket((*s)->fd_4500());
      dp_->exempt_ike_socket((*s)->fd_500());
      sockets_.push_back(std::move(*s));
    }

    engine_ = std::make_unique<ikev2::Engine>(entries_for(policy_, false), *dp_, random_, *this);
    v1_ = std::make_unique<ikev1::Engine>(entries_for(policy_, true), *dp_, random_, v1_host_);
    if (auto r = v1_->install_policies(); !r) return error("cannot install IKEv1 crypto map policies: " + r.error().message);
    pool_ = std::make_unique<WorkerPool>(loop_, std::max(1u, std::thread::hardware_concurrency()));
    if (auto r = engine_->install_policies(); !r) return error("cannot install crypto map policies: " + r.error().message);

    interpreter_ = std::make_unique<cli::CommandInterpreter>(policy_->personality, policy_, actions());
    personality_ = policy_->personality;
    if (options_.debug_protocol || options_.debug_platform) {
      (void)interpreter_->execute(fmt::format("debug crypto ikev2 protocol {}", options_.debug_protocol));
      (void)interpreter_->execute(fmt::format("debug crypto ikev2 platform {}", options_.debug_platform));
      if (options_.debug_protocol > 0)
        (void)interpreter_->execute(fmt::format("debug crypto isakmp {}", options_.debug_protocol));
    }
    ControlServer::Access access;
    if (!options_.socket_group.empty()) {
      const group* g = ::getgrnam(options_.socket_group.c_str());
      if (!g) return error(fmt::format("--socket-group {}: no such group", options_.socket_group));
      access.group = g->gr_gid;
    }
    auto server = ControlServer::open(loop_, options_.socket_path, [this](std::string_view line, Session& s) {
      auto out = interpreter_->execute(line);
      if (out.subscribe_monitor) s.subscribe_monitor();
      arm();
      return CommandResult{out.status, out.text};
    }, access);
    if (!server) return error(fmt::format("control socket {}: {}", options_.socket_path, server.error().message));
    control_ = std::move(*server);

    if (dp_->event_fd() >= 0)
      dp_watch_ = loop_.watch_readable(dp_->event_fd(), [this] {
        for (const auto& ev : dp_->drain_events()) {
          engine_->on_dataplane_event(ev, loop_.now());
          v1_->on_dataplane_event(ev, loop_.now());
        }
        arm();
      });
    timer_ = std::make_unique<Timer>(loop_, [this] {
      engine_->on_timer(loop_.now());
      v1_->on_timer(loop_.now());
      arm();
    });
    auto stop = [this] {
      log(fmt::format("shutting down: deleting {} IKE SA(s)", engine_->ike_sa_count()));
      pool_->shutdown();
      engine_->shutdown(loop_.now());
      v1_->shutdown(loop_.now());
      (void)dp_->shutdown();
      loop_.stop();
    };
    sig_term_ = loop_.add_signal(SIGTERM, stop);
    sig_int_ = loop_.add_signal(SIGINT, stop);
    sig_hup_ = loop_.add_signal(SIGHUP, [this] {
      if (auto r = reload(); !r) log("reload failed: " + r.error().message);
    });
    std::string addr_list;
    for (const auto& a : addresses) addr_list += (addr_list.empty() ? "" : ", ") + a.to_string();
    log(fmt::format("{} ({}) running: IKEv2 on {}, data plane {}, control socket {}", policy_->hostname,
                    policy_->personality == policy::Personality::Asa ? "ASA" : "IOS", addr_list, dp_->name(),
                    options_.socket_path));
    arm();
    loop_.run();
    return 0;
  }

  // ---- ikev2::Host ----
  void send(const Endpoint& local, const Endpoint& remote, ByteView datagram) override {
    for (auto& s : sockets_) {
      if (s->local_ike().address != local.address) continue;
      Endpoint from = local;
      from.port = local.port == 4500 ? s->local_natt().port : s->local_ike().port;
      if (auto r = s->send(from, remote, datagram); !r)
        log(fmt::format("send to {} failed: {}", remote.to_string(), r.error().message));
      return;
    }
  }

  void send_keepalive(const Endpoint& local, const Endpoint& remote) override {
    for (auto& s : sockets_)
      if (s->local_ike().address == local.address) {
        if (auto r = s->send_keepalive(remote, local.address); !r)
          log(fmt::format("NAT keepalive to {} failed: {}", remote.to_string(), r.error().message));
        return;
      }
  }

  void trace(const ikev2::TraceEvent& ev) override {
    const auto& levels = interpreter_ ? interpreter_->debug_levels() : cli::DebugLevels{};
    // Errors are always logged; everything else only when debugging asks for it.
    if (ev.kind == ikev2::TraceEvent::Kind::Note && ev.level <= 1) log(ev.text);
    if (!renderer_ || !renderer_->wants(ev.facility, ev.level, levels)) return;
    for (const auto& line : renderer_->render(ev, levels)) {
      if (control_) control_->broadcast(line);
      fmt::print(stderr, "{}\n", line);
    }
  }

  // Diffie-Hellman runs on the worker threads; the loop keeps answering (issue: never block).
  bool offload(std::function<void()> work, std::function<void()> done) override {
    if (!pool_) return ikev2::Host::offload(std::move(work), std::move(done));
    return pool_->submit(std::move(work), [this, done = std::move(done)] {
      done();
      arm();
    });
  }

  bool tracing(ikev2::Facility f, int level) const override {
    if (level <= 1) return true;
    const auto& levels = interpreter_ ? interpreter_->debug_levels() : cli::DebugLevels{};
    return renderer_ && renderer_->wants(f, level, levels);
  }

 private:
  int error(const std::string& message) {
    fmt::print(stderr, "ikegate: {}\n", message);
    return 1;
  }

  void log(const std::string& text) { fmt::print(stderr, "{} {}: {}\n", timestamp(), policy_ ? policy_->hostname : "ikegate", text); }

  Result<void> make_dataplane() {
    if (options_.dataplane == "none") {
      dp_ = std::make_unique<NullDataPlane>(random_);
      return {};
    }
    std::string choice = options_.dataplane;
    if (choice != "auto" && choice != "userspace" && choice != "xfrm")
      return fail(fmt::format("unknown data plane '{}'; expected auto, userspace, xfrm or none", choice));
    // Whatever backend runs now, XFRM policies a killed instance left would still capture traffic.
    if (auto stale = dataplane::cleanup_stale_xfrm(); stale && *stale > 0)
      log(fmt::format("removed {} XFRM state(s) and policies left by an earlier instance", *stale));
    if (choice == "auto") {
      const auto probe = dataplane::probe_xfrm_esp();
      choice = probe.esp ? "xfrm" : "userspace";
      log(fmt::format("data plane auto: {} ({})", choice, probe.reason));
    }
    if (choice == "xfrm") {
      dataplane::XfrmOptions xo;
      xo.log = [this](const std::string& text) { log(text); };
      auto dp = dataplane::make_xfrm_dataplane(xo);
      if (!dp) return fail("xfrm data plane: " + dp.error().message);
      dp_ = std::move(*dp);
      return {};
    }
    dataplane::UserspaceOptions uo;
    uo.tun_name = options_.tun_name;
    // ESP and IKE leave with this mark and bypass the crypto map rules, so an ACL that covers
    // the gateways' own addresses cannot loop them into the TUN device.
    uo.fwmark = kUserspaceFwmark;
    (void)dataplane::cleanup_stale(uo);
    auto dp = dataplane::make_userspace_dataplane(uo);
    if (!dp) return fail("userspace data plane: " + dp.error().message);
    dp_ = std::move(*dp);
    return {};
  }

  void arm() {
    auto d = engine_->next_deadline();
    if (auto d1 = v1_ ? v1_->next_deadline() : std::nullopt; d1 && (!d || *d1 < *d)) d = d1;
    if (d) timer_->arm(*d);
    else timer_->cancel();
  }

  Result<void> reload() {
    auto loaded = load(options_);
    if (!loaded) return std::unexpected(loaded.error());
    model_ = std::move(loaded->model);
    policy_ = std::move(loaded->policy);
    engine_->set_policy(entries_for(policy_, false), loop_.now());
    v1_->set_policy(entries_for(policy_, true));
    if (auto r = engine_->install_policies(); !r) return r;
    // `config reload` runs inside the interpreter: replacing it here would destroy the object
    // whose command is executing (and drop the debug levels). Same personality: keep it.
    if (interpreter_ && policy_->personality == personality_) {
      interpreter_->set_policy(policy_);
    } else {
      personality_ = policy_->personality;
      loop_.post([this] {
        interpreter_ = std::make_unique<cli::CommandInterpreter>(policy_->personality, policy_, actions());
      });
    }
    log("configuration reloaded");
    arm();
    return {};
  }

  cli::CommandInterpreter::Actions actions() {
    cli::CommandInterpreter::Actions a;
    a.clear_ike = [this](std::optional<IpAddress> peer) { return engine_->clear_ike_sas(peer, loop_.now()); };
    a.clear_ipsec = [this](std::optional<IpAddress> peer) { return engine_->clear_child_sas(peer, loop_.now()); };
    a.clear_v1_isakmp = [this](std::optional<IpAddress> peer) { return v1_ ? v1_->clear_isakmp_sas(peer, loop_.now()) : 0; };
    a.clear_v1_ipsec = [this](std::optional<IpAddress> peer) { return v1_ ? v1_->clear_ipsec_sas(peer, loop_.now()) : 0; };
    a.running_config = [this] { return running_config(); };
    a.reload = [this] { return reload(); };
    a.snapshot = [this] { return engine_->snapshot(loop_.now()); };
    a.v1_snapshot = [this] { return v1_ ? v1_->snapshot(loop_.now()) : ikev1::Snapshot{}; };
    a.v1_stats = [this] { return v1_ ? v1_->stats() : ikev1::Stats{}; };
    a.stats = [this]() -> const ikev2::Stats& { return engine_->stats(); };
    a.dataplane = [this] { return std::string(dp_->name()); };
    return a;
  }

  // As the platform prints it: canonical order, keys masked as `*****`.
  std::string running_config() const { return config::print_running_config(model_); }

  GatewayOptions options_;
  EventLoop loop_;
  SystemRandom random_;
  config::Model model_;
  std::shared_ptr<const policy::Policy> policy_;
  std::unique_ptr<dataplane::DataPlane> dp_;
  std::vector<std::unique_ptr<IkeSocket>> sockets_;
  std::unique_ptr<ikev2::Engine> engine_;
  // IKEv1 goes out through the same sockets; its trace lines are `debug crypto isakmp`'s (errors
  // always in the log), to the log and every monitor session, as IKEv2's are.
  struct V1Host final : ikev1::Host {
    Gateway* gw;
    explicit V1Host(Gateway* g) : gw(g) {}
    void send(const Endpoint& local, const Endpoint& remote, ByteView d) override { gw->send(local, remote, d); }
    void send_keepalive(const Endpoint& local, const Endpoint& remote) override { gw->send_keepalive(local, remote); }
    const cli::DebugLevels& levels() const {
      static const cli::DebugLevels none;
      return gw->interpreter_ ? gw->interpreter_->debug_levels() : none;
    }
    bool tracing(int level) const override {
      return level <= 1 || (gw->renderer_ && gw->renderer_->wants_isakmp(level, levels()));
    }
    void trace(const ikev1::TraceEvent& e) override {
      auto lines = gw->renderer_ ? gw->renderer_->render(e, levels()) : std::vector<std::string>{};
      // Errors and PHASE 1/2 COMPLETED (level 1) are logged even when no debug shows them.
      if (lines.empty() && e.kind == ikev1::TraceEvent::Kind::Note && e.level <= 1)
        gw->log(fmt::format("ISAKMP:({}):{}", e.conn_id, e.text));
      for (const auto& line : lines) {
        if (gw->control_) gw->control_->broadcast(line);
        fmt::print(stderr, "{}\n", line);
      }
    }
  } v1_host_{this};
  std::unique_ptr<ikev1::Engine> v1_;
  std::unique_ptr<WorkerPool> pool_;  // after engine_: its completions call into the engine
  std::unique_ptr<cli::DebugRenderer> renderer_;
  std::unique_ptr<cli::CommandInterpreter> interpreter_;
  policy::Personality personality_ = policy::Personality::Asa;  // the interpreter's
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<Timer> timer_;
  EventLoop::Handle dp_watch_, sig_term_, sig_int_, sig_hup_;
};

}  // namespace

int run_gateway(const GatewayOptions& options) {
  // Keys live in this process's memory: no core file may carry them to disk.
  rlimit no_core{0, 0};
  (void)::setrlimit(RLIMIT_CORE, &no_core);
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  Gateway g(options);
  return g.run();
}

}  // namespace ikegate::daemon
