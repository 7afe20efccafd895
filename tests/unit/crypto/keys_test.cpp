// The IKEv2 key schedule (RFC 7296 2.14, 2.17, 2.18) and AUTH (2.15). Each result is checked
// twice: rebuilt here from the bare Prf, and against values computed when the test was
// written by an independent script (Python's hmac module implementing RFC 7296 2.13/2.14
// from the RFC text) or by the `openssl mac` command.
#include <gtest/gtest.h>

#include "crypto/cipher.h"
#include "crypto/integrity.h"
#include "crypto/keys.h"
#include "crypto/prf.h"
#include "test_util.h"

namespace ikegate::crypto {
namespace {

using test::H;
using test::hex;

Bytes range_bytes(std::uint8_t first, std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(first + i);
  return b;
}

// Inputs of the recorded vectors.
const Bytes kNi = range_bytes(0x01, 32);
const Bytes kNr = range_bytes(0x40, 32);
SecretBytes g_ir() {
  SecretBytes s(256);
  for (std::size_t i = 0; i < 256; ++i) s.data()[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return s;
}
constexpr std::uint64_t kSpiI = 0x0123456789abcdefull;
constexpr std::uint64_t kSpiR = 0xfedcba9876543210ull;

TEST(IkeSaKeys, AesCbc256Sha256Vector) {
  const CipherSuite suite{EncrId::AES_CBC, 256, IntegId::HMAC_SHA2_256_128, PrfId::HMAC_SHA2_256,
                          DhGroup::MODP_2048};
  auto k = derive_ike_sa_keys(suite, kNi, kNr, g_ir(), kSpiI, kSpiR);
  ASSERT_TRUE(k.has_value()) << k.error().message;
  EXPECT_EQ(hex(k->sk_d), "3b24dcfa9b145fe4c9ecd82cd754b668e2f8bf756c12ed5be2682aa4fd8b04a5");
  EXPECT_EQ(hex(k->sk_ai), "b63164e743b5baf3438a43a940c5fb269c179c9ab568383fb32526ab92487101");
  EXPECT_EQ(hex(k->sk_ar), "6596d6cfec32b54a0231f540a787f4cdea5f34e43e9bafcdf55b54647500caec");
  EXPECT_EQ(hex(k->sk_ei), "cd0c974f2e88b6d7117f5de63493e37b4260cca4eefbf1f2a3e099de7790b5a5");
  EXPECT_EQ(hex(k->sk_er), "c9084191455020ae7c79e6568235657e70164c82eca9093a9627fe7c13d1c974");
  EXPECT_EQ(hex(k->sk_pi), "0518562642652023dc89aba88c9a51811b41a41058ac925d2dc708f9bfd0c6b5");
  EXPECT_EQ(hex(k->sk_pr), "100e4df73ebf10ad085e35678dbef9e8379c1c0459995b79682b44d2f0982cf2");
}

TEST(IkeSaKeys, AesGcm128Sha1Vector) {
  const CipherSuite suite{EncrId::AES_GCM_16, 128, IntegId::NONE, PrfId::HMAC_SHA1, DhGroup::ECP_256};
  auto k = derive_ike_sa_keys(suite, kNi, kNr, g_ir(), kSpiI, kSpiR);
  ASSERT_TRUE(k.has_value()) << k.error().message;
  EXPECT_EQ(hex(k->sk_d), "31e5fd5b488c177212dcaefd4f4a0e4300d347dd");
  EXPECT_TRUE(k->sk_ai.empty());
  EXPECT_TRUE(k->sk_ar.empty());
  // AES key (16) + salt (4), RFC 5282 7.1.
  EXPECT_EQ(hex(k->sk_ei), "3c1bab4bb27654508dea48db1155dfba35aa7de9");
  EXPECT_EQ(hex(k->sk_er), "f795e862977c44eb7391479d6b387cbf3dd5e954");
  EXPECT_EQ(hex(k->sk_pi), "721f87be8de455b0a2ac51236bc0b2ca5dfccf9c");
  EXPECT_EQ(hex(k->sk_pr), "676b1879f9a5bc74ea14d4efec549a81d6b57501");
}

TEST(IkeSaKeys, RebuiltFromThePrfForEverySuite) {
  for (PrfId prf_id : {PrfId::HMAC_MD5, PrfId::HMAC_SHA1, PrfId::HMAC_SHA2_256, PrfId::HMAC_SHA2_384,
                       PrfId::HMAC_SHA2_512}) {
    for (const auto& [encr, bits, integ] :
         {std::tuple{EncrId::AES_CBC, std::uint16_t{128}, IntegId::HMAC_SHA1_96},
          std::tuple{EncrId::AES_CBC, std::uint16_t{256}, IntegId::HMAC_SHA2_512_256},
          std::tuple{EncrId::TRIPLE_DES, std::uint16_t{0}, IntegId::HMAC_MD5_96},
          std::tuple{EncrId::AES_GCM_16, std::uint16_t{256}, IntegId::NONE}}) {
      const CipherSuite suite{encr, bits, integ, prf_id, DhGroup::MODP_2048};
      auto k = derive_ike_sa_keys(suite, kNi, kNr, g_ir(), kSpiI, kSpiR);
      ASSERT_TRUE(k.has_value()) << k.error().message;
      const Prf prf(prf_id);
      Bytes nonces = kNi;
      put_bytes(nonces, kNr);
      const SecretBytes skeyseed = prf(nonces, g_ir().view());
      Bytes seed = nonces;
      put_be64(seed, kSpiI);
      put_be64(seed, kSpiR);
      const std::size_t e = encr_key_size(encr, bits);
      const std::size_t a = is_aead(encr) ? 0 : Integrity(integ).key_size();
      const std::size_t p = prf.size();
      const SecretBytes stream = prf.plus(skeyseed.view(), seed, 3 * p + 2 * a + 2 * e);
      std::size_t at = 0;
      auto next = [&](std::size_t n) {
        auto s = hex(stream.view().subspan(at, n));
        at += n;
        return s;
      };
      EXPECT_EQ(hex(k->sk_d), next(p));
      EXPECT_EQ(hex(k->sk_ai), next(a));
      EXPECT_EQ(hex(k->sk_ar), next(a));
      EXPECT_EQ(hex(k->sk_ei), next(e));
      EXPECT_EQ(hex(k->sk_er), next(e));
      EXPECT_EQ(hex(k->sk_pi), next(p));
      EXPECT_EQ(hex(k->sk_pr), next(p));
      auto sizes = ike_sa_key_sizes(suite);
      ASSERT_TRUE(sizes.has_value());
      EXPECT_EQ(sizes->total(), 3 * p + 2 * a + 2 * e);
    }
  }
}

TEST(IkeSaKeys, RejectsInconsistentSuites) {
  const CipherSuite gcm_with_integ{EncrId::AES_GCM_16, 128, IntegId::HMAC_SHA1_96, PrfId::HMAC_SHA1,
                                   DhGroup::NONE};
  EXPECT_FALSE(derive_ike_sa_keys(gcm_with_integ, kNi, kNr, g_ir(), 1, 2).has_value());
  const CipherSuite cbc_without_integ{EncrId::AES_CBC, 128, IntegId::NONE, PrfId::HMAC_SHA1,
                                      DhGroup::NONE};
  EXPECT_FALSE(derive_ike_sa_keys(cbc_without_integ, kNi, kNr, g_ir(), 1, 2).has_value());
  const CipherSuite bad_bits{EncrId::AES_CBC, 64, IntegId::HMAC_SHA1_96, PrfId::HMAC_SHA1, DhGroup::NONE};
  EXPECT_FALSE(derive_ike_sa_keys(bad_bits, kNi, kNr, g_ir(), 1, 2).has_value());
  const CipherSuite bad_prf{EncrId::AES_CBC, 128, IntegId::HMAC_SHA1_96, static_cast<PrfId>(8),
                            DhGroup::NONE};
  EXPECT_FALSE(derive_ike_sa_keys(bad_prf, kNi, kNr, g_ir(), 1, 2).has_value());
}

// Inputs of the CREATE_CHILD_SA vectors: SK_d from the AES-CBC-256 vector above.
const SecretBytes kSkD(H("3b24dcfa9b145fe4c9ecd82cd754b668e2f8bf756c12ed5be2682aa4fd8b04a5"));
const Bytes kNi2 = range_bytes(0x80, 16);
const Bytes kNr2 = range_bytes(0xa0, 16);
SecretBytes g_ir2() {
  SecretBytes s(32);
  for (std::size_t i = 0; i < 32; ++i) s.data()[i] = static_cast<std::uint8_t>(i * 13 + 5);
  return s;
}

TEST(RekeyedIkeSaKeys, UsesOldPrfForSkeyseedAndNewPrfForPrfPlus) {
  // Old SA: PRF HMAC-SHA2-256; new SA: AES-GCM-16-128 with PRF HMAC-SHA1.
  const CipherSuite next{EncrId::AES_GCM_16, 128, IntegId::NONE, PrfId::HMAC_SHA1, DhGroup::ECP_256};
  auto k = derive_rekeyed_ike_sa_keys(next, PrfId::HMAC_SHA2_256, kSkD, kNi2, kNr2, g_ir2(),
                                      0x1111111111111111ull, 0x2222222222222222ull);
  ASSERT_TRUE(k.has_value()) << k.error().message;
  EXPECT_EQ(hex(k->sk_d), "22a143a142c2f1744b207aabd2f495cf21fce365");
  EXPECT_EQ(hex(k->sk_ei), "8809cdd865dd96b8b299e3b40741c34b24b5ce55");
  EXPECT_EQ(hex(k->sk_pr), "88e6bf50ef6ee270549d0dbf3dba6dd96da4a449");
  // Structure: SKEYSEED = prf_old(SK_d, g^ir | Ni | Nr).
  const SecretBytes g = g_ir2();
  Bytes in(g.view().begin(), g.view().end());
  put_bytes(in, kNi2);
  put_bytes(in, kNr2);
  EXPECT_EQ(hex(Prf(PrfId::HMAC_SHA2_256)(kSkD.view(), in)),
            "9e743ada0371336c85292606073999e68a29b4b06b9c0fbe4a67701709620542");
}

TEST(ChildSaKeys, WithPfsVector) {
  auto g = g_ir2();
  const ChildSaKeys k = derive_child_sa_keys(PrfId::HMAC_SHA2_256, kSkD, EncrId::AES_CBC, 128,
                                             IntegId::HMAC_SHA1_96, &g, kNi2, kNr2);
  EXPECT_EQ(hex(k.encr_i), "b7c8e893b640cdee1cba09872b23afd0");
  EXPECT_EQ(hex(k.integ_i), "f37b19b91cc3cd183eea3dd87ef4cc142d39caa0");
  EXPECT_EQ(hex(k.encr_r), "f01f3de1f5d55291314f2ea15b3e8c00");
  EXPECT_EQ(hex(k.integ_r), "7e1aa406deaff132da681466aa4b535714fc3726");
}

TEST(ChildSaKeys, GcmWithoutPfsVector) {
  const ChildSaKeys k = derive_child_sa_keys(PrfId::HMAC_SHA2_256, kSkD, EncrId::AES_GCM_16, 256,
                                             IntegId::NONE, nullptr, kNi2, kNr2);
  EXPECT_EQ(hex(k.encr_i), "0788615244bc2e9ae31829567938d3f40ac2f88f7c3e32841568fb0f3d3ef2dba06b41a2");
  EXPECT_EQ(hex(k.encr_r), "a23ad9ae3f890528a40bcc818b1a11694158ba107eec42d7c4aacaa0c4fa706626902912");
  EXPECT_TRUE(k.integ_i.empty());
  EXPECT_TRUE(k.integ_r.empty());
}

TEST(ChildSaKeys, OrderAndSeedRebuiltFromThePrf) {
  const Prf prf(PrfId::HMAC_SHA2_512);
  auto g = g_ir2();
  for (bool pfs : {false, true}) {
    const ChildSaKeys k = derive_child_sa_keys(PrfId::HMAC_SHA2_512, kSkD, EncrId::AES_CBC, 256,
                                               IntegId::HMAC_SHA2_384_192, pfs ? &g : nullptr, kNi2, kNr2);
    Bytes seed;
    if (pfs) put_bytes(seed, g.view());
    put_bytes(seed, kNi2);
    put_bytes(seed, kNr2);
    const SecretBytes km = prf.plus(kSkD.view(), seed, 2 * (32 + 48));
    EXPECT_EQ(hex(k.encr_i), hex(km.view().subspan(0, 32)));
    EXPECT_EQ(hex(k.integ_i), hex(km.view().subspan(32, 48)));
    EXPECT_EQ(hex(k.encr_r), hex(km.view().subspan(80, 32)));
    EXPECT_EQ(hex(k.integ_r), hex(km.view().subspan(112, 48)));
  }
  const ChildSaKeys none = derive_child_sa_keys(PrfId::HMAC_SHA1, kSkD, EncrId::AES_CTR, 128,
                                                IntegId::NONE, nullptr, kNi2, kNr2);
  EXPECT_TRUE(none.encr_i.empty() && none.encr_r.empty());
}

TEST(Auth, PskVectorsFromOpensslCli) {
  // Obtained with
  //   KEY=$(printf 'Key Pad for IKEv2' | openssl mac -digest SHA256 -macopt hexkey:$(printf cisco123 | xxd -p) HMAC)
  //   python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(100)))' |
  //     openssl mac -digest SHA256 -macopt hexkey:$KEY HMAC
  // (and the same with SHA1).
  const Bytes signed_octets = range_bytes(0, 100);
  const Bytes auth256 = psk_auth(PrfId::HMAC_SHA2_256, as_bytes("cisco123"), signed_octets);
  EXPECT_EQ(hex(auth256), "e5ebf1236177e1b6f17a4b7510311abb02e754ac86af353758c1880d67ad0eb5");
  const Bytes auth1 = psk_auth(PrfId::HMAC_SHA1, as_bytes("cisco123"), signed_octets);
  EXPECT_EQ(hex(auth1), "06598e8b07510cd1d918bbfdea8cd1e3eda3dfa6");
  EXPECT_TRUE(verify_psk_auth(PrfId::HMAC_SHA2_256, as_bytes("cisco123"), signed_octets, auth256));
  EXPECT_FALSE(verify_psk_auth(PrfId::HMAC_SHA2_256, as_bytes("cisco124"), signed_octets, auth256));
  Bytes bad = auth256;
  bad[5] ^= 4;
  EXPECT_FALSE(verify_psk_auth(PrfId::HMAC_SHA2_256, as_bytes("cisco123"), signed_octets, bad));
  EXPECT_FALSE(verify_psk_auth(PrfId::HMAC_SHA2_256, as_bytes("cisco123"), signed_octets,
                               ByteView(auth256).first(31)));
}

TEST(Auth, SignedOctetsLayout) {
  const SecretBytes sk_pi(H("0518562642652023dc89aba88c9a51811b41a41058ac925d2dc708f9bfd0c6b5"));
  const Bytes message = range_bytes(0x30, 60);
  const Bytes nonce_r = range_bytes(0x40, 32);
  // IDi' for ID_IPV4_ADDR 192.0.2.1: type 1, three reserved octets, the address.
  const Bytes id_body = H("01000000c0000201");
  const Bytes octets = signed_octets(message, nonce_r, PrfId::HMAC_SHA2_256, sk_pi, id_body);
  Bytes expected = message;
  put_bytes(expected, nonce_r);
  put_bytes(expected, Prf(PrfId::HMAC_SHA2_256)(sk_pi.view(), id_body).view());
  EXPECT_EQ(hex(octets), hex(expected));
  EXPECT_EQ(octets.size(), 60u + 32u + 32u);
}

}  // namespace
}  // namespace ikegate::crypto
