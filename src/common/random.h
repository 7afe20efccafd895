// Randomness is injected: production uses OpenSSL's DRBG, tests a seeded generator.
#pragma once

#include <cstdint>

#include "common/bytes.h"

namespace ikegate {

class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(MutableByteView out) = 0;
  std::uint32_t u32() {
    std::uint8_t b[4];
    fill(b);
    return load_be32(b);
  }
  std::uint64_t u64() {
    std::uint8_t b[8];
    fill(b);
    return load_be64(b);
  }
};

// OpenSSL RAND_bytes (the system's DRBG). Aborts only if the DRBG itself fails.
class SystemRandom final : public Random {
 public:
  void fill(MutableByteView out) override;
};

// Deterministic xorshift generator for tests and simulations. Not for keys.
class TestRandom final : public Random {
 public:
  explicit TestRandom(std::uint64_t seed) : state_(seed ? seed : 0x9e3779b97f4a7c15ull) {}
  void fill(MutableByteView out) override;

 private:
  std::uint64_t state_;
};

}  // namespace ikegate
