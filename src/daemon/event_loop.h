// The daemon's event loop: a thin RAII layer over one libevent event_base.
//
// Everything that touches IKE state runs on the loop thread. Other threads (the crypto worker
// pool, the data plane's packet threads) hand work to it with post(), which is the only
// thread-safe entry point besides stop(). Cross-thread wake-ups go through an eventfd rather
// than libevent's own locking, so no process-wide libevent setting is needed.
#pragma once

#include <event2/event.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "common/time.h"
#include "daemon/unique_fd.h"

namespace ikegate::daemon {

namespace detail {
struct EventBaseDeleter {
  void operator()(event_base* base) const { event_base_free(base); }
};
struct EventDeleter {
  void operator()(event* ev) const { event_free(ev); }
};
using EventPtr = std::unique_ptr<event, EventDeleter>;
}  // namespace detail

class EventLoop {
 public:
  // A registration (fd watch, timer, signal). Move-only; destroying it cancels the
  // registration. A callback may destroy its own Handle. Handles (and Timers) must not outlive
  // their loop, and are created and destroyed on the loop thread only (libevent is used without
  // its locks).
  class Handle {
   public:
    Handle();
    Handle(Handle&&) noexcept;
    Handle& operator=(Handle&&) noexcept;
    ~Handle();
    bool active() const { return state_ != nullptr; }
    void cancel();

   private:
    friend class EventLoop;
    struct State;
    explicit Handle(std::unique_ptr<State> s);
    std::unique_ptr<State> state_;
  };

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs callbacks until stop(). A stop() issued before run() makes run() return at once.
  void run();
  // Runs until stop() or until `limit` has passed, whichever comes first (bounded waits in
  // tests, graceful shutdown deadlines). Returns true if stop() ended it.
  bool run_for(Duration limit);
  // Thread-safe.
  void stop();
  // Thread-safe: `fn` runs on the loop thread soon, in post order.
  void post(std::function<void()> fn);

  // `cb` runs whenever `fd` is readable (level-triggered) until the Handle is dropped.
  Handle watch_readable(int fd, std::function<void()> cb);
  Handle watch_writable(int fd, std::function<void()> cb);
  // One-shot.
  Handle add_timer(Duration after, std::function<void()> cb);
  // Through libevent's signal event (a self-pipe), so `cb` runs on the loop thread and is free
  // to do anything; one loop per process should own a given signal.
  Handle add_signal(int signo, std::function<void()> cb);

  // Monotonic: IKE timers (retransmission, DPD, lifetimes) must not jump with the wall clock.
  TimePoint now() const { return Clock::now(); }

  event_base* base() const { return base_.get(); }

 private:
  Handle make(int fd, short what, std::function<void()> cb, std::optional<Duration> timeout);
  void drain_posted();

  std::unique_ptr<event_base, detail::EventBaseDeleter> base_;
  UniqueFd wake_fd_;  // eventfd: post() and stop() write to it from any thread
  detail::EventPtr wake_event_;
  std::mutex mutex_;
  std::deque<std::function<void()>> posted_;  // guarded by mutex_
  std::atomic<bool> stop_requested_{false};
};

// A re-armable one-shot deadline: the daemon keeps one per engine for "the next time the engine
// wants handle_expiry(now)" (ngtcp2's expiry model), re-arming it after every engine call.
class Timer {
 public:
  Timer(EventLoop& loop, std::function<void()> cb);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Replaces any earlier deadline; a deadline in the past fires on the next loop iteration.
  void arm(TimePoint when);
  void arm_after(Duration after) { arm(loop_.now() + after); }
  void cancel();
  bool armed() const { return deadline_.has_value(); }
  std::optional<TimePoint> deadline() const { return deadline_; }

 private:
  static void trampoline(evutil_socket_t, short, void* arg);

  EventLoop& loop_;
  std::function<void()> cb_;
  detail::EventPtr event_;
  std::optional<TimePoint> deadline_;
};

}  // namespace ikegate::daemon
