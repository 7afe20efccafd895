#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <optional>
#include <thread>
#include <vector>

#include "daemon/event_loop.h"

using namespace ikegate;
using namespace ikegate::daemon;
using namespace std::chrono_literals;

TEST(EventLoop, PostFromAnotherThreadRunsOnLoopThread) {
  EventLoop loop;
  std::thread::id ran_on;
  std::thread t([&] {
    loop.post([&] {
      ran_on = std::this_thread::get_id();
      loop.stop();
    });
  });
  EXPECT_TRUE(loop.run_for(5s));
  t.join();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(EventLoop, PostsRunInOrder) {
  EventLoop loop;
  std::vector<int> seen;
  for (int i = 0; i < 100; ++i) loop.post([&, i] { seen.push_back(i); });
  loop.post([&] { loop.stop(); });
  EXPECT_TRUE(loop.run_for(5s));
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[i], i);
}

TEST(EventLoop, StopFromAnotherThreadEndsRun) {
  EventLoop loop;
  auto guard = loop.add_timer(5s, [] { FAIL() << "stop() did not end run()"; });
  std::thread t([&] {
    std::this_thread::sleep_for(20ms);
    loop.stop();
  });
  loop.run();
  t.join();
}

TEST(EventLoop, RunForIsBounded) {
  EventLoop loop;
  const auto start = Clock::now();
  EXPECT_FALSE(loop.run_for(50ms));
  const auto took = Clock::now() - start;
  EXPECT_GE(took, 45ms);
  EXPECT_LT(took, 2s);
}

TEST(EventLoop, OneShotTimerFiresOnceAndCancelWorks) {
  EventLoop loop;
  int fired = 0, cancelled = 0;
  auto t1 = loop.add_timer(10ms, [&] { ++fired; });
  auto t2 = loop.add_timer(10ms, [&] { ++cancelled; });
  t2.cancel();
  EXPECT_FALSE(t2.active());
  auto end = loop.add_timer(100ms, [&] { loop.stop(); });
  EXPECT_TRUE(loop.run_for(5s));
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(cancelled, 0);
}

TEST(EventLoop, DestroyingHandleCancels) {
  EventLoop loop;
  int fired = 0;
  {
    auto t = loop.add_timer(1ms, [&] { ++fired; });
  }
  loop.run_for(30ms);
  EXPECT_EQ(fired, 0);
}

TEST(EventLoop, CallbackMayDropItsOwnHandle) {
  EventLoop loop;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  std::optional<EventLoop::Handle> watch;
  int calls = 0;
  watch = loop.watch_readable(fds[0], [&] {
    ++calls;
    watch.reset();  // the closure is kept alive by the trampoline
    loop.stop();
  });
  EXPECT_TRUE(loop.run_for(5s));
  EXPECT_EQ(calls, 1);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(EventLoop, WatchReadableIsLevelTriggered) {
  EventLoop loop;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], "ab", 2), 2);
  std::string got;
  auto w = loop.watch_readable(fds[0], [&] {
    char ch;
    if (::read(fds[0], &ch, 1) == 1) got.push_back(ch);  // one octet per call
    if (got.size() == 2) loop.stop();
  });
  EXPECT_TRUE(loop.run_for(5s));
  EXPECT_EQ(got, "ab");
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(EventLoop, SignalRunsOnLoop) {
  EventLoop loop;
  int got = 0;
  auto h = loop.add_signal(SIGUSR1, [&] {
    ++got;
    loop.stop();
  });
  loop.post([] { ::kill(::getpid(), SIGUSR1); });
  EXPECT_TRUE(loop.run_for(5s));
  EXPECT_EQ(got, 1);
}

TEST(Timer, RearmReplacesTheDeadline) {
  EventLoop loop;
  std::vector<TimePoint> fired;
  Timer timer(loop, [&] { fired.push_back(loop.now()); });
  const TimePoint start = loop.now();
  timer.arm(start + 5s);
  timer.arm(start + 20ms);  // the engine moved its next deadline earlier
  EXPECT_TRUE(timer.armed());
  auto end = loop.add_timer(200ms, [&] { loop.stop(); });
  EXPECT_TRUE(loop.run_for(5s));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_GE(fired[0] - start, 19ms);
  EXPECT_FALSE(timer.armed());
}

TEST(Timer, CallbackMayRearmAndCancelStops) {
  EventLoop loop;
  int fired = 0;
  std::optional<Timer> timer;
  timer.emplace(loop, [&] {
    if (++fired < 3) timer->arm_after(1ms);
  });
  timer->arm(loop.now() - 1s);  // a past deadline fires at once
  auto end = loop.add_timer(200ms, [&] { loop.stop(); });
  loop.run_for(5s);
  EXPECT_EQ(fired, 3);

  timer->arm_after(10ms);
  timer->cancel();
  EXPECT_FALSE(timer->deadline());
  loop.run_for(50ms);
  EXPECT_EQ(fired, 3);
}
