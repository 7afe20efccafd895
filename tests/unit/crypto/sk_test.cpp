// SK payload protection (RFC 7296 3.14, RFC 5282): round trips for every suite, the exact
// layout rebuilt from the raw primitives, and rejection of every kind of damaged input.
#include <gtest/gtest.h>

#include "crypto/cipher.h"
#include "crypto/integrity.h"
#include "crypto/sk.h"
#include "test_util.h"

namespace ikegate::crypto {
namespace {

using test::H;
using test::hex;

struct Suite {
  EncrId encr;
  std::uint16_t key_bits;
  IntegId integ;
};

std::vector<Suite> all_suites() {
  std::vector<Suite> out;
  for (std::uint16_t bits : {128, 192, 256})
    for (IntegId integ : {IntegId::HMAC_MD5_96, IntegId::HMAC_SHA1_96, IntegId::HMAC_SHA2_256_128,
                          IntegId::HMAC_SHA2_384_192, IntegId::HMAC_SHA2_512_256})
      out.push_back({EncrId::AES_CBC, bits, integ});
  out.push_back({EncrId::TRIPLE_DES, 0, IntegId::HMAC_SHA1_96});
  out.push_back({EncrId::TRIPLE_DES, 0, IntegId::HMAC_SHA2_256_128});
  if (encr_supported(EncrId::DES, 0)) out.push_back({EncrId::DES, 0, IntegId::HMAC_MD5_96});
  for (EncrId gcm : {EncrId::AES_GCM_8, EncrId::AES_GCM_12, EncrId::AES_GCM_16})
    for (std::uint16_t bits : {128, 192, 256}) out.push_back({gcm, bits, IntegId::NONE});
  return out;
}

SecretBytes key_of(std::size_t n, std::uint8_t seed) {
  SecretBytes k(n);
  for (std::size_t i = 0; i < n; ++i) k.data()[i] = static_cast<std::uint8_t>(seed + i * 3);
  return k;
}

struct Keys {
  SecretBytes encr, integ;
};
Keys keys_for(const Suite& s) {
  return {key_of(encr_key_size(s.encr, s.key_bits), 0x10), key_of(integ_key_size(s.integ), 0x80)};
}

std::string name(const Suite& s) {
  return "encr " + std::to_string(static_cast<int>(s.encr)) + "/" + std::to_string(s.key_bits) +
         " integ " + std::to_string(static_cast<int>(s.integ));
}

constexpr std::size_t kAad = 28 + 4;  // IKE header + SK payload header

// A message: a recognisable "header" followed by room for the sealed body.
Bytes message_for(SkProtection& sk, ByteView plaintext) {
  Bytes msg(kAad + sk.sealed_size(plaintext.size()));
  for (std::size_t i = 0; i < kAad; ++i) msg[i] = static_cast<std::uint8_t>(0xa0 + i);
  EXPECT_TRUE(sk.seal(msg, kAad, plaintext));
  return msg;
}

Bytes plaintext_of(std::size_t n) {
  Bytes p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return p;
}

TEST(Sk, RoundTripEverySuiteAndLength) {
  for (const Suite& s : all_suites()) {
    SCOPED_TRACE(name(s));
    const Keys k = keys_for(s);
    auto sealer = make_sk_protection(s.encr, s.key_bits, s.integ, k.encr, k.integ);
    auto opener = make_sk_protection(s.encr, s.key_bits, s.integ, k.encr, k.integ);
    ASSERT_TRUE(sealer && opener);
    for (std::size_t n = 0; n <= 70; ++n) {
      const Bytes pt = plaintext_of(n);
      const Bytes msg = message_for(*sealer, pt);
      const std::size_t block = encr_block_size(s.encr);
      // IV | ciphertext (a whole number of blocks) | ICV
      const std::size_t ct = sealer->sealed_size(n) - encr_iv_size(s.encr) -
                             (is_aead(s.encr) ? encr_icv_size(s.encr) : integ_icv_size(s.integ));
      EXPECT_EQ(ct % block, 0u);
      EXPECT_GE(ct, n + 1);
      EXPECT_LT(ct, n + 1 + block);
      auto back = opener->open(msg, kAad);
      ASSERT_TRUE(back.has_value()) << n;
      EXPECT_EQ(hex(*back), hex(pt));
    }
  }
}

TEST(Sk, EveryDamagedOctetIsRejected) {
  for (const Suite& s : all_suites()) {
    SCOPED_TRACE(name(s));
    const Keys k = keys_for(s);
    auto sk = make_sk_protection(s.encr, s.key_bits, s.integ, k.encr, k.integ);
    ASSERT_TRUE(sk);
    const Bytes msg = message_for(*sk, plaintext_of(37));
    // Header (AAD), IV, ciphertext and ICV are all covered.
    for (std::size_t i = 0; i < msg.size(); ++i) {
      Bytes bad = msg;
      bad[i] ^= 0x01;
      EXPECT_FALSE(sk->open(bad, kAad).has_value()) << i;
    }
    // A different split between AAD and body changes the authenticated data too.
    EXPECT_FALSE(sk->open(msg, kAad - 4).has_value());
    EXPECT_TRUE(sk->open(msg, kAad).has_value());
  }
}

TEST(Sk, TruncatedAndOversizedInputsAreRejected) {
  for (const Suite& s : all_suites()) {
    SCOPED_TRACE(name(s));
    const Keys k = keys_for(s);
    auto sk = make_sk_protection(s.encr, s.key_bits, s.integ, k.encr, k.integ);
    ASSERT_TRUE(sk);
    const Bytes msg = message_for(*sk, plaintext_of(20));
    for (std::size_t len = 0; len < msg.size(); ++len) {
      EXPECT_FALSE(sk->open(ByteView(msg).first(len), kAad).has_value()) << len;
      EXPECT_FALSE(sk->open(ByteView(msg).first(len), std::min(len, kAad)).has_value()) << len;
    }
    Bytes longer = msg;
    longer.push_back(0);
    EXPECT_FALSE(sk->open(longer, kAad).has_value());
    for (std::size_t aad : {msg.size(), msg.size() + 1, std::size_t{0} - 1}) {
      EXPECT_FALSE(sk->open(msg, aad).has_value());
    }
    // Sealing into a buffer that is too small, or with aad_len past its end, fails cleanly.
    Bytes small(kAad + sk->sealed_size(20) - 1);
    EXPECT_FALSE(sk->seal(small, kAad, plaintext_of(20)));
    Bytes room(kAad + sk->sealed_size(20));
    EXPECT_FALSE(sk->seal(room, room.size() + 1, plaintext_of(20)));
  }
}

TEST(Sk, CbcLayoutMatchesRfc7296) {
  // Rebuilt from CbcCipher and Integrity: IV | E(pt | zero padding | pad length) | ICV over
  // header .. ciphertext.
  const Suite s{EncrId::AES_CBC, 256, IntegId::HMAC_SHA2_256_128};
  const Keys k = keys_for(s);
  const Bytes iv = H("000102030405060708090a0b0c0d0e0f");
  test::ScriptedRandom rng(iv);
  auto sk = make_sk_protection(s.encr, s.key_bits, s.integ, k.encr, k.integ, rng);
  ASSERT_TRUE(sk);
  const Bytes pt = plaintext_of(21);
  const Bytes msg = message_for(*sk, pt);
  ASSERT_EQ(msg.size(), kAad + 16 + 32 + 16);

  Bytes padded = pt;
  padded.resize(31, 0);
  padded.push_back(10);  // 21 + 10 + 1 = 32
  auto cbc = CbcCipher::create(EncrId::AES_CBC, k.encr.view());
  ASSERT_TRUE(cbc.has_value());
  Bytes ct(32);
  ASSERT_TRUE(cbc->encrypt(iv, padded, ct));
  Bytes expected(msg.begin(), msg.begin() + kAad);
  put_bytes(expected, iv);
  put_bytes(expected, ct);
  put_bytes(expected, Integrity(s.integ).compute(k.integ.view(), expected));
  EXPECT_EQ(hex(msg), hex(expected));
}

TEST(Sk, GcmLayoutMatchesRfc5282) {
  // Key material = AES key | salt; nonce = salt | 8-octet IV; AAD = header; ICV appended.
  const Suite s{EncrId::AES_GCM_16, 128, IntegId::NONE};
  SecretBytes material(H("feffe9928665731c6d6a8f9467308308cafebabe"));
  const Bytes iv = H("facedbaddecaf888");
  test::ScriptedRandom rng(iv);
  auto sk = make_sk_protection(s.encr, s.key_bits, s.integ, material, SecretBytes{}, rng);
  ASSERT_TRUE(sk);
  const Bytes pt = plaintext_of(21);
  const Bytes msg = message_for(*sk, pt);
  ASSERT_EQ(msg.size(), kAad + 8 + 22 + 16);

  auto gcm = GcmCipher::create(H("feffe9928665731c6d6a8f9467308308"), 16);
  ASSERT_TRUE(gcm.has_value());
  Bytes in = pt;
  in.push_back(0);  // pad length 0
  Bytes ct(in.size()), tag(16);
  ASSERT_TRUE(gcm->seal(H("cafebabefacedbaddecaf888"), ByteView(msg).first(kAad), in, ct, tag));
  Bytes expected(msg.begin(), msg.begin() + kAad);
  put_bytes(expected, iv);
  put_bytes(expected, ct);
  put_bytes(expected, tag);
  EXPECT_EQ(hex(msg), hex(expected));
}

TEST(Sk, BadPadLengthIsRejectedEvenWithAValidIcv) {
  // CBC: a ciphertext whose last octet says 200 octets of padding, authenticated correctly.
  {
    const Suite s{EncrId::AES_CBC, 128, IntegId::HMAC_SHA1_96};
    const Keys k = keys_for(s);
    auto sk = make_sk_protection(s.encr, s.key_bits, s.integ, k.encr, k.integ);
    auto cbc = CbcCipher::create(EncrId::AES_CBC, k.encr.view());
    ASSERT_TRUE(sk && cbc.has_value());
    Bytes msg(kAad, 0x11);
    const Bytes iv(16, 0x22);
    Bytes block(32, 0x33);
    block.back() = 200;
    Bytes ct(32);
    ASSERT_TRUE(cbc->encrypt(iv, block, ct));
    put_bytes(msg, iv);
    put_bytes(msg, ct);
    put_bytes(msg, Integrity(s.integ).compute(k.integ.view(), msg));
    EXPECT_FALSE(sk->open(msg, kAad).has_value());
    // The same with pad length 31 (the maximum that fits) is accepted: an empty payload.
    block.back() = 31;
    msg.resize(kAad);
    ASSERT_TRUE(cbc->encrypt(iv, block, ct));
    put_bytes(msg, iv);
    put_bytes(msg, ct);
    put_bytes(msg, Integrity(s.integ).compute(k.integ.view(), msg));
    auto ok = sk->open(msg, kAad);
    ASSERT_TRUE(ok.has_value());
    EXPECT_TRUE(ok->empty());
  }
  // GCM: pad length larger than the plaintext.
  {
    SecretBytes material(H("000102030405060708090a0b0c0d0e0f10111213"));
    auto sk = make_sk_protection(EncrId::AES_GCM_16, 128, IntegId::NONE, material, SecretBytes{});
    auto gcm = GcmCipher::create(ByteView(material.view()).first(16), 16);
    ASSERT_TRUE(sk && gcm.has_value());
    Bytes msg(kAad, 0x44);
    const Bytes iv(8, 0x55);
    Bytes nonce = H("10111213");
    put_bytes(nonce, iv);
    const Bytes in = {1, 2, 3, 9};  // pad length 9 > 3
    Bytes ct(in.size()), tag(16);
    ASSERT_TRUE(gcm->seal(nonce, msg, in, ct, tag));
    put_bytes(msg, iv);
    put_bytes(msg, ct);
    put_bytes(msg, tag);
    EXPECT_FALSE(sk->open(msg, kAad).has_value());
  }
}

TEST(Sk, DeterministicWithInjectedRandom) {
  const Suite s{EncrId::AES_CBC, 128, IntegId::HMAC_SHA2_256_128};
  const Keys k = keys_for(s);
  TestRandom r1(42), r2(42);
  auto a = make_sk_protection(s.encr, s.key_bits, s.integ, k.encr, k.integ, r1);
  auto b = make_sk_protection(s.encr, s.key_bits, s.integ, k.encr, k.integ, r2);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(hex(message_for(*a, plaintext_of(50))), hex(message_for(*b, plaintext_of(50))));
  // Two seals draw two IVs.
  EXPECT_NE(hex(message_for(*a, plaintext_of(50))), hex(message_for(*a, plaintext_of(50))));
}

TEST(Sk, RejectsBadConfiguration) {
  const SecretBytes k16 = key_of(16, 1), k20 = key_of(20, 2), k32 = key_of(32, 3);
  EXPECT_FALSE(make_sk_protection(EncrId::AES_CBC, 128, IntegId::HMAC_SHA1_96, k20, k20));  // encr key
  EXPECT_FALSE(make_sk_protection(EncrId::AES_CBC, 128, IntegId::HMAC_SHA1_96, k16, k16));  // integ key
  EXPECT_FALSE(make_sk_protection(EncrId::AES_CBC, 128, IntegId::NONE, k16, SecretBytes{}));
  EXPECT_FALSE(make_sk_protection(EncrId::AES_GCM_16, 128, IntegId::HMAC_SHA1_96, k20, k20));
  EXPECT_FALSE(make_sk_protection(EncrId::AES_GCM_16, 128, IntegId::NONE, k16, SecretBytes{}));
  EXPECT_FALSE(make_sk_protection(EncrId::AES_CTR, 128, IntegId::HMAC_SHA1_96, k16, k20));
  EXPECT_FALSE(make_sk_protection(EncrId::AES_CBC, 100, IntegId::HMAC_SHA2_256_128, k16, k32));
  EXPECT_TRUE(make_sk_protection(EncrId::AES_CBC, 128, IntegId::HMAC_SHA2_256_128, k16, k32));
}

TEST(Sk, SingleDesRoundTripWhenLegacyProviderLoads) {
  if (!encr_supported(EncrId::DES, 0)) GTEST_SKIP() << "OpenSSL legacy provider (DES) not loadable here";
  const SecretBytes key = key_of(8, 9), integ = key_of(20, 10);
  auto sk = make_sk_protection(EncrId::DES, 0, IntegId::HMAC_SHA1_96, key, integ);
  ASSERT_TRUE(sk);
  const Bytes msg = message_for(*sk, plaintext_of(13));
  auto back = sk->open(msg, kAad);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(hex(*back), hex(plaintext_of(13)));
}

}  // namespace
}  // namespace ikegate::crypto
