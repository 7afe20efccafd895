// Crypto primitives as the IKE engine uses them: DH key generation + shared secret, the IKE SA
// key schedule (prf+), SK payload protection of a typical IKE_AUTH, and raw AES-GCM on
// ESP-sized packets. Run: build/bench_crypto
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "crypto/cipher.h"
#include "crypto/dh.h"
#include "crypto/keys.h"
#include "crypto/sk.h"

namespace {

using namespace ikegate;
using namespace ikegate::crypto;

// One side's work in a key exchange: a fresh key pair and g^ir from the peer's value.
void BM_DhKeygenAndSharedSecret(benchmark::State& state) {
  const auto group = static_cast<DhGroup>(state.range(0));
  auto peer = KeyExchange::create(group);
  if (!peer) std::abort();
  const Bytes peer_public((*peer)->public_value().begin(), (*peer)->public_value().end());
  for (auto _ : state) {
    auto mine = KeyExchange::create(group);
    auto secret = (*mine)->shared_secret(peer_public);
    benchmark::DoNotOptimize(secret->data());
  }
}
BENCHMARK(BM_DhKeygenAndSharedSecret)
    ->Arg(static_cast<int>(DhGroup::MODP_1024))
    ->Arg(static_cast<int>(DhGroup::MODP_2048))
    ->Arg(static_cast<int>(DhGroup::ECP_256))
    ->Arg(static_cast<int>(DhGroup::CURVE25519))
    ->Unit(benchmark::kMicrosecond);

// SKEYSEED and the seven SK_* keys for AES-CBC-256 / HMAC-SHA2-256-128 / PRF-HMAC-SHA2-256
// with 32-octet nonces and a MODP-2048 g^ir.
void BM_IkeSaKeySchedule(benchmark::State& state) {
  const CipherSuite suite{EncrId::AES_CBC, 256, IntegId::HMAC_SHA2_256_128, PrfId::HMAC_SHA2_256,
                          DhGroup::MODP_2048};
  const Bytes ni(32, 0x11), nr(32, 0x22);
  const SecretBytes g_ir(Bytes(256, 0x33));
  for (auto _ : state) {
    auto keys = derive_ike_sa_keys(suite, ni, nr, g_ir, 0x0102030405060708ull, 0x1112131415161718ull);
    benchmark::DoNotOptimize(keys->sk_d.data());
  }
}
BENCHMARK(BM_IkeSaKeySchedule)->Unit(benchmark::kMicrosecond);

constexpr std::size_t kAad = 28 + 4;  // IKE header + SK payload header
constexpr std::size_t kIkeAuthPlaintext = 300;

std::unique_ptr<SkProtection> sk_for(EncrId encr, IntegId integ) {
  const SecretBytes ek(Bytes(encr_key_size(encr, encr == EncrId::AES_CBC ? 256 : 128), 0x44));
  const SecretBytes ak(Bytes(integ == IntegId::NONE ? 0 : 32, 0x55));
  auto sk = make_sk_protection(encr, encr == EncrId::AES_CBC ? 256 : 128, integ, ek, ak);
  if (!sk) std::abort();
  return sk;
}

void BM_SkSeal(benchmark::State& state, EncrId encr, IntegId integ) {
  auto sk = sk_for(encr, integ);
  const Bytes plaintext(kIkeAuthPlaintext, 0x66);
  Bytes message(kAad + sk->sealed_size(plaintext.size()), 0x77);
  for (auto _ : state) {
    if (!sk->seal(message, kAad, plaintext)) std::abort();
    benchmark::DoNotOptimize(message.data());
  }
}

void BM_SkOpen(benchmark::State& state, EncrId encr, IntegId integ) {
  auto sk = sk_for(encr, integ);
  const Bytes plaintext(kIkeAuthPlaintext, 0x66);
  Bytes message(kAad + sk->sealed_size(plaintext.size()), 0x77);
  if (!sk->seal(message, kAad, plaintext)) std::abort();
  for (auto _ : state) {
    auto out = sk->open(message, kAad);
    benchmark::DoNotOptimize(out->data());
  }
}
BENCHMARK_CAPTURE(BM_SkSeal, aes_cbc_256_sha256, EncrId::AES_CBC, IntegId::HMAC_SHA2_256_128);
BENCHMARK_CAPTURE(BM_SkOpen, aes_cbc_256_sha256, EncrId::AES_CBC, IntegId::HMAC_SHA2_256_128);
BENCHMARK_CAPTURE(BM_SkSeal, aes_gcm_16_128, EncrId::AES_GCM_16, IntegId::NONE);
BENCHMARK_CAPTURE(BM_SkOpen, aes_gcm_16_128, EncrId::AES_GCM_16, IntegId::NONE);

// Raw AES-GCM-128 (16-octet ICV) on 1400-octet packets with an 8-octet AAD (ESP header).
void BM_AesGcm128Seal1400(benchmark::State& state) {
  auto gcm = GcmCipher::create(Bytes(16, 0x88), 16);
  if (!gcm) std::abort();
  Bytes nonce(12, 0x99), aad(8, 0xaa), packet(1400, 0xbb), icv(16);
  for (auto _ : state) {
    if (!gcm->seal(nonce, aad, packet, packet, icv)) std::abort();
    benchmark::DoNotOptimize(packet.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 1400);
}
BENCHMARK(BM_AesGcm128Seal1400);

}  // namespace

BENCHMARK_MAIN();
