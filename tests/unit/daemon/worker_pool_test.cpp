#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "daemon/worker_pool.h"

using namespace ikegate;
using namespace ikegate::daemon;
using namespace std::chrono_literals;

TEST(WorkerPool, WorkOffLoopCompletionOnLoop) {
  EventLoop loop;
  WorkerPool pool(loop, 2);
  const auto loop_thread = std::this_thread::get_id();
  std::vector<std::thread::id> work_threads(8), done_threads(8);
  std::vector<int> results(8, 0);
  int done = 0;
  for (int i = 0; i < 8; ++i) {
    auto value = std::make_shared<int>(0);
    ASSERT_TRUE(pool.submit(
        [&, i, value] {
          work_threads[i] = std::this_thread::get_id();
          *value = i * i;  // stands in for a Diffie-Hellman computation
        },
        [&, i, value] {
          done_threads[i] = std::this_thread::get_id();
          results[i] = *value;
          if (++done == 8) loop.stop();
        }));
  }
  ASSERT_TRUE(loop.run_for(5s));
  for (int i = 0; i < 8; ++i) {
    EXPECT_NE(work_threads[i], loop_thread);
    EXPECT_EQ(done_threads[i], loop_thread);
    EXPECT_EQ(results[i], i * i);
  }
  EXPECT_EQ(pool.stats().completed, 8u);
}

TEST(WorkerPool, OneThreadCompletesInSubmissionOrder) {
  EventLoop loop;
  WorkerPool pool(loop, 1);
  std::vector<int> order;
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(pool.submit([] {}, [&, i] {
      order.push_back(i);
      if (order.size() == 50) loop.stop();
    }));
  ASSERT_TRUE(loop.run_for(5s));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
}

TEST(WorkerPool, FullQueueRejectsInsteadOfBlocking) {
  EventLoop loop;
  std::promise<void> release;
  auto gate = release.get_future().share();
  WorkerPool pool(loop, 1, 2);
  std::atomic<bool> started{false};
  ASSERT_TRUE(pool.submit(
      [&, gate] {
        started = true;
        gate.wait_for(5s);
      },
      {}));
  for (int i = 0; i < 200 && !started; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(started);
  EXPECT_TRUE(pool.submit([] {}, {}));
  EXPECT_TRUE(pool.submit([] {}, {}));
  EXPECT_FALSE(pool.submit([] {}, {}));  // two queued behind the running one: full
  EXPECT_EQ(pool.stats().rejected, 1u);
  release.set_value();
}

TEST(WorkerPool, ShutdownWithPendingWorkDiscardsItAndNoCompletionRunsAfter) {
  EventLoop loop;
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<int> ran{0};
  int completions = 0;
  std::atomic<bool> started{false};
  {
    WorkerPool pool(loop, 1);
    ASSERT_TRUE(pool.submit(
        [&, gate] {
          started = true;
          gate.wait_for(5s);
          ++ran;
        },
        [&] { ++completions; }));
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(pool.submit([&] { ++ran; }, [&] { ++completions; }));
    for (int i = 0; i < 200 && !started; ++i) std::this_thread::sleep_for(5ms);
    ASSERT_TRUE(started);
    std::thread releaser([&] {
      std::this_thread::sleep_for(20ms);
      release.set_value();
    });
    const auto start = Clock::now();
    pool.shutdown();  // joins: waits for the running job only
    releaser.join();
    EXPECT_LT(Clock::now() - start, 2s);
    EXPECT_EQ(ran.load(), 1);
    EXPECT_FALSE(pool.submit([] {}, {}));
  }
  // The running job's completion was posted, but its pool is gone: it must not run.
  loop.run_for(30ms);
  EXPECT_EQ(completions, 0);
}

TEST(WorkerPool, DestructorJoinsIdleThreads) {
  EventLoop loop;
  const auto start = Clock::now();
  { WorkerPool pool(loop, 4); }
  EXPECT_LT(Clock::now() - start, 2s);
}
