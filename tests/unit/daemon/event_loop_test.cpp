#include <gtest/gtest.h>

#include <thread>

#include "daemon/event_loop.h"

using namespace ikegate;
using namespace ikegate::daemon;
using namespace std::chrono_literals;

TEST(EventLoop, PostFromAnotherThreadRunsOnLoopThread) {
  EventLoop loop;
  std::thread::id ran_on;
  std::thread t([&] { loop.post([&] { ran_on = std::this_thread::get_id(); loop.stop(); }); });
  EXPECT_TRUE(loop.run_for(5s));
  t.join();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}
