// ESP core throughput: encapsulate/decapsulate of 1400-octet inner packets per cipher suite,
// next to raw OpenSSL AES-GCM on the same size (the ceiling for the AEAD suites).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <array>

#include "dataplane/esp.h"

using namespace ikegate;
using namespace ikegate::dataplane;

namespace {

constexpr std::size_t kInner = 1400;

struct Suite {
  EncrId encr;
  std::uint16_t bits;
  IntegId integ;
  std::size_t ekey, ikey;
};

constexpr Suite kSuites[] = {
    {EncrId::AES_GCM_16, 128, IntegId::NONE, 20, 0},
    {EncrId::AES_GCM_16, 256, IntegId::NONE, 36, 0},
    {EncrId::AES_CBC, 128, IntegId::HMAC_SHA1_96, 16, 20},
    {EncrId::AES_CBC, 256, IntegId::HMAC_SHA1_96, 32, 20},
    {EncrId::AES_CBC, 256, IntegId::HMAC_SHA2_256_128, 32, 32},
    {EncrId::TRIPLE_DES, 192, IntegId::HMAC_SHA1_96, 24, 20},
};

SaParams params(const Suite& s, Direction d) {
  SaParams p;
  p.spi = 0x12345678;
  p.direction = d;
  p.encr = s.encr;
  p.key_bits = s.bits;
  p.integ = s.integ;
  p.encr_key = SecretBytes(s.ekey);
  p.integ_key = SecretBytes(s.ikey);
  for (std::size_t i = 0; i < s.ekey; ++i) p.encr_key.data()[i] = static_cast<std::uint8_t>(i);
  for (std::size_t i = 0; i < s.ikey; ++i) p.integ_key.data()[i] = static_cast<std::uint8_t>(i * 3);
  p.replay_window = 0;  // the decrypt benchmark replays one packet
  return p;
}

void rates(benchmark::State& state) {
  const double bytes = static_cast<double>(state.iterations()) * kInner;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["Gbit/s"] = benchmark::Counter(bytes * 8 / 1e9, benchmark::Counter::kIsRate);
}

void BM_EspEncrypt(benchmark::State& state) {
  auto sa = EspSa::create(params(kSuites[state.range(0)], Direction::Outbound));
  if (!sa) {
    state.SkipWithError(sa.error().message.c_str());
    return;
  }
  std::array<std::uint8_t, kInner> inner{};
  inner[0] = 0x45;
  std::array<std::uint8_t, 2048> out{};
  for (auto _ : state) {
    auto n = (*sa)->encapsulate(inner, kNextHeaderIpv4, out);
    benchmark::DoNotOptimize(n);
  }
  rates(state);
}

void BM_EspDecrypt(benchmark::State& state) {
  auto out_sa = EspSa::create(params(kSuites[state.range(0)], Direction::Outbound));
  auto in_sa = EspSa::create(params(kSuites[state.range(0)], Direction::Inbound));
  if (!out_sa || !in_sa) {
    state.SkipWithError("cannot create SA");
    return;
  }
  std::array<std::uint8_t, kInner> inner{};
  inner[0] = 0x45;
  std::array<std::uint8_t, 2048> wire{}, plain{};
  const std::size_t n = *(*out_sa)->encapsulate(inner, kNextHeaderIpv4, wire);
  for (auto _ : state) {
    auto d = (*in_sa)->decapsulate(std::span<const std::uint8_t>(wire.data(), n), plain);
    benchmark::DoNotOptimize(d);
  }
  rates(state);
}

void BM_RawEvpAesGcm128(benchmark::State& state) {
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  std::array<std::uint8_t, 16> key{};
  std::array<std::uint8_t, 12> nonce{};
  EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), nullptr, key.data(), nullptr);
  std::array<std::uint8_t, kInner> buf{};
  std::array<std::uint8_t, 16> tag{};
  std::uint64_t ctr = 0;
  int len = 0;
  for (auto _ : state) {
    store_be64(nonce.data() + 4, ++ctr);
    EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, nonce.data());
    EVP_EncryptUpdate(c, nullptr, &len, nonce.data(), 8);
    EVP_EncryptUpdate(c, buf.data(), &len, buf.data(), static_cast<int>(buf.size()));
    EVP_EncryptFinal_ex(c, buf.data() + len, &len);
    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag.data());
    benchmark::DoNotOptimize(tag);
  }
  EVP_CIPHER_CTX_free(c);
  rates(state);
}

void names(benchmark::internal::Benchmark* b) {
  b->ArgName("suite");
  for (int i = 0; i < static_cast<int>(std::size(kSuites)); ++i) b->Arg(i);
}

}  // namespace

// suite: 0 aes-gcm-128, 1 aes-gcm-256, 2 aes-cbc-128/sha1, 3 aes-cbc-256/sha1,
//        4 aes-cbc-256/sha256, 5 3des/sha1
BENCHMARK(BM_EspEncrypt)->Apply(names);
BENCHMARK(BM_EspDecrypt)->Apply(names);
BENCHMARK(BM_RawEvpAesGcm128);
BENCHMARK_MAIN();
