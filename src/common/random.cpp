#include "common/random.h"

#include <openssl/rand.h>

#include <cstdlib>

namespace ikegate {

void SystemRandom::fill(MutableByteView out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();
}

void TestRandom::fill(MutableByteView out) {
  for (auto& b : out) {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    b = static_cast<std::uint8_t>(state_ >> 24);
  }
}

}  // namespace ikegate
