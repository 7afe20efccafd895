#include "dataplane/esp.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstring>

namespace ikegate::dataplane {
namespace {

SecretBytes pattern_key(std::size_t n, std::uint8_t seed) {
  SecretBytes k(n);
  for (std::size_t i = 0; i < n; ++i) k.data()[i] = static_cast<std::uint8_t>(seed + i * 7);
  return k;
}

struct Suite {
  const char* name;
  EncrId encr;
  std::uint16_t key_bits;
  IntegId integ;
  std::size_t encr_key_len;
  std::size_t integ_key_len;
};

const Suite kSuites[] = {
    {"aes128gcm16", EncrId::AES_GCM_16, 128, IntegId::NONE, 20, 0},
    {"aes256gcm16", EncrId::AES_GCM_16, 256, IntegId::NONE, 36, 0},
    {"aes128gcm8", EncrId::AES_GCM_8, 128, IntegId::NONE, 20, 0},
    {"aes128gcm12", EncrId::AES_GCM_12, 128, IntegId::NONE, 20, 0},
    {"aes128_sha1", EncrId::AES_CBC, 128, IntegId::HMAC_SHA1_96, 16, 20},
    {"aes192_sha256", EncrId::AES_CBC, 192, IntegId::HMAC_SHA2_256_128, 24, 32},
    {"aes256_sha1", EncrId::AES_CBC, 256, IntegId::HMAC_SHA1_96, 32, 20},
    {"aes256_sha384", EncrId::AES_CBC, 256, IntegId::HMAC_SHA2_384_192, 32, 48},
    {"aes256_sha512", EncrId::AES_CBC, 256, IntegId::HMAC_SHA2_512_256, 32, 64},
    {"aes128_md5", EncrId::AES_CBC, 128, IntegId::HMAC_MD5_96, 16, 16},
    {"3des_sha1", EncrId::TRIPLE_DES, 192, IntegId::HMAC_SHA1_96, 24, 20},
    {"des_md5", EncrId::DES, 0, IntegId::HMAC_MD5_96, 8, 16},  // the PIX/IOS seed's esp-des esp-md5-hmac
};

SaParams params(const Suite& s, Direction d, bool esn = false, std::uint32_t window = 64) {
  SaParams p;
  p.spi = 0xc0ffee01;
  p.direction = d;
  p.reqid = 7;
  p.local = *IpAddress::parse(d == Direction::Outbound ? "10.0.0.1" : "10.0.0.2");
  p.remote = *IpAddress::parse(d == Direction::Outbound ? "10.0.0.2" : "10.0.0.1");
  p.encr = s.encr;
  p.key_bits = s.key_bits;
  p.integ = s.integ;
  p.encr_key = pattern_key(s.encr_key_len, 0x11);
  p.integ_key = pattern_key(s.integ_key_len, 0x55);
  p.esn = esn;
  p.replay_window = window;
  return p;
}

Bytes inner_packet(std::size_t len) {
  Bytes b(len);
  for (std::size_t i = 0; i < len; ++i) b[i] = static_cast<std::uint8_t>(i * 13 + 1);
  b[0] = 0x45;
  return b;
}

struct Pair {
  std::unique_ptr<EspSa> out, in;
};
Pair make_pair(const Suite& s, bool esn = false, std::uint32_t window = 64) {
  auto o = EspSa::create(params(s, Direction::Outbound, esn, window));
  auto i = EspSa::create(params(s, Direction::Inbound, esn, window));
  EXPECT_TRUE(o.has_value()) << (o ? "" : o.error().message);
  EXPECT_TRUE(i.has_value()) << (i ? "" : i.error().message);
  return {std::move(*o), std::move(*i)};
}

class EspSuiteTest : public ::testing::TestWithParam<Suite> {};

TEST_P(EspSuiteTest, RoundTripEverySize) {
  for (bool esn : {false, true}) {
    auto [out, in] = make_pair(GetParam(), esn);
    std::array<std::uint8_t, 2048> wire{}, plain{};
    for (std::size_t len : {1u, 20u, 40u, 63u, 64u, 65u, 100u, 1400u, 1500u}) {
      const Bytes pkt = inner_packet(len);
      auto n = out->encapsulate(pkt, kNextHeaderIpv4, wire);
      ASSERT_TRUE(n.has_value()) << to_string(n.error());
      EXPECT_EQ(*n, out->encapsulated_len(len));
      EXPECT_EQ(load_be32(wire.data()), 0xc0ffee01u);
      // RFC 4303 2.4: the ciphertext (payload through next header) is block aligned, and the
      // whole ESP packet is 4-octet aligned.
      EXPECT_EQ(*n % 4, 0u);
      auto d = in->decapsulate(ByteView(wire.data(), *n), plain);
      ASSERT_TRUE(d.has_value()) << to_string(d.error());
      EXPECT_EQ(d->inner_len, len);
      EXPECT_EQ(d->next_header, kNextHeaderIpv4);
      EXPECT_EQ(0, std::memcmp(plain.data(), pkt.data(), len));
    }
    EXPECT_EQ(out->counters().encaps_or_decaps, 9u);
    EXPECT_EQ(in->counters().encrypt_or_decrypt, 9u);
    EXPECT_EQ(in->counters().digest_or_verify, 9u);
    EXPECT_EQ(in->counters().auth_failures, 0u);
  }
}

TEST_P(EspSuiteTest, TamperedPacketsRejected) {
  auto [out, in] = make_pair(GetParam());
  std::array<std::uint8_t, 2048> wire{}, plain{};
  const Bytes pkt = inner_packet(200);
  auto n = out->encapsulate(pkt, kNextHeaderIpv4, wire);
  ASSERT_TRUE(n);
  const ByteView good(wire.data(), *n);
  // Each position: a sequence-number octet, an IV octet, a ciphertext octet, the last ICV octet.
  for (std::size_t pos : {std::size_t{5}, std::size_t{9}, *n / 2, *n - 1}) {
    Bytes bad(good.begin(), good.end());
    bad[pos] ^= 0x01;
    auto d = in->decapsulate(bad, plain);
    ASSERT_FALSE(d.has_value()) << "flipped octet " << pos;
    EXPECT_EQ(d.error(), EspStatus::AuthFailed) << "flipped octet " << pos;
  }
  EXPECT_EQ(in->counters().auth_failures, 4u);
  Bytes wrong_spi(good.begin(), good.end());
  wrong_spi[0] ^= 0x80;
  EXPECT_EQ(in->decapsulate(wrong_spi, plain).error(), EspStatus::WrongSpi);
  EXPECT_EQ(in->decapsulate(good.first(good.size() - 3), plain).error(), EspStatus::Truncated);
  // The genuine packet still passes: failed attempts did not move the replay window.
  EXPECT_TRUE(in->decapsulate(good, plain).has_value());
  EXPECT_EQ(in->decapsulate(good, plain).error(), EspStatus::ReplayCheckFailed);
  EXPECT_EQ(in->counters().replay_failures, 1u);
}

TEST_P(EspSuiteTest, WrongKeyIsAuthFailure) {
  auto out = EspSa::create(params(GetParam(), Direction::Outbound));
  SaParams ip = params(GetParam(), Direction::Inbound);
  if (ip.integ_key.empty())
    ip.encr_key.data()[0] ^= 1;
  else
    ip.integ_key.data()[0] ^= 1;
  auto in = EspSa::create(ip);
  ASSERT_TRUE(out && in);
  std::array<std::uint8_t, 2048> wire{}, plain{};
  const Bytes pkt = inner_packet(84);
  auto n = (*out)->encapsulate(pkt, kNextHeaderIpv4, wire);
  ASSERT_TRUE(n);
  EXPECT_EQ((*in)->decapsulate(ByteView(wire.data(), *n), plain).error(), EspStatus::AuthFailed);
  EXPECT_EQ((*in)->counters().auth_failures, 1u);
}

INSTANTIATE_TEST_SUITE_P(AllSuites, EspSuiteTest, ::testing::ValuesIn(kSuites),
                         [](const auto& info) { return std::string(info.param.name); });

// The AES-GCM packet layout checked field by field against an independent computation with
// OpenSSL's one-shot GCM: nonce = salt | IV, IV = 64-bit sequence number, AAD = SPI | Seq
// (RFC 4106 3.1, 4, 5), padding 1, 2, 3... to a 4-octet boundary (RFC 4303 2.4).
TEST(EspLayout, AesGcmMatchesIndependentComputation) {
  const Suite s = kSuites[0];
  SaParams p = params(s, Direction::Outbound);
  auto sa = EspSa::create(p);
  ASSERT_TRUE(sa);
  const Bytes pkt = inner_packet(61);  // 61 + 2 = 63 -> 1 octet of padding to reach 64
  std::array<std::uint8_t, 256> wire{};
  ASSERT_TRUE((*sa)->encapsulate(pkt, kNextHeaderIpv4, wire));  // seq 1
  auto n = (*sa)->encapsulate(pkt, kNextHeaderIpv4, wire);      // seq 2
  ASSERT_TRUE(n);
  ASSERT_EQ(*n, 8u + 8u + 64u + 16u);
  EXPECT_EQ(load_be32(wire.data()), p.spi);
  EXPECT_EQ(load_be32(wire.data() + 4), 2u);
  EXPECT_EQ(load_be64(wire.data() + 8), 2u);  // explicit IV = sequence counter

  Bytes plaintext = pkt;
  plaintext.push_back(1);  // padding
  plaintext.push_back(1);  // pad length
  plaintext.push_back(4);  // next header: IPv4
  std::uint8_t nonce[12];
  std::memcpy(nonce, p.encr_key.data() + 16, 4);
  store_be64(nonce + 4, 2);
  std::uint8_t aad[8];
  store_be32(aad, p.spi);
  store_be32(aad + 4, 2);
  Bytes ct(plaintext.size());
  std::uint8_t tag[16];
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  int len = 0;
  ASSERT_EQ(1, EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), nullptr, p.encr_key.data(), nonce));
  ASSERT_EQ(1, EVP_EncryptUpdate(c, nullptr, &len, aad, 8));
  ASSERT_EQ(1, EVP_EncryptUpdate(c, ct.data(), &len, plaintext.data(), static_cast<int>(plaintext.size())));
  ASSERT_EQ(1, EVP_EncryptFinal_ex(c, ct.data() + len, &len));
  ASSERT_EQ(1, EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag));
  EVP_CIPHER_CTX_free(c);
  EXPECT_EQ(to_hex(ct), to_hex(ByteView(wire.data() + 16, 64)));
  EXPECT_EQ(to_hex(ByteView(tag, 16)), to_hex(ByteView(wire.data() + 80, 16)));
}

// CBC + HMAC: ICV = HMAC over SPI | Seq | IV | ciphertext (| Seq-high with ESN), truncated
// (RFC 4303 2.2.1, 3.3.4; RFC 2404).
TEST(EspLayout, CbcIcvCoversHeaderIvCiphertextAndEsnHigh) {
  const Suite s = kSuites[4];  // AES-128-CBC / HMAC-SHA1-96
  for (bool esn : {false, true}) {
    SaParams p = params(s, Direction::Outbound, esn);
    auto sa = EspSa::create(p);
    ASSERT_TRUE(sa);
    (*sa)->set_next_seq_for_test(esn ? (std::uint64_t{3} << 32) | 9 : 9);
    const Bytes pkt = inner_packet(30);  // 30 + 2 -> 32: no padding
    std::array<std::uint8_t, 256> wire{};
    auto n = (*sa)->encapsulate(pkt, kNextHeaderIpv4, wire);
    ASSERT_TRUE(n);
    ASSERT_EQ(*n, 8u + 16u + 32u + 12u);
    EXPECT_EQ(load_be32(wire.data() + 4), 9u);
    Bytes authenticated(wire.begin(), wire.begin() + 56);
    if (esn) put_be32(authenticated, 3);
    std::uint8_t md[20];
    unsigned md_len = 0;
    HMAC(EVP_sha1(), p.integ_key.data(), 20, authenticated.data(), authenticated.size(), md, &md_len);
    EXPECT_EQ(to_hex(ByteView(md, 12)), to_hex(ByteView(wire.data() + 56, 12))) << "esn=" << esn;
    // Decrypt the body independently: inner | pad length 0 | next header 4.
    EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
    int len = 0;
    std::uint8_t plain[32];
    ASSERT_EQ(1, EVP_DecryptInit_ex(c, EVP_aes_128_cbc(), nullptr, p.encr_key.data(), wire.data() + 8));
    EVP_CIPHER_CTX_set_padding(c, 0);
    ASSERT_EQ(1, EVP_DecryptUpdate(c, plain, &len, wire.data() + 24, 32));
    EVP_CIPHER_CTX_free(c);
    EXPECT_EQ(0, std::memcmp(plain, pkt.data(), 30));
    EXPECT_EQ(plain[30], 0);
    EXPECT_EQ(plain[31], 4);
  }
}

TEST(EspLayout, CbcIvsDifferPerPacket) {
  auto sa = EspSa::create(params(kSuites[6], Direction::Outbound));
  ASSERT_TRUE(sa);
  std::array<std::uint8_t, 256> a{}, b{};
  const Bytes pkt = inner_packet(40);
  ASSERT_TRUE((*sa)->encapsulate(pkt, kNextHeaderIpv4, a));
  ASSERT_TRUE((*sa)->encapsulate(pkt, kNextHeaderIpv4, b));
  EXPECT_NE(to_hex(ByteView(a.data() + 8, 16)), to_hex(ByteView(b.data() + 8, 16)));
}

TEST(EspSa, RejectsBadParameters) {
  SaParams p = params(kSuites[0], Direction::Outbound);
  p.encr_key.resize(16);  // salt missing
  EXPECT_FALSE(EspSa::create(p));
  p = params(kSuites[4], Direction::Outbound);
  p.integ_key.resize(16);
  EXPECT_FALSE(EspSa::create(p));
  p = params(kSuites[0], Direction::Outbound);
  p.spi = 255;
  EXPECT_FALSE(EspSa::create(p));
  p = params(kSuites[0], Direction::Outbound);
  p.encr = EncrId::NULL_ENCR;
  EXPECT_FALSE(EspSa::create(p));
}

TEST(EspSa, BufferTooSmall) {
  auto [out, in] = make_pair(kSuites[0]);
  std::array<std::uint8_t, 64> small{};
  EXPECT_EQ(out->encapsulate(inner_packet(100), kNextHeaderIpv4, small).error(), EspStatus::BufferTooSmall);
}

TEST(EspSa, Ipv6NextHeader) {
  auto [out, in] = make_pair(kSuites[0]);
  std::array<std::uint8_t, 256> wire{}, plain{};
  Bytes pkt = inner_packet(60);
  pkt[0] = 0x60;
  auto n = out->encapsulate(pkt, kNextHeaderIpv6, wire);
  ASSERT_TRUE(n);
  auto d = in->decapsulate(ByteView(wire.data(), *n), plain);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->next_header, kNextHeaderIpv6);
}

TEST(EspSa, DummyNextHeaderDropped) {
  auto [out, in] = make_pair(kSuites[0]);
  std::array<std::uint8_t, 256> wire{}, plain{};
  auto n = out->encapsulate(inner_packet(20), 59, wire);
  ASSERT_TRUE(n);
  EXPECT_EQ(in->decapsulate(ByteView(wire.data(), *n), plain).error(), EspStatus::BadPadding);
  EXPECT_EQ(in->counters().recv_errors, 1u);
}

TEST(EspSa, SequenceExhaustionWithoutEsn) {
  auto [out, in] = make_pair(kSuites[0]);
  std::array<std::uint8_t, 256> wire{};
  out->set_next_seq_for_test(0xFFFFFFFFull);
  EXPECT_TRUE(out->encapsulate(inner_packet(20), kNextHeaderIpv4, wire));
  EXPECT_EQ(out->take_lifetime_event(), LifetimeEvent::Soft);  // rekey well before the end
  EXPECT_EQ(out->encapsulate(inner_packet(20), kNextHeaderIpv4, wire).error(),
            EspStatus::SequenceExhausted);
  EXPECT_EQ(out->take_lifetime_event(), LifetimeEvent::Hard);
  EXPECT_EQ(out->take_lifetime_event(), LifetimeEvent::None);
}

TEST(EspSa, EsnWrapAcrossLowHalf) {
  auto [out, in] = make_pair(kSuites[0], /*esn=*/true);
  std::array<std::uint8_t, 256> wire{}, plain{};
  // Bring both sides near the 2^32 boundary, then cross it.
  out->set_next_seq_for_test(0xFFFFFFF0ull);
  std::uint64_t last = 0;
  for (int i = 0; i < 40; ++i) {
    auto n = out->encapsulate(inner_packet(50), kNextHeaderIpv4, wire);
    ASSERT_TRUE(n);
    auto d = in->decapsulate(ByteView(wire.data(), *n), plain);
    ASSERT_TRUE(d) << i << ": " << to_string(d.error());
    EXPECT_EQ(d->seq, 0xFFFFFFF0ull + i);
    last = d->seq;
  }
  EXPECT_GT(last, 0xFFFFFFFFull);
  // Without ESN the same inbound packet would not authenticate: the high half is in the ICV.
  out->set_next_seq_for_test(last + 1);
  auto n = out->encapsulate(inner_packet(50), kNextHeaderIpv4, wire);
  ASSERT_TRUE(n);
  SaParams p = params(kSuites[0], Direction::Inbound, /*esn=*/false);
  auto plain_in = EspSa::create(p);
  ASSERT_TRUE(plain_in);
  EXPECT_EQ((*plain_in)->decapsulate(ByteView(wire.data(), *n), plain).error(), EspStatus::AuthFailed);
}

TEST(EspSa, Lifetimes) {
  SaParams op = params(kSuites[0], Direction::Outbound);
  op.soft_packets = 3;
  op.hard_packets = 5;
  auto out = EspSa::create(op);
  ASSERT_TRUE(out);
  std::array<std::uint8_t, 256> wire{};
  std::vector<LifetimeEvent> seen;
  for (int i = 0; i < 6; ++i) {
    auto r = (*out)->encapsulate(inner_packet(20), kNextHeaderIpv4, wire);
    if (i < 5) {
      EXPECT_TRUE(r);
    } else {
      EXPECT_EQ(r.error(), EspStatus::Expired);
    }
    seen.push_back((*out)->take_lifetime_event());
  }
  using L = LifetimeEvent;
  EXPECT_EQ(seen, (std::vector<L>{L::None, L::None, L::Soft, L::None, L::Hard, L::None}));

  SaParams ip = params(kSuites[0], Direction::Inbound);
  ip.soft_bytes = 100;
  ip.hard_bytes = 1000;
  auto in = EspSa::create(ip);
  auto o2 = EspSa::create(params(kSuites[0], Direction::Outbound));
  ASSERT_TRUE(in && o2);
  std::array<std::uint8_t, 512> plain{};
  auto n = (*o2)->encapsulate(inner_packet(150), kNextHeaderIpv4, wire);
  ASSERT_TRUE((*in)->decapsulate(ByteView(wire.data(), *n), plain));
  EXPECT_EQ((*in)->take_lifetime_event(), L::Soft);
  EXPECT_EQ((*in)->counters().bytes, 150u);
}

// ---------------------------------------------------------------------------------------------
// Replay window

TEST(ReplayWindow, DuplicateOldAndOutOfOrder) {
  ReplayWindow w(64, false);
  EXPECT_FALSE(w.check(0));
  for (std::uint32_t s : {1u, 2u, 3u, 5u}) {
    ASSERT_TRUE(w.check(s));
    w.update(s);
  }
  EXPECT_FALSE(w.check(3));  // duplicate
  EXPECT_TRUE(w.check(4));   // out of order, inside the window
  w.update(4);
  EXPECT_FALSE(w.check(4));
  w.update(100);  // the window advances: [37, 100]
  EXPECT_FALSE(w.check(36));  // too old
  EXPECT_TRUE(w.check(37));
  EXPECT_TRUE(w.check(99));
  EXPECT_FALSE(w.check(100));
  EXPECT_TRUE(w.check(101));
  EXPECT_EQ(w.top(), 100u);
}

TEST(ReplayWindow, BitsClearedWhenWindowAdvances) {
  ReplayWindow w(64, false);
  for (std::uint32_t s = 1; s <= 64; ++s) w.update(s);
  // Jump by less than the bitmap size; positions reused by the ring must read as unseen.
  w.update(130);
  for (std::uint32_t s = 67; s < 130; ++s) EXPECT_TRUE(w.check(s)) << s;
  w.update(100000);
  for (std::uint32_t s = 100000 - 63; s < 100000; ++s) ASSERT_TRUE(w.check(s)) << s;
  EXPECT_FALSE(w.check(100000 - 64));
}

TEST(ReplayWindow, LargeWindowSizes) {
  for (std::uint32_t size : {32u, 128u, 1000u, 4096u}) {
    ReplayWindow w(size, false);
    w.update(10000);
    EXPECT_TRUE(w.check(10000 - size + 1)) << size;
    EXPECT_FALSE(w.check(10000 - size)) << size;
  }
}

TEST(ReplayWindow, DisabledAcceptsEverythingButZero) {
  ReplayWindow w(0, false);
  w.update(5);
  EXPECT_TRUE(w.check(5));
  EXPECT_TRUE(w.check(1));
  EXPECT_FALSE(w.check(0));
}

TEST(ReplayWindow, EsnInference) {
  ReplayWindow w(64, true);
  w.update(0xFFFFFFF0ull);
  // A low value after the top: the sender wrapped, the high half is 1.
  EXPECT_EQ(*w.check(0x00000005u), 0x100000005ull);
  EXPECT_EQ(*w.check(0xFFFFFFF1u), 0xFFFFFFF1ull);
  w.update(0x100000005ull);
  // The window now straddles the wrap: values just below 2^32 belong to the previous epoch.
  EXPECT_EQ(*w.check(0xFFFFFFF9u), 0xFFFFFFF9ull);
  EXPECT_FALSE(w.check(0xFFFFFFF0u));  // duplicate (seen before the wrap)
  // Below the window's bottom in the low half: RFC 4303 A2.2 reads it as the next epoch (the
  // ICV check, which covers the high half, then rejects a stale packet).
  EXPECT_EQ(*w.check(0xFFFFFFC0u), 0x1FFFFFFC0ull);
  EXPECT_EQ(*w.check(0x00000006u), 0x100000006ull);
}

}  // namespace
}  // namespace ikegate::dataplane
