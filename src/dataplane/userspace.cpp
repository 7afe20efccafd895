#include "dataplane/userspace.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <openssl/rand.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <iterator>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "common/time.h"
#include "dataplane/esp.h"
#include "dataplane/netlink.h"
#include "dataplane/offload.h"
#include "dataplane/spd.h"

namespace ikegate::dataplane {

namespace {

constexpr std::size_t kBatch = 64;       // packets per read/send batch (VPP-style vectors)
constexpr std::size_t kBufSize = 2048;   // TUN MTU is capped below this, plus ESP overhead
constexpr auto kAcquireHoldoff = seconds(2);  // re-raise Acquire if no SA arrived meanwhile

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::string errno_text(const char* what) { return fmt::format("{}: {}", what, std::strerror(errno)); }

// ESP arrives in bursts (a peer's TSO super-packet becomes dozens of datagrams at once): a
// receive buffer for a few of them. SO_RCVBUFFORCE (CAP_NET_ADMIN, which the data plane has)
// goes past net.core.rmem_max, which would otherwise cap it at about 200 KiB.
void raise_rcvbuf(int fd) {
  const int rcvbuf = 4 << 20;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
}

struct SaEntry {
  SaParams params;  // keys wiped once the EspSa holds them
  std::unique_ptr<EspSa> esp;
};

struct PolicyState {
  PolicyParams params;
  std::vector<RuleSpec> rules;
  std::deque<Bytes> queue;  // packets awaiting the outbound SA (slow path: allocation is fine)
  TimePoint last_acquire{};
  bool acquired = false;
};

// UDP GSO (UDP_SEGMENT): at most this many datagrams and octets in one send.
constexpr std::size_t kUdpGsoSegments = 64;
constexpr std::size_t kUdpGsoBytes = 65000;

// One sendmmsg() batch towards one socket.
struct SendQueue {
  int fd = -1;
  bool v6 = false;
  bool udp_gso = false;  // merge runs of equal-size datagrams to one destination (UDP_SEGMENT)
  std::size_t count = 0;
  std::vector<std::array<std::uint8_t, kBufSize>> bufs = std::vector<std::array<std::uint8_t, kBufSize>>(kBatch);
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  std::array<sockaddr_storage, kBatch> addrs{};
  std::array<std::array<std::uint8_t, CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(std::uint16_t))>, kBatch>
      cmsgs{};
  std::array<SaEntry*, kBatch> owners{};
  std::array<std::size_t, kBatch> packets{};  // datagrams per message once merged
};

class UserspaceDataPlane final : public DataPlane {
 public:
  explicit UserspaceDataPlane(UserspaceOptions o) : opts_(std::move(o)) {}
  ~UserspaceDataPlane() override { (void)shutdown(); }

  Result<void> start();

  std::string_view name() const override { return "userspace"; }
  Result<std::uint32_t> allocate_spi() override;
  Result<void> add_sa(const SaParams&) override;
  Result<void> delete_sa(std::uint32_t spi, Direction) override;
  Result<void> update_sa_remote(std::uint32_t spi, const Endpoint& remote) override;
  Result<void> add_policy(const PolicyParams&) override;
  Result<void> delete_policy(std::uint32_t reqid) override;
  std::optional<SaCounters> counters(std::uint32_t spi, Direction) const override;
  int event_fd() const override { return event_.get(); }
  std::vector<Event> drain_events() override;
  void inject_udp_esp(ByteView esp, const Endpoint& from, const Endpoint& to) override;
  void set_encap_socket(int fd) override;
  void exempt_ike_socket(int fd) override;
  Result<void> shutdown() override;

 private:
  void run();
  void read_tun();
  void read_esp(int fd, bool v4);
  void handle_outbound(const VnetHdr& hdr, MutableByteView pkt, TimePoint now);
  void queue_for_acquire(const PolicyParams& pol, const FiveTuple& t, ByteView inner, TimePoint now);
  void encrypt_into_queue(SaEntry& sa, ByteView inner);
  void flush(SendQueue& q);
  void flush_all();
  void handle_esp(ByteView esp);
  void deliver(ByteView inner, SaEntry& sa);
  void flush_coalesced();
  void write_tun(ByteView vnet_hdr, ByteView pkt, SaEntry& sa, std::size_t packets);
  void check_lifetime(SaEntry& sa);
  void flush_acquire_queues();
  void push_event(Event e);
  void wake();
  RuleSpec bypass_rule(IpAddress::Family f) const;
  void remove_rules(PolicyState& p);
  Result<void> open_tun();
  Result<void> route_into_tun(Netlink& nl);
  void repair(const std::vector<KernelChange>& changes, int epoll_fd);

  UserspaceOptions opts_;
  std::optional<Netlink> nl_;  // control thread only
  // Packet thread only: notices what someone else deletes (`ip link del`, `ip rule del`, ...)
  // and puts it back, through its own rtnetlink socket.
  std::optional<NetlinkMonitor> monitor_;
  std::optional<Netlink> repair_nl_;
  Fd tun_, esp4_, esp6_, wake_, event_;
  int ifindex_ = 0;        // written by start() and then by the packet thread alone
  bool offload_ = false;  // TUNSETOFFLOAD accepted: TSO super-packets both ways
  std::atomic<int> encap4_{-1}, encap6_{-1};
  bool shut_down_ = false;
  std::vector<RuleSpec> bypass_rules_;

  mutable std::mutex mu_;  // the tables below; the packet thread takes it once per batch
  std::unordered_map<std::uint32_t, std::unique_ptr<SaEntry>> inbound_, outbound_;
  std::unordered_map<std::uint32_t, SaEntry*> out_by_reqid_;
  std::unordered_map<std::uint32_t, PolicyState> policies_;
  Spd spd_;
  std::vector<std::uint32_t> flush_reqids_;
  std::set<std::uint32_t> allocated_spis_;
  std::array<std::uint8_t, kBufSize> plain_{};  // decrypted inner packet, under mu_
  Coalescer coalescer_;                          // decrypted TCP segments awaiting one write, under mu_
  SaEntry* coalesced_sa_ = nullptr;              // the SA of the coalescer's first segment
  std::array<std::uint8_t, kBufSize> segment_{};  // one segment of a TUN super-packet, under mu_
  SendQueue raw4_, raw6_, udp4_, udp6_;        // under mu_

  std::mutex ev_mu_;
  std::vector<Event> events_;

  std::atomic<bool> stop_{false};
  std::thread thread_;
  // Packet-thread receive buffers: one TUN read (virtio_net_hdr + up to a 64 KiB super-packet),
  // a batch of ESP datagrams.
  Bytes tun_rx_ = Bytes(kVnetHdrLen + kMaxSuperPacket);
  std::vector<std::array<std::uint8_t, kBufSize>> rx_ = std::vector<std::array<std::uint8_t, kBufSize>>(kBatch);
};

// ---- Start-up ----

Result<void> UserspaceDataPlane::start() {
  if (opts_.worker_threads != 1) return fail("userspace data plane: only one packet thread is implemented");
  if (opts_.mtu < 576 || opts_.mtu > 1500) return fail("userspace data plane: TUN MTU must be 576..1500");
  if (opts_.tun_name.empty() || opts_.tun_name.size() >= IFNAMSIZ) return fail("userspace data plane: bad TUN name");

  if (auto r = open_tun(); !r) return r;
  auto nl = Netlink::open();
  if (!nl) return std::unexpected(nl.error());
  nl_.emplace(std::move(*nl));
  if (auto r = route_into_tun(*nl_); !r) return r;
  // Without the monitor the data plane works, but does not repair what others delete.
  auto monitor = NetlinkMonitor::open();
  auto repair_nl = Netlink::open();
  if (monitor && repair_nl) {
    monitor_.emplace(std::move(*monitor));
    repair_nl_.emplace(std::move(*repair_nl));
  } else {
    fmt::print(stderr, "userspace data plane: no rtnetlink notifications ({}); deleted routes and rules are not restored\n",
               monitor ? repair_nl.error().message : monitor.error().message);
  }

  esp4_ = Fd(::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP));
  if (!esp4_) return fail(errno_text("raw ESP socket"));
  esp6_ = Fd(::socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP));
  for (int fd : {esp4_.get(), esp6_.get()}) {
    if (fd < 0) continue;
    raise_rcvbuf(fd);
    if (opts_.fwmark && ::setsockopt(fd, SOL_SOCKET, SO_MARK, &opts_.fwmark, sizeof opts_.fwmark) < 0)
      return fail(errno_text("SO_MARK"));
  }
  if (opts_.fwmark) {
    for (auto f : {IpAddress::Family::V4, IpAddress::Family::V6}) {
      RuleSpec r = bypass_rule(f);
      if (nl_->add_rule(r)) bypass_rules_.push_back(r);
    }
  }
  raw4_.fd = esp4_.get();
  raw6_.fd = esp6_.get();
  raw6_.v6 = udp6_.v6 = true;
  udp4_.udp_gso = udp6_.udp_gso = true;  // off again at the first refusal (kernels before 4.18)

  wake_ = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  event_ = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake_ || !event_) return fail(errno_text("eventfd"));
  thread_ = std::thread([this] { run(); });
  return {};
}

// IFF_NO_PI: packets start at the IP header. Not persistent: the device disappears with the
// file descriptor, so even a killed instance leaves no TUN device behind. IFF_VNET_HDR: every
// packet is preceded by a virtio_net_hdr, which with TSO and checksum offload lets the kernel
// hand over (and accept) TCP super-packets of up to 64 KiB: one read() or write() for what
// would otherwise be some 45 packets, segmented or coalesced here (offload.h).
Result<void> UserspaceDataPlane::open_tun() {
  Fd tun(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!tun) return fail(errno_text("open /dev/net/tun"));
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
  std::memcpy(ifr.ifr_name, opts_.tun_name.c_str(), opts_.tun_name.size());
  if (::ioctl(tun.get(), TUNSETIFF, &ifr) < 0) return fail(errno_text("TUNSETIFF"));
  const unsigned offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
  const bool offload = ::ioctl(tun.get(), TUNSETOFFLOAD, offloads) == 0;  // without: one packet per read
  const int ifindex = static_cast<int>(if_nametoindex(opts_.tun_name.c_str()));
  if (ifindex == 0) return fail(errno_text("if_nametoindex"));
  tun_ = std::move(tun);
  offload_ = offload;
  ifindex_ = ifindex;
  return {};
}

// The TUN device up with its MTU, and the default routes of our table into it.
Result<void> UserspaceDataPlane::route_into_tun(Netlink& nl) {
  if (auto r = nl.link_up(ifindex_, opts_.mtu); !r) return r;
  if (auto r = nl.add_default_route(IpAddress::Family::V4, ifindex_, opts_.route_table); !r) return r;
  (void)nl.add_default_route(IpAddress::Family::V6, ifindex_, opts_.route_table);  // IPv6 may be off
  return {};
}

// Someone deleted or downed what we installed (an operator's `ip link del ikegate0`, `ip route
// flush table 4500`, `ip rule del ...`, a network manager). Protected traffic would then miss
// the TUN device: dropped, or, where the main table has a route, sent in the clear. So the
// device, its routes and every rule of a live policy are put back, each repair logged.
// Our own rule deletions (delete_policy) also announce themselves here; their policies are
// gone from policies_ first, so nothing of theirs is restored.
void UserspaceDataPlane::repair(const std::vector<KernelChange>& changes, int epoll_fd) {
  using K = KernelChange::Kind;
  auto seen = [&](K k) { return std::any_of(changes.begin(), changes.end(), [&](const auto& c) { return c.kind == k; }); };
  auto log = [&](std::string_view text) { fmt::print(stderr, "userspace data plane: {}\n", text); };
  bool lost = seen(K::Lost);
  if (lost) log("rtnetlink notifications were lost; checking the TUN device, its routes and rules");
  const bool gone = seen(K::LinkDeleted) ||
                    (lost && static_cast<int>(if_nametoindex(opts_.tun_name.c_str())) != ifindex_);
  if (gone) {
    const int old_fd = tun_.get();
    if (auto r = open_tun(); !r) {
      log(fmt::format("TUN device {} was deleted and cannot be re-created: {}", opts_.tun_name, r.error().message));
      return;
    }
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, old_fd, nullptr);  // closed already: harmless
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = tun_.get();
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, tun_.get(), &ev);
    log(fmt::format("TUN device {} was deleted; re-created it", opts_.tun_name));
  }
  if (gone || lost || seen(K::LinkDown) || seen(K::RouteDeleted)) {
    if (auto r = route_into_tun(*repair_nl_); !r) {
      log("cannot restore the TUN device's routes: " + r.error().message);
    } else if (!gone) {
      log(fmt::format("TUN device {} was set down or its routes in table {} deleted; restored them", opts_.tun_name,
                      opts_.route_table));
    }
  }
  // The rules to put back: all of ours after lost notifications, else those announced deleted.
  auto deleted = [&](const RuleSpec& r) {
    return lost || std::any_of(changes.begin(), changes.end(), [&](const KernelChange& c) {
             return c.kind == K::RuleDeleted && c.rule.family == r.family && c.rule.src == r.src &&
                    c.rule.dst == r.dst && c.rule.priority == r.priority;
           });
  };
  std::vector<RuleSpec> rules;
  std::copy_if(bypass_rules_.begin(), bypass_rules_.end(), std::back_inserter(rules), deleted);
  {
    std::lock_guard lock(mu_);
    for (const auto& [reqid, st] : policies_)
      std::copy_if(st.rules.begin(), st.rules.end(), std::back_inserter(rules), deleted);
  }
  std::size_t restored = 0;
  for (const RuleSpec& r : rules) {
    auto added = repair_nl_->ensure_rule(r);
    if (!added) log("cannot restore a policy-routing rule: " + added.error().message);
    restored += added && *added ? 1 : 0;
  }
  if (restored > 0) log(fmt::format("{} policy-routing rule(s) of table {} were deleted; restored them", restored, opts_.route_table));
}

RuleSpec UserspaceDataPlane::bypass_rule(IpAddress::Family f) const {
  RuleSpec r;
  r.family = f;
  r.priority = opts_.rule_priority_base - 1;
  r.table = RT_TABLE_MAIN;
  r.fwmark = opts_.fwmark;
  return r;
}

// ---- Control-thread operations ----

Result<std::uint32_t> UserspaceDataPlane::allocate_spi() {
  std::lock_guard lock(mu_);
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::uint32_t spi = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&spi), sizeof spi) != 1) return fail("DRBG failure");
    if (spi < 256 || inbound_.contains(spi) || allocated_spis_.contains(spi)) continue;
    allocated_spis_.insert(spi);
    return spi;
  }
  return fail("cannot allocate an unused SPI");
}

Result<void> UserspaceDataPlane::add_sa(const SaParams& p) {
  auto esp = EspSa::create(p);
  if (!esp) return std::unexpected(esp.error());
  auto entry = std::make_unique<SaEntry>(SaEntry{p, std::move(*esp)});
  entry->params.encr_key.wipe();
  entry->params.encr_key.resize(0);
  entry->params.integ_key.wipe();
  entry->params.integ_key.resize(0);
  {
    std::lock_guard lock(mu_);
    auto& table = p.direction == Direction::Inbound ? inbound_ : outbound_;
    if (table.contains(p.spi))
      return fail(fmt::format("SA {:08x} ({}) already installed", p.spi, to_string(p.direction)));
    allocated_spis_.erase(p.spi);
    SaEntry* raw = entry.get();
    table.emplace(p.spi, std::move(entry));
    if (p.direction == Direction::Outbound) {
      out_by_reqid_[p.reqid] = raw;  // a rekeyed SA replaces the old one for new traffic
      flush_reqids_.push_back(p.reqid);
    }
  }
  if (p.direction == Direction::Outbound) wake();
  return {};
}

Result<void> UserspaceDataPlane::update_sa_remote(std::uint32_t spi, const Endpoint& remote) {
  std::lock_guard lock(mu_);
  auto it = outbound_.find(spi);
  if (it == outbound_.end()) return fail(fmt::format("no SA {:08x} (outbound)", spi));
  SaParams& p = it->second->params;
  if (p.remote.family() != remote.address.family()) return fail("a new peer address must be of the same family");
  p.remote = remote.address;
  if (p.encap_remote_port) p.encap_remote_port = remote.port;
  return {};
}

Result<void> UserspaceDataPlane::delete_sa(std::uint32_t spi, Direction d) {
  std::lock_guard lock(mu_);
  auto& table = d == Direction::Inbound ? inbound_ : outbound_;
  auto it = table.find(spi);
  if (it == table.end()) return fail(fmt::format("no SA {:08x} ({})", spi, to_string(d)));
  if (d == Direction::Outbound) {
    auto o = out_by_reqid_.find(it->second->params.reqid);
    if (o != out_by_reqid_.end() && o->second == it->second.get()) out_by_reqid_.erase(o);
  }
  table.erase(it);
  return {};
}

Result<void> UserspaceDataPlane::add_policy(const PolicyParams& p) {
  const TrafficSelector& ts = p.selector;
  if (ts.src_start.family() != ts.dst_start.family() || ts.src_start.family() != ts.src_end.family() ||
      ts.dst_start.family() != ts.dst_end.family() || ts.src_end < ts.src_start || ts.dst_end < ts.dst_start)
    return fail(fmt::format("policy {}: selector ranges are empty or mix address families", p.reqid));
  (void)delete_policy(p.reqid);  // replacing a policy: its old rules go first

  // Steer exactly the selector's traffic into the TUN device: one rule per (source prefix,
  // destination prefix) pair, with protocol and port ranges as rule keys.
  PolicyState st{p, {}, {}, {}, false};
  const auto srcs = range_to_prefixes(ts.src_start, ts.src_end);
  const auto dsts = range_to_prefixes(ts.dst_start, ts.dst_end);
  if (srcs.size() * dsts.size() > 256)
    return fail(fmt::format("policy {}: selector splits into too many prefixes", p.reqid));
  const std::uint32_t prio =
      opts_.rule_priority_base + std::min(p.priority, opts_.rule_priority_span - 1);
  for (const Prefix& s : srcs) {
    for (const Prefix& d : dsts) {
      RuleSpec r;
      r.family = s.address.family();
      if (s.length > 0) r.src = s;
      if (d.length > 0) r.dst = d;
      r.ip_proto = ts.protocol;
      const bool ports = ts.protocol == 6 || ts.protocol == 17 || ts.protocol == 132;
      if (ports && (ts.src_port_start != 0 || ts.src_port_end != 65535))
        r.sport = std::pair{ts.src_port_start, ts.src_port_end};
      if (ports && (ts.dst_port_start != 0 || ts.dst_port_end != 65535))
        r.dport = std::pair{ts.dst_port_start, ts.dst_port_end};
      r.priority = prio;
      r.table = opts_.route_table;
      if (auto res = nl_->add_rule(r); !res) {
        remove_rules(st);
        return res;
      }
      st.rules.push_back(r);
    }
  }
  std::lock_guard lock(mu_);
  spd_.add(p);
  policies_.insert_or_assign(p.reqid, std::move(st));
  return {};
}

void UserspaceDataPlane::remove_rules(PolicyState& p) {
  for (const RuleSpec& r : p.rules) (void)nl_->delete_rule(r);
  p.rules.clear();
}

Result<void> UserspaceDataPlane::delete_policy(std::uint32_t reqid) {
  std::unique_lock lock(mu_);
  auto it = policies_.find(reqid);
  if (it == policies_.end()) return fail(fmt::format("no policy with reqid {}", reqid));
  PolicyState st = std::move(it->second);
  policies_.erase(it);
  spd_.remove(reqid);
  lock.unlock();
  remove_rules(st);
  return {};
}

std::optional<SaCounters> UserspaceDataPlane::counters(std::uint32_t spi, Direction d) const {
  std::lock_guard lock(mu_);
  const auto& table = d == Direction::Inbound ? inbound_ : outbound_;
  auto it = table.find(spi);
  if (it == table.end()) return std::nullopt;
  return it->second->esp->counters();
}

std::vector<Event> UserspaceDataPlane::drain_events() {
  std::uint64_t v;
  [[maybe_unused]] auto n = ::read(event_.get(), &v, sizeof v);
  std::lock_guard lock(ev_mu_);
  return std::exchange(events_, {});
}

void UserspaceDataPlane::push_event(Event e) {
  {
    std::lock_guard lock(ev_mu_);
    events_.push_back(std::move(e));
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(event_.get(), &one, sizeof one);
}

void UserspaceDataPlane::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_.get(), &one, sizeof one);
}

void UserspaceDataPlane::set_encap_socket(int fd) {
  if (fd < 0) {
    encap4_ = encap6_ = -1;
    return;
  }
  int domain = AF_INET;
  socklen_t len = sizeof domain;
  (void)::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
  if (opts_.fwmark) (void)::setsockopt(fd, SOL_SOCKET, SO_MARK, &opts_.fwmark, sizeof opts_.fwmark);
  raise_rcvbuf(fd);  // the ESP-in-UDP share of the socket's traffic comes in bursts
  (domain == AF_INET6 ? encap6_ : encap4_) = fd;
}

// IKE on UDP 500 carries our fwmark like the ESP sockets, so the bypass rule sends it to the
// main table even when a crypto ACL covers the gateways' own addresses.
void UserspaceDataPlane::exempt_ike_socket(int fd) {
  if (fd >= 0 && opts_.fwmark)
    (void)::setsockopt(fd, SOL_SOCKET, SO_MARK, &opts_.fwmark, sizeof opts_.fwmark);
}

Result<void> UserspaceDataPlane::shutdown() {
  if (shut_down_) return {};
  shut_down_ = true;
  stop_ = true;
  if (thread_.joinable()) {
    wake();
    thread_.join();
  }
  std::string errors;
  if (nl_) {
    for (auto& [reqid, st] : policies_) remove_rules(st);
    for (const RuleSpec& r : bypass_rules_)
      if (auto res = nl_->delete_rule(r); !res) errors += res.error().message + "; ";
  }
  {
    std::lock_guard lock(mu_);
    policies_.clear();
    spd_ = Spd{};
    out_by_reqid_.clear();
    inbound_.clear();
    outbound_.clear();
  }
  // Closing the TUN descriptor deletes the device, and with it the routes of our table.
  tun_.reset();
  esp4_.reset();
  esp6_.reset();
  if (!errors.empty()) return fail("userspace data plane shutdown: " + errors);
  return {};
}

// ---- Packet thread ----

void UserspaceDataPlane::run() {
  Fd ep(::epoll_create1(EPOLL_CLOEXEC));
  if (!ep) return;
  const int monitor_fd = monitor_ ? monitor_->fd() : -1;
  for (int fd : {tun_.get(), esp4_.get(), esp6_.get(), wake_.get(), monitor_fd}) {
    if (fd < 0) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev);
  }
  std::array<epoll_event, 8> evs;
  while (!stop_.load(std::memory_order_relaxed)) {
    const int n = ::epoll_wait(ep.get(), evs.data(), static_cast<int>(evs.size()), 500);
    for (int i = 0; i < n; ++i) {
      const int fd = evs[static_cast<std::size_t>(i)].data.fd;
      if (fd == wake_.get()) {
        std::uint64_t v;
        [[maybe_unused]] auto r = ::read(fd, &v, sizeof v);
        flush_acquire_queues();
      } else if (fd == tun_.get()) {
        read_tun();
      } else if (fd == monitor_fd) {
        auto changes = monitor_->read(ifindex_, opts_.route_table);
        if (!changes.empty()) repair(changes, ep.get());
      } else {
        read_esp(fd, fd == esp4_.get());
      }
    }
  }
}

void UserspaceDataPlane::flush_acquire_queues() {
  std::lock_guard lock(mu_);
  for (std::uint32_t reqid : std::exchange(flush_reqids_, {})) {
    auto p = policies_.find(reqid);
    auto o = out_by_reqid_.find(reqid);
    if (p == policies_.end() || o == out_by_reqid_.end()) continue;
    while (!p->second.queue.empty()) {
      encrypt_into_queue(*o->second, p->second.queue.front());
      p->second.queue.pop_front();
    }
    p->second.acquired = false;
  }
  flush_all();
}

void UserspaceDataPlane::read_tun() {
  // A TUN read returns one packet or one TCP super-packet; drain up to a batch of reads. The
  // table lock is taken per read, never across the read() itself.
  std::unique_lock lock(mu_, std::defer_lock);
  for (std::size_t reads = 0; reads < kBatch; ++reads) {
    const ssize_t n = ::read(tun_.get(), tun_rx_.data(), tun_rx_.size());
    if (n <= 0) break;
    if (static_cast<std::size_t>(n) <= kVnetHdrLen) continue;
    VnetHdr hdr;
    std::memcpy(&hdr, tun_rx_.data(), sizeof hdr);
    const MutableByteView pkt(tun_rx_.data() + kVnetHdrLen, static_cast<std::size_t>(n) - kVnetHdrLen);
    const TimePoint now = Clock::now();
    lock.lock();
    handle_outbound(hdr, pkt, now);
    lock.unlock();
  }
  lock.lock();
  flush_all();
}

void UserspaceDataPlane::handle_outbound(const VnetHdr& hdr, MutableByteView pkt, TimePoint now) {
  auto seg = Segmenter::create(hdr, pkt);
  if (!seg || seg->max_segment_len() > segment_.size()) return;  // not a packet the kernel sends
  // Every segment has the super-packet's addresses and ports: one SPD lookup for all of them.
  auto t = parse_five_tuple(pkt);
  if (!t) return;
  const PolicyParams* pol = spd_.lookup(*t);
  if (!pol) return;  // routed to us but no longer protected: drop, never send in clear
  for (std::size_t i = 0; i < seg->count(); ++i) {
    const ByteView inner = seg->segment(i, segment_);
    // Looked up per segment: a segment may cross the SA's hard lifetime.
    auto o = out_by_reqid_.find(pol->reqid);
    if (o != out_by_reqid_.end() && !o->second->esp->hard_expired())
      encrypt_into_queue(*o->second, inner);
    else
      queue_for_acquire(*pol, *t, inner, now);
  }
}

void UserspaceDataPlane::queue_for_acquire(const PolicyParams& pol, const FiveTuple& t, ByteView inner,
                                           TimePoint now) {
  // No SA: queue (bounded) and raise Acquire once per holdoff period.
  PolicyState& st = policies_.at(pol.reqid);
  if (st.queue.size() < kAcquireQueueLimit) st.queue.emplace_back(inner.begin(), inner.end());
  if (!st.acquired || now - st.last_acquire >= kAcquireHoldoff) {
    st.acquired = true;
    st.last_acquire = now;
    push_event(Event{Event::Kind::Acquire, pol.reqid, 0, Direction::Outbound, selector_of(t)});
  }
}

void UserspaceDataPlane::encrypt_into_queue(SaEntry& sa, ByteView inner) {
  const SaParams& p = sa.params;
  const bool v6 = !p.remote.is_v4();
  SendQueue& q = p.encap_remote_port ? (v6 ? udp6_ : udp4_) : (v6 ? raw6_ : raw4_);
  if (p.encap_remote_port) q.fd = (v6 ? encap6_ : encap4_).load(std::memory_order_relaxed);
  if (q.fd < 0) {
    sa.esp->count_send_error();
    return;
  }
  if (q.count == kBatch) flush(q);
  const std::size_t i = q.count;
  const std::uint8_t nh = (inner[0] >> 4) == 6 ? kNextHeaderIpv6 : kNextHeaderIpv4;
  auto n = sa.esp->encapsulate(inner, nh, q.bufs[i]);
  check_lifetime(sa);
  if (!n) {
    if (n.error() != EspStatus::Expired && n.error() != EspStatus::SequenceExhausted) sa.esp->count_send_error();
    return;
  }
  q.iov[i] = {q.bufs[i].data(), *n};
  msghdr& m = q.msgs[i].msg_hdr;
  m = msghdr{};
  m.msg_iov = &q.iov[i];
  m.msg_iovlen = 1;
  m.msg_name = &q.addrs[i];
  m.msg_control = q.cmsgs[i].data();
  const std::uint16_t port = p.encap_remote_port.value_or(0);
  // The source address is the SA's local endpoint (IP_PKTINFO), whatever the routing picks.
  if (!v6) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&q.addrs[i]);
    *sin = sockaddr_in{};
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    std::memcpy(&sin->sin_addr, p.remote.bytes().data(), 4);
    m.msg_namelen = sizeof(sockaddr_in);
    m.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo pi{};
    std::memcpy(&pi.ipi_spec_dst, p.local.bytes().data(), 4);
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&q.addrs[i]);
    *sin6 = sockaddr_in6{};
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    std::memcpy(&sin6->sin6_addr, p.remote.bytes().data(), 16);
    m.msg_namelen = sizeof(sockaddr_in6);
    m.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo pi{};
    std::memcpy(&pi.ipi6_addr, p.local.bytes().data(), 16);
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  }
  q.owners[i] = &sa;
  ++q.count;
}

// ESP-in-UDP: the segments of one TSO super-packet encrypt to datagrams of one size to one
// peer; a run of them leaves as one UDP GSO send (the kernel, or the NIC, splits it at
// gso_size), so the UDP/IP stack and the link are crossed once per run instead of per datagram.
// Merges in place: message k takes the run starting at message s >= k.
std::size_t merge_udp_runs(SendQueue& q) {
  std::size_t out = 0;
  for (std::size_t s = 0; s < q.count;) {
    msghdr first = q.msgs[s].msg_hdr;
    const std::size_t size = q.iov[s].iov_len;
    std::size_t e = s + 1, bytes = size;
    while (e < q.count && e - s < kUdpGsoSegments && bytes + q.iov[e].iov_len <= kUdpGsoBytes &&
           q.iov[e - 1].iov_len == size && q.iov[e].iov_len <= size && q.owners[e] == q.owners[s] &&
           q.msgs[e].msg_hdr.msg_namelen == first.msg_namelen &&
           std::memcmp(&q.addrs[e], &q.addrs[s], first.msg_namelen) == 0 &&
           q.msgs[e].msg_hdr.msg_controllen == first.msg_controllen &&
           std::memcmp(q.cmsgs[e].data(), q.cmsgs[s].data(), first.msg_controllen) == 0)
      bytes += q.iov[e++].iov_len;
    if (e - s > 1) {
      first.msg_iovlen = e - s;  // q.iov[s..e) is contiguous
      // Room for this second control message is reserved in every cmsgs entry.
      auto* c = reinterpret_cast<cmsghdr*>(q.cmsgs[s].data() + first.msg_controllen);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
      const auto gso_size = static_cast<std::uint16_t>(size);
      std::memcpy(CMSG_DATA(c), &gso_size, sizeof gso_size);
      first.msg_controllen += CMSG_SPACE(sizeof(std::uint16_t));
    }
    q.msgs[out].msg_hdr = first;
    q.owners[out] = q.owners[s];
    q.packets[out] = e - s;
    ++out;
    s = e;
  }
  return out;
}

void UserspaceDataPlane::flush(SendQueue& q) {
  std::size_t messages = q.count;
  if (q.udp_gso) {
    messages = merge_udp_runs(q);
  } else {
    std::fill_n(q.packets.begin(), q.count, std::size_t{1});
  }
  std::size_t done = 0;
  while (done < messages) {
    const int n = ::sendmmsg(q.fd, q.msgs.data() + done, static_cast<unsigned>(messages - done), MSG_DONTWAIT);
    if (n <= 0) {
      // Skip the message that failed (all its datagrams), keep going. A kernel without UDP GSO
      // refuses the option: stop merging from the next batch on.
      if (q.packets[done] > 1 && (errno == EINVAL || errno == ENOPROTOOPT || errno == EOPNOTSUPP)) q.udp_gso = false;
      for (std::size_t k = 0; k < q.packets[done]; ++k) q.owners[done]->esp->count_send_error();
      ++done;
      continue;
    }
    done += static_cast<std::size_t>(n);
  }
  q.count = 0;
}

void UserspaceDataPlane::flush_all() {
  for (SendQueue* q : {&raw4_, &raw6_, &udp4_, &udp6_})
    if (q->count) flush(*q);
}

void UserspaceDataPlane::read_esp(int fd, bool v4) {
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  for (std::size_t i = 0; i < kBatch; ++i) {
    iov[i] = {rx_[i].data(), kBufSize};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  const int n = ::recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (n <= 0) return;
  std::lock_guard lock(mu_);
  for (int k = 0; k < n; ++k) {
    const auto i = static_cast<std::size_t>(k);
    if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) continue;
    ByteView pkt(rx_[i].data(), msgs[i].msg_len);
    if (v4) {
      // An IPv4 raw socket delivers the IP header too (raw(7)); ESP starts after it.
      if (pkt.size() < 20) continue;
      const std::size_t ihl = std::size_t{pkt[0] & 0x0fu} * 4;
      if (ihl < 20 || pkt.size() < ihl) continue;
      pkt = pkt.subspan(ihl);
    }
    handle_esp(pkt);
  }
  flush_coalesced();
}

void UserspaceDataPlane::handle_esp(ByteView esp) {
  if (esp.size() < kEspHeaderLen) return;
  auto it = inbound_.find(load_be32(esp.data()));
  if (it == inbound_.end()) return;  // unknown SPI (RFC 4303 3.4.2: discard, auditable event)
  SaEntry& sa = *it->second;
  auto d = sa.esp->decapsulate(esp, plain_);
  check_lifetime(sa);
  if (!d) return;
  // RFC 4301 5.2: the inner packet must match the selector of the SA's policy, reversed.
  const ByteView inner(plain_.data(), d->inner_len);
  auto t = parse_five_tuple(inner);
  auto pol = policies_.find(sa.params.reqid);
  if (!t || pol == policies_.end() || !selector_matches(pol->second.params.selector, *t, true)) {
    sa.esp->count_policy_failure();
    return;
  }
  deliver(inner, sa);
}

// Consecutive TCP segments of one flow leave as one super-packet (one write instead of one per
// segment, and one packet through the kernel's forwarding path); anything else on its own, in
// the order received.
void UserspaceDataPlane::deliver(ByteView inner, SaEntry& sa) {
  static constexpr VnetHdr kPlain{};
  if (!offload_) {
    write_tun(ByteView(reinterpret_cast<const std::uint8_t*>(&kPlain), sizeof kPlain), inner, sa, 1);
    return;
  }
  if (coalescer_.append(inner)) return;
  flush_coalesced();
  if (coalescer_.start(inner)) {
    coalesced_sa_ = &sa;
    return;
  }
  write_tun(ByteView(reinterpret_cast<const std::uint8_t*>(&kPlain), sizeof kPlain), inner, sa, 1);
}

void UserspaceDataPlane::flush_coalesced() {
  if (coalescer_.empty()) return;
  const std::size_t packets = coalescer_.segments();
  const ByteView out = coalescer_.take();
  write_tun(out.first(kVnetHdrLen), out.subspan(kVnetHdrLen), *coalesced_sa_, packets);
  coalesced_sa_ = nullptr;
}

void UserspaceDataPlane::write_tun(ByteView vnet_hdr, ByteView pkt, SaEntry& sa, std::size_t packets) {
  std::array<iovec, 2> iov{iovec{const_cast<std::uint8_t*>(vnet_hdr.data()), vnet_hdr.size()},
                           iovec{const_cast<std::uint8_t*>(pkt.data()), pkt.size()}};
  if (::writev(tun_.get(), iov.data(), 2) < 0)
    for (std::size_t i = 0; i < packets; ++i) sa.esp->count_recv_error();
}

void UserspaceDataPlane::inject_udp_esp(ByteView esp, const Endpoint&, const Endpoint&) {
  std::lock_guard lock(mu_);
  handle_esp(esp);
  flush_coalesced();
}

void UserspaceDataPlane::check_lifetime(SaEntry& sa) {
  const LifetimeEvent le = sa.esp->take_lifetime_event();
  if (le == LifetimeEvent::None) return;
  const SaParams& p = sa.params;
  if (le == LifetimeEvent::Hard && p.direction == Direction::Outbound) {
    auto o = out_by_reqid_.find(p.reqid);
    if (o != out_by_reqid_.end() && o->second == &sa) out_by_reqid_.erase(o);
  }
  push_event(Event{le == LifetimeEvent::Soft ? Event::Kind::SoftExpire : Event::Kind::HardExpire,
                   p.reqid, p.spi, p.direction, {}});
}

}  // namespace

Result<std::unique_ptr<DataPlane>> make_userspace_dataplane(const UserspaceOptions& options) {
  auto dp = std::make_unique<UserspaceDataPlane>(options);
  if (auto r = dp->start(); !r) {
    (void)dp->shutdown();
    return std::unexpected(r.error());
  }
  return std::unique_ptr<DataPlane>(std::move(dp));
}

Result<void> cleanup_stale(const UserspaceOptions& options) {
  auto nl = Netlink::open();
  if (!nl) return std::unexpected(nl.error());
  auto n = nl->delete_rules_of_table(options.route_table, options.rule_priority_base - 1,
                                     options.rule_priority_base - 1);
  if (!n) return std::unexpected(n.error());
  return nl->delete_link(options.tun_name);
}

}  // namespace ikegate::dataplane
