// Crypto primitives as the IKE engine uses them: DH key generation + shared secret, the IKE SA
// key schedule (prf+), SK payload protection of a typical IKE_AUTH, and raw AES-GCM on
// ESP-sized packets. Run: build/bench_crypto
#include <benchmark/benchmark.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

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

// A MODP-2048 key pair the way strongSwan 5.9's openssl plugin makes one (p and g, no private
// length): OpenSSL 3 recognises the RFC 3526 prime as its group modp_2048.
EVP_PKEY* modp2048_key() {
  BIGNUM* p = BN_get_rfc3526_prime_2048(nullptr);
  BIGNUM* g = BN_new();
  BN_set_word(g, 2);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr);
  EVP_PKEY *domain = nullptr, *key = nullptr;
  if (EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &domain, EVP_PKEY_KEY_PARAMETERS, params) != 1)
    std::abort();
  EVP_PKEY_CTX* kctx = EVP_PKEY_CTX_new(domain, nullptr);
  if (EVP_PKEY_keygen_init(kctx) != 1 || EVP_PKEY_keygen(kctx, &key) != 1) std::abort();
  EVP_PKEY_CTX_free(kctx);
  EVP_PKEY_free(domain);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(g);
  BN_free(p);
  return key;
}

// g^ir with MODP-2048 straight from OpenSSL, with (1) or without (0) OpenSSL's full check of the
// peer's value (y^q mod p = 1), the check EVP_PKEY_derive_set_peer does by default and
// strongSwan therefore pays; ikegate checks 1 < y < p-1 only (RFC 6989 2.2). The counter
// private_bits is the length of the private exponent OpenSSL drew.
void BM_Modp2048Derive(benchmark::State& state) {
  const int validate = static_cast<int>(state.range(0));
  EVP_PKEY* mine = modp2048_key();
  EVP_PKEY* peer = modp2048_key();
  for (auto _ : state) {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(mine, nullptr);
    unsigned char out[256];
    std::size_t len = sizeof out;
    if (EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer_ex(ctx, peer, validate) != 1 ||
        EVP_PKEY_derive(ctx, out, &len) != 1)
      std::abort();
    benchmark::DoNotOptimize(out);
    EVP_PKEY_CTX_free(ctx);
  }
  BIGNUM* priv = nullptr;
  EVP_PKEY_get_bn_param(mine, OSSL_PKEY_PARAM_PRIV_KEY, &priv);
  state.counters["private_bits"] = priv ? BN_num_bits(priv) : 0;
  BN_clear_free(priv);
  EVP_PKEY_free(peer);
  EVP_PKEY_free(mine);
}
BENCHMARK(BM_Modp2048Derive)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

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
