// Helpers shared by the crypto unit tests.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "common/bytes.h"
#include "common/random.h"
#include "common/secret.h"

namespace ikegate::crypto::test {

inline Bytes H(std::string_view hex) {
  auto b = from_hex(hex);
  EXPECT_TRUE(b.has_value()) << hex;
  return b.value_or(Bytes{});
}

inline Bytes repeat(std::uint8_t v, std::size_t n) { return Bytes(n, v); }

inline std::string hex(ByteView v) { return to_hex(v); }
inline std::string hex(const SecretBytes& v) { return to_hex(v.view()); }

// A Random that replays fixed octets (then zeros), to pin IVs to a published vector.
class ScriptedRandom final : public Random {
 public:
  explicit ScriptedRandom(Bytes script) : script_(std::move(script)) {}
  void fill(MutableByteView out) override {
    for (auto& b : out) b = at_ < script_.size() ? script_[at_++] : 0;
  }

 private:
  Bytes script_;
  std::size_t at_ = 0;
};

}  // namespace ikegate::crypto::test
