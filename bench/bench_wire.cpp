// The IKEv2 codec on a typical IKE_AUTH (the seed's responder message: VID, IDr, AUTH, SA, TSi,
// TSr, two notifies; 236 octets on the wire), without cryptography: the SK payload is "sealed"
// by a copy, so what is measured is framing, length checks, allocation and parsing. Also the
// ASA dump of the same message. Run: build/bench_wire
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>

#include "../tests/unit/wire/seed_messages.h"
#include "wire/ikev2_codec.h"
#include "wire/ikev2_dump.h"
#include "wire/ikev2_rules.h"

namespace {

using namespace ikegate;
using namespace ikegate::wire;

// SK protection that copies: no IV, no padding, no ICV.
class CopySk : public SkProtection {
 public:
  std::size_t sealed_size(std::size_t n) const override { return n; }
  bool seal(MutableByteView m, std::size_t aad, ByteView pt) override {
    if (!pt.empty()) std::memcpy(m.data() + aad, pt.data(), pt.size());
    return true;
  }
  std::optional<Bytes> open(ByteView m, std::size_t aad) override {
    return Bytes(m.begin() + static_cast<std::ptrdiff_t>(aad), m.end());
  }
};

void BM_EncodeIkeAuth(benchmark::State& state) {
  CopySk sk;
  const Message m = seed::ike_auth_response();
  for (auto _ : state) {
    auto bytes = encode(m, &sk);
    benchmark::DoNotOptimize(bytes->data());
  }
}
BENCHMARK(BM_EncodeIkeAuth);

void BM_DecodeIkeAuth(benchmark::State& state) {
  CopySk sk;
  const Bytes wire = *encode(seed::ike_auth_response(), &sk);
  for (auto _ : state) {
    auto outer = decode(wire);
    auto inner = decrypt(*outer, wire, sk);
    if (!inner || check_rules(*inner)) std::abort();
    benchmark::DoNotOptimize(inner->payloads.data());
  }
}
BENCHMARK(BM_DecodeIkeAuth);

// The figure: decode + encode of one IKE_AUTH (target under 2 us).
void BM_DecodeEncodeIkeAuth(benchmark::State& state) {
  CopySk sk;
  const Bytes wire = *encode(seed::ike_auth_response(), &sk);
  for (auto _ : state) {
    auto outer = decode(wire);
    auto inner = decrypt(*outer, wire, sk);
    auto again = encode(*inner, &sk);
    benchmark::DoNotOptimize(again->data());
  }
}
BENCHMARK(BM_DecodeEncodeIkeAuth);

void BM_DecodeIkeSaInit(benchmark::State& state) {
  const Bytes wire = *encode(seed::ike_sa_init_request(), nullptr);
  for (auto _ : state) {
    auto m = decode(wire);
    benchmark::DoNotOptimize(m->payloads.data());
  }
}
BENCHMARK(BM_DecodeIkeSaInit);

void BM_DumpAsaIkeAuth(benchmark::State& state) {
  CopySk sk;
  const Bytes wire = *encode(seed::ike_auth_response(), &sk);
  const Message inner = *decrypt(*decode(wire), wire, sk);
  for (auto _ : state) {
    auto lines = dump_asa(inner, Direction::Received);
    benchmark::DoNotOptimize(lines.data());
  }
}
BENCHMARK(BM_DumpAsaIkeAuth);

}  // namespace

BENCHMARK_MAIN();
