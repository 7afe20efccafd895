#include "daemon/event_loop.h"

#include <sys/eventfd.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <system_error>

namespace ikegate::daemon {

namespace {

timeval to_timeval(Duration d) {
  if (d < Duration::zero()) d = Duration::zero();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return timeval{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

}  // namespace

// The callback lives behind a shared_ptr so that the trampoline can hold a reference while it
// runs: a callback that drops its own Handle (a client closing itself) must not destroy the
// closure it is executing.
struct EventLoop::Handle::State {
  detail::EventPtr ev;
  std::shared_ptr<std::function<void()>> cb;

  static void trampoline(evutil_socket_t, short, void* arg) {
    std::shared_ptr<std::function<void()>> keep = static_cast<State*>(arg)->cb;
    (*keep)();
  }
};

// Dropping the State frees the event, which also removes it from the base.
EventLoop::Handle::Handle(std::unique_ptr<State> s) : state_(std::move(s)) {}
EventLoop::Handle::Handle() = default;
EventLoop::Handle::Handle(Handle&&) noexcept = default;
EventLoop::Handle& EventLoop::Handle::operator=(Handle&&) noexcept = default;
EventLoop::Handle::~Handle() = default;
void EventLoop::Handle::cancel() { state_.reset(); }

namespace {
// libevent measures timeouts with CLOCK_MONOTONIC_COARSE unless asked otherwise, so a timer could
// fire a few milliseconds before its deadline; protocol timers want the precise clock.
event_base* new_precise_base() {
  event_config* cfg = event_config_new();
  if (!cfg) return nullptr;
  event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
  event_base* base = event_base_new_with_config(cfg);
  event_config_free(cfg);
  return base;
}
}  // namespace

EventLoop::EventLoop() : base_(new_precise_base()) {
  if (!base_) throw std::runtime_error("event_base_new failed");
  wake_fd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake_fd_) throw std::system_error(errno, std::generic_category(), "eventfd");
  wake_event_.reset(event_new(
      base_.get(), wake_fd_.get(), EV_READ | EV_PERSIST,
      [](evutil_socket_t, short, void* arg) { static_cast<EventLoop*>(arg)->drain_posted(); },
      this));
  if (!wake_event_ || event_add(wake_event_.get(), nullptr) != 0)
    throw std::runtime_error("cannot register the loop's wake-up event");
}

EventLoop::~EventLoop() {
  wake_event_.reset();  // before base_ goes
}

void EventLoop::drain_posted() {
  std::uint64_t count = 0;
  [[maybe_unused]] auto n = ::read(wake_fd_.get(), &count, sizeof count);
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
  if (stop_requested_.load()) event_base_loopbreak(base_.get());
}

void EventLoop::run() {
  // EVLOOP_NO_EXIT_ON_EMPTY is implied by the always-registered wake-up event.
  while (!stop_requested_.load()) {
    if (event_base_loop(base_.get(), 0) != 0) break;
  }
  stop_requested_.store(false);
}

bool EventLoop::run_for(Duration limit) {
  const TimePoint deadline = now() + limit;
  bool stopped = false;
  while (true) {
    if (stop_requested_.load()) {
      stopped = true;
      break;
    }
    const Duration left = deadline - now();
    if (left <= Duration::zero()) break;
    timeval tv = to_timeval(left);
    event_base_loopexit(base_.get(), &tv);
    if (event_base_loop(base_.get(), 0) != 0) break;
  }
  // A loopexit still armed would end the next run() early.
  event_base_loopbreak(base_.get());
  event_base_loop(base_.get(), EVLOOP_NONBLOCK);
  stop_requested_.store(false);
  return stopped;
}

void EventLoop::stop() {
  stop_requested_.store(true);
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_.get(), &one, sizeof one);
}

void EventLoop::post(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    posted_.push_back(std::move(fn));
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_.get(), &one, sizeof one);
}

EventLoop::Handle EventLoop::make(int fd, short what, std::function<void()> cb,
                                  std::optional<Duration> timeout) {
  auto state = std::make_unique<Handle::State>();
  state->cb = std::make_shared<std::function<void()>>(std::move(cb));
  state->ev.reset(event_new(base_.get(), fd, what, &Handle::State::trampoline, state.get()));
  if (!state->ev) throw std::runtime_error("event_new failed");
  timeval tv{};
  if (timeout) tv = to_timeval(*timeout);
  if (event_add(state->ev.get(), timeout ? &tv : nullptr) != 0)
    throw std::runtime_error("event_add failed");
  return Handle(std::move(state));
}

EventLoop::Handle EventLoop::watch_readable(int fd, std::function<void()> cb) {
  return make(fd, EV_READ | EV_PERSIST, std::move(cb), std::nullopt);
}

EventLoop::Handle EventLoop::watch_writable(int fd, std::function<void()> cb) {
  return make(fd, EV_WRITE | EV_PERSIST, std::move(cb), std::nullopt);
}

EventLoop::Handle EventLoop::add_timer(Duration after, std::function<void()> cb) {
  return make(-1, 0, std::move(cb), after);
}

EventLoop::Handle EventLoop::add_signal(int signo, std::function<void()> cb) {
  return make(signo, EV_SIGNAL | EV_PERSIST, std::move(cb), std::nullopt);
}

Timer::Timer(EventLoop& loop, std::function<void()> cb) : loop_(loop), cb_(std::move(cb)) {
  event_.reset(event_new(loop_.base(), -1, 0, &Timer::trampoline, this));
  if (!event_) throw std::runtime_error("event_new failed");
}

Timer::~Timer() = default;

void Timer::trampoline(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Timer*>(arg);
  self->deadline_.reset();  // cleared first so that the callback may re-arm
  self->cb_();
}

void Timer::arm(TimePoint when) {
  timeval tv = to_timeval(when - loop_.now());
  event_add(event_.get(), &tv);  // re-adding a pending timer replaces its timeout
  deadline_ = when;
}

void Timer::cancel() {
  event_del(event_.get());
  deadline_.reset();
}

}  // namespace ikegate::daemon
