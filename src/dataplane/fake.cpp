#include "dataplane/fake.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

namespace ikegate::dataplane {

FakeDataPlane::FakeDataPlane(std::uint64_t seed) : random_(seed) {
  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) std::abort();  // a test environment without eventfd is unusable anyway
}

FakeDataPlane::~FakeDataPlane() {
  if (peer_ && peer_->peer_ == this) peer_->peer_ = nullptr;
  if (event_fd_ >= 0) ::close(event_fd_);
}

Result<std::uint32_t> FakeDataPlane::allocate_spi() {
  for (int attempt = 0; attempt < 64; ++attempt) {
    const std::uint32_t spi = random_.u32();
    if (spi < 256) continue;  // RFC 4303 2.1: reserved
    if (std::find(allocated_.begin(), allocated_.end(), spi) != allocated_.end()) continue;
    if (sas_.contains({spi, Direction::Inbound})) continue;
    allocated_.push_back(spi);
    return spi;
  }
  return fail("fake: cannot allocate an unused SPI");
}

Result<void> FakeDataPlane::add_sa(const SaParams& p) {
  if (sas_.contains({p.spi, p.direction}))
    return fail(fmt::format("fake: SA {:08x} ({}) already installed", p.spi, to_string(p.direction)));
  auto esp = EspSa::create(p);
  if (!esp) return std::unexpected(esp.error());
  sas_.emplace(std::pair{p.spi, p.direction}, Sa{p, std::move(*esp)});
  std::erase(allocated_, p.spi);
  if (p.direction == Direction::Outbound) {
    outbound_by_reqid_[p.reqid] = p.spi;
    flush_queue(p.reqid);
  }
  return {};
}

Result<void> FakeDataPlane::update_sa_remote(std::uint32_t spi, const Endpoint& remote) {
  auto it = sas_.find({spi, Direction::Outbound});
  if (it == sas_.end()) return fail(fmt::format("fake: no SA {:08x} (outbound)", spi));
  it->second.params.remote = remote.address;
  if (it->second.params.encap_remote_port) it->second.params.encap_remote_port = remote.port;
  return {};
}

Result<void> FakeDataPlane::delete_sa(std::uint32_t spi, Direction d) {
  auto it = sas_.find({spi, d});
  if (it == sas_.end()) return fail(fmt::format("fake: no SA {:08x} ({})", spi, to_string(d)));
  if (d == Direction::Outbound) {
    auto o = outbound_by_reqid_.find(it->second.params.reqid);
    if (o != outbound_by_reqid_.end() && o->second == spi) outbound_by_reqid_.erase(o);
  }
  sas_.erase(it);
  return {};
}

Result<void> FakeDataPlane::add_policy(const PolicyParams& p) {
  spd_.add(p);
  return {};
}

Result<void> FakeDataPlane::delete_policy(std::uint32_t reqid) {
  if (!spd_.remove(reqid)) return fail(fmt::format("fake: no policy with reqid {}", reqid));
  queues_.erase(reqid);
  return {};
}

std::optional<SaCounters> FakeDataPlane::counters(std::uint32_t spi, Direction d) const {
  auto it = sas_.find({spi, d});
  if (it == sas_.end()) return std::nullopt;
  return it->second.esp->counters();
}

void FakeDataPlane::push_event(Event e) {
  events_.push_back(std::move(e));
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

std::vector<Event> FakeDataPlane::drain_events() {
  std::uint64_t v = 0;
  [[maybe_unused]] auto n = ::read(event_fd_, &v, sizeof v);
  return std::exchange(events_, {});
}

void FakeDataPlane::raise_acquire(std::uint32_t reqid, const TrafficSelector& packet) {
  push_event(Event{Event::Kind::Acquire, reqid, 0, Direction::Outbound, packet});
}

void FakeDataPlane::raise_expire(Event::Kind kind, std::uint32_t spi, Direction d) {
  const SaParams* p = sa(spi, d);
  push_event(Event{kind, p ? p->reqid : 0, spi, d, {}});
}

const SaParams* FakeDataPlane::sa(std::uint32_t spi, Direction d) const {
  auto it = sas_.find({spi, d});
  return it == sas_.end() ? nullptr : &it->second.params;
}

std::size_t FakeDataPlane::queued(std::uint32_t reqid) const {
  auto it = queues_.find(reqid);
  return it == queues_.end() ? 0 : it->second.size();
}

Result<void> FakeDataPlane::shutdown() {
  sas_.clear();
  outbound_by_reqid_.clear();
  queues_.clear();
  spd_ = Spd{};
  shut_down_ = true;
  return {};
}

void FakeDataPlane::connect(FakeDataPlane& peer) {
  peer_ = &peer;
  peer.peer_ = this;
}

void FakeDataPlane::check_lifetime(Sa& sa) {
  switch (sa.esp->take_lifetime_event()) {
    case LifetimeEvent::Soft:
      push_event(Event{Event::Kind::SoftExpire, sa.params.reqid, sa.params.spi, sa.params.direction, {}});
      break;
    case LifetimeEvent::Hard:
      push_event(Event{Event::Kind::HardExpire, sa.params.reqid, sa.params.spi, sa.params.direction, {}});
      break;
    case LifetimeEvent::None:
      break;
  }
}

FakeDataPlane::SendOutcome FakeDataPlane::encrypt_and_send(Sa& sa, ByteView inner) {
  const std::uint8_t nh = (inner[0] >> 4) == 6 ? kNextHeaderIpv6 : kNextHeaderIpv4;
  Bytes wire(sa.esp->encapsulated_len(inner.size()));
  auto n = sa.esp->encapsulate(inner, nh, wire);
  check_lifetime(sa);
  if (!n) return SendOutcome::Dropped;
  wire.resize(*n);
  last_esp_ = wire;
  if (!peer_) return SendOutcome::Sent;  // nobody listening: like a cable to nowhere
  if (filter_ && !filter_(wire)) return SendOutcome::Sent;
  peer_->receive_esp(wire);
  return SendOutcome::Sent;
}

FakeDataPlane::SendOutcome FakeDataPlane::send(ByteView inner) {
  auto t = parse_five_tuple(inner);
  if (!t) return SendOutcome::Dropped;
  const PolicyParams* pol = spd_.lookup(*t);
  if (!pol) return SendOutcome::Bypassed;
  auto o = outbound_by_reqid_.find(pol->reqid);
  if (o != outbound_by_reqid_.end()) {
    Sa& sa = sas_.at({o->second, Direction::Outbound});
    if (!sa.esp->hard_expired()) return encrypt_and_send(sa, inner);
  }
  auto& q = queues_[pol->reqid];
  if (q.empty()) raise_acquire(pol->reqid, selector_of(*t));
  if (q.size() >= kAcquireQueueLimit) return SendOutcome::Dropped;
  q.emplace_back(inner.begin(), inner.end());
  return SendOutcome::Queued;
}

void FakeDataPlane::flush_queue(std::uint32_t reqid) {
  auto q = queues_.find(reqid);
  if (q == queues_.end()) return;
  std::deque<Bytes> pending = std::move(q->second);
  queues_.erase(q);
  Sa& sa = sas_.at({outbound_by_reqid_.at(reqid), Direction::Outbound});
  for (const Bytes& b : pending) encrypt_and_send(sa, b);
}

void FakeDataPlane::receive_esp(ByteView esp) {
  if (esp.size() < kEspHeaderLen) return;
  auto it = sas_.find({load_be32(esp.data()), Direction::Inbound});
  if (it == sas_.end()) return;
  Sa& sa = it->second;
  Bytes plain(esp.size());
  auto d = sa.esp->decapsulate(esp, plain);
  check_lifetime(sa);
  if (!d) return;
  plain.resize(d->inner_len);
  // RFC 4301 5.2 step 4: the inner packet must match the SA's selector (reversed).
  auto t = parse_five_tuple(plain);
  const PolicyParams* pol = spd_.find(sa.params.reqid);
  if (!t || (pol && !selector_matches(pol->selector, *t, /*reversed=*/true))) {
    sa.esp->count_policy_failure();
    return;
  }
  delivered_.push_back(std::move(plain));
}

void FakeDataPlane::inject_udp_esp(ByteView esp, const Endpoint&, const Endpoint&) { receive_esp(esp); }

std::vector<Bytes> FakeDataPlane::take_delivered() { return std::exchange(delivered_, {}); }

}  // namespace ikegate::dataplane
