// Known-answer tests for HMAC as PRF (RFC 2202, RFC 4231 / RFC 4868 2.7.1) and as truncated
// integrity algorithm (RFC 2202 + RFC 2404/2403 truncation, RFC 4868 2.7.2), and prf+.
#include <gtest/gtest.h>

#include "crypto/integrity.h"
#include "crypto/prf.h"
#include "test_util.h"

namespace ikegate::crypto {
namespace {

using test::H;
using test::hex;
using test::repeat;

struct PrfVector {
  PrfId prf;
  Bytes key;
  Bytes data;
  std::string expected;
};

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(Prf, PublishedVectors) {
  const std::vector<PrfVector> vectors = {
      // RFC 2202 section 2 (HMAC-MD5) test cases 1, 2, 3, 4, 6.
      {PrfId::HMAC_MD5, repeat(0x0b, 16), text("Hi There"), "9294727a3638bb1c13f48ef8158bfc9d"},
      {PrfId::HMAC_MD5, text("Jefe"), text("what do ya want for nothing?"),
       "750c783e6ab0b503eaa86e310a5db738"},
      {PrfId::HMAC_MD5, repeat(0xaa, 16), repeat(0xdd, 50), "56be34521d144c88dbb8c733f0e8b3f6"},
      {PrfId::HMAC_MD5, H("0102030405060708090a0b0c0d0e0f10111213141516171819"), repeat(0xcd, 50),
       "697eaf0aca3a3aea3a75164746ffaa79"},
      {PrfId::HMAC_MD5, repeat(0xaa, 80), text("Test Using Larger Than Block-Size Key - Hash Key First"),
       "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
      // RFC 2202 section 3 (HMAC-SHA1) test cases 1, 2, 3, 4, 6.
      {PrfId::HMAC_SHA1, repeat(0x0b, 20), text("Hi There"), "b617318655057264e28bc0b6fb378c8ef146be00"},
      {PrfId::HMAC_SHA1, text("Jefe"), text("what do ya want for nothing?"),
       "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
      {PrfId::HMAC_SHA1, repeat(0xaa, 20), repeat(0xdd, 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
      {PrfId::HMAC_SHA1, H("0102030405060708090a0b0c0d0e0f10111213141516171819"), repeat(0xcd, 50),
       "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
      {PrfId::HMAC_SHA1, repeat(0xaa, 80), text("Test Using Larger Than Block-Size Key - Hash Key First"),
       "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
      // RFC 4231 test cases 1, 3, 4, 6 (= RFC 4868 2.7.1 PRF-1..PRF-5 without the 4-octet key).
      {PrfId::HMAC_SHA2_256, repeat(0x0b, 20), text("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {PrfId::HMAC_SHA2_256, repeat(0xaa, 20), repeat(0xdd, 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {PrfId::HMAC_SHA2_256, H("0102030405060708090a0b0c0d0e0f10111213141516171819"), repeat(0xcd, 50),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {PrfId::HMAC_SHA2_256, repeat(0xaa, 131), text("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e43159 1ee0b67f 0d8a26aa cbf5b77f 8e0bc621 3728c514 0546040f 0ee37f54"},
      {PrfId::HMAC_SHA2_384, repeat(0x0b, 20), text("Hi There"),
       "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"},
      {PrfId::HMAC_SHA2_384, repeat(0xaa, 20), repeat(0xdd, 50),
       "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27"},
      {PrfId::HMAC_SHA2_384, repeat(0xaa, 131), text("Test Using Larger Than Block-Size Key - Hash Key First"),
       "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952"},
      {PrfId::HMAC_SHA2_512, repeat(0x0b, 20), text("Hi There"),
       "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4"
       "be9d914eeb61f1702e696c203a126854"},
      {PrfId::HMAC_SHA2_512, repeat(0xaa, 20), repeat(0xdd, 50),
       "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807"
       "b946a337bee8942674278859e13292fb"},
      {PrfId::HMAC_SHA2_512, H("0102030405060708090a0b0c0d0e0f10111213141516171819"), repeat(0xcd, 50),
       "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063"
       "a5f19741120c4f2de2adebeb10a298dd"},
  };
  for (const auto& v : vectors) {
    const Prf prf(v.prf);
    const Bytes expected = H(v.expected);
    EXPECT_EQ(hex(prf(v.key, v.data)), hex(expected)) << static_cast<int>(v.prf);
    EXPECT_EQ(prf.size(), expected.size());
    EXPECT_EQ(prf.preferred_key_size(), expected.size());
  }
}

TEST(Prf, EmptyKeyIsANewKeyNotTheLastOne) {
  const Prf prf(PrfId::HMAC_SHA2_256);
  const SecretBytes keyed = prf(repeat(0x0b, 20), text("Hi There"));
  const SecretBytes empty = prf(Bytes{}, text("Hi There"));
  EXPECT_NE(hex(keyed), hex(empty));
  // RFC 4231 has no empty-key case; HMAC-SHA256("", "") is the well-known b613679a...
  EXPECT_EQ(hex(prf(Bytes{}, Bytes{})), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Prf, CopiesAreIndependent) {
  const Prf a(PrfId::HMAC_SHA1);
  const Prf b = a;
  EXPECT_EQ(hex(a(repeat(0x0b, 20), text("Hi There"))), hex(b(repeat(0x0b, 20), text("Hi There"))));
}

// prf+ (RFC 7296 2.13) rebuilt here block by block with the plain PRF.
TEST(PrfPlus, MatchesIterationStructure) {
  for (PrfId id : {PrfId::HMAC_MD5, PrfId::HMAC_SHA1, PrfId::HMAC_SHA2_256, PrfId::HMAC_SHA2_384,
                   PrfId::HMAC_SHA2_512}) {
    const Prf prf(id);
    const Bytes key = H("000102030405060708090a0b0c0d0e0f1011121314151617");
    const Bytes seed = text("seed for prf plus");
    Bytes expected;
    Bytes t;
    for (int n = 1; n <= 255; ++n) {
      Bytes input = t;
      put_bytes(input, seed);
      input.push_back(static_cast<std::uint8_t>(n));
      const SecretBytes block = prf(key, input);
      t.assign(block.view().begin(), block.view().end());
      put_bytes(expected, t);
    }
    for (std::size_t len : {std::size_t{0}, std::size_t{1}, prf.size() - 1, prf.size(), prf.size() + 1,
                            3 * prf.size() + 7, prf.plus_max()}) {
      const SecretBytes out = prf.plus(key, seed, len);
      ASSERT_EQ(out.size(), len);
      EXPECT_EQ(hex(out), hex(ByteView(expected).first(len))) << len;
    }
  }
}

TEST(PrfPlusDeathTest, MoreThan255BlocksAborts) {
  const Prf prf(PrfId::HMAC_SHA1);
  EXPECT_DEATH(prf.plus(Bytes{1, 2, 3}, Bytes{4}, prf.plus_max() + 1), "");
}

struct IcvVector {
  IntegId integ;
  Bytes key;
  Bytes data;
  std::string icv;
};

TEST(Integrity, PublishedVectors) {
  const std::vector<IcvVector> vectors = {
      // RFC 2202 cases, truncated to 96 bits as RFC 2403 / RFC 2404 specify.
      {IntegId::HMAC_MD5_96, repeat(0x0b, 16), text("Hi There"), "9294727a3638bb1c13f48ef8"},
      {IntegId::HMAC_MD5_96, repeat(0xaa, 16), repeat(0xdd, 50), "56be34521d144c88dbb8c733"},
      {IntegId::HMAC_SHA1_96, repeat(0x0b, 20), text("Hi There"), "b617318655057264e28bc0b6"},
      {IntegId::HMAC_SHA1_96, repeat(0xaa, 20), repeat(0xdd, 50), "125d7342b9ac11cd91a39af4"},
      // RFC 4868 2.7.2.1-2.7.2.3, AUTH256-1..3, AUTH384-1..3, AUTH512-1..3 (keys of the full
      // hash length).
      {IntegId::HMAC_SHA2_256_128, repeat(0x0b, 32), text("Hi There"), "198a607eb44bfbc69903a0f1cf2bbdc5"},
      {IntegId::HMAC_SHA2_256_128, text("JefeJefeJefeJefeJefeJefeJefeJefe"),
       text("what do ya want for nothing?"), "167f928588c5cc2eef8e3093caa0e87c"},
      {IntegId::HMAC_SHA2_256_128, repeat(0xaa, 32), repeat(0xdd, 50), "cdcb1220d1ecccea91e53aba3092f962"},
      {IntegId::HMAC_SHA2_384_192, repeat(0x0b, 48), text("Hi There"),
       "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973"},
      {IntegId::HMAC_SHA2_384_192, text("JefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefe"),
       text("what do ya want for nothing?"), "2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d"},
      {IntegId::HMAC_SHA2_384_192, repeat(0xaa, 48), repeat(0xdd, 50),
       "809f439be00274321d4a538652164b53554a508184a0c316"},
      {IntegId::HMAC_SHA2_512_256, repeat(0x0b, 64), text("Hi There"),
       "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8"},
      {IntegId::HMAC_SHA2_512_256,
       text("JefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefe"),
       text("what do ya want for nothing?"),
       "cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454"},
      {IntegId::HMAC_SHA2_512_256, repeat(0xaa, 64), repeat(0xdd, 50),
       "2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8"},
  };
  for (const auto& v : vectors) {
    const Integrity integ(v.integ);
    const Bytes icv = H(v.icv);
    EXPECT_EQ(integ.icv_size(), icv.size());
    EXPECT_EQ(hex(integ.compute(v.key, v.data)), hex(icv)) << static_cast<int>(v.integ);
    EXPECT_TRUE(integ.verify(v.key, v.data, icv));
    Bytes bad = icv;
    bad.back() ^= 1;
    EXPECT_FALSE(integ.verify(v.key, v.data, bad));
    EXPECT_FALSE(integ.verify(v.key, v.data, ByteView(icv).first(icv.size() - 1)));
  }
}

TEST(Integrity, Sizes) {
  EXPECT_EQ(integ_key_size(IntegId::HMAC_MD5_96), 16u);
  EXPECT_EQ(integ_key_size(IntegId::HMAC_SHA1_96), 20u);
  EXPECT_EQ(integ_key_size(IntegId::HMAC_SHA2_256_128), 32u);
  EXPECT_EQ(integ_key_size(IntegId::HMAC_SHA2_384_192), 48u);
  EXPECT_EQ(integ_key_size(IntegId::HMAC_SHA2_512_256), 64u);
  EXPECT_EQ(integ_icv_size(IntegId::HMAC_SHA2_512_256), 32u);
  EXPECT_EQ(integ_key_size(IntegId::NONE), 0u);
  EXPECT_FALSE(integ_supported(IntegId::NONE));
  EXPECT_FALSE(integ_supported(static_cast<IntegId>(5)));
  EXPECT_FALSE(prf_supported(static_cast<PrfId>(4)));
}

}  // namespace
}  // namespace ikegate::crypto
