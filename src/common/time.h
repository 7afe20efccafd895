// Time is an argument (as in ngtcp2): engines receive `now`, they never read a clock.
#pragma once

#include <chrono>

namespace ikegate {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;
using std::chrono::milliseconds;
using std::chrono::seconds;

}  // namespace ikegate
