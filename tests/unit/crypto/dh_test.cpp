// Key exchange: RFC 5903 section 8 (ECP), RFC 7748 6.1 (X25519), the RFC 2409/3526 primes,
// MODP round trips and the peer-value validation of RFC 7296 5.12 / RFC 8031 2.3.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "crypto/dh.h"
#include "test_util.h"

namespace ikegate::crypto {
namespace {

using test::H;
using test::hex;

struct EcVector {
  DhGroup group;
  std::string i, gi, r, gr, gir;  // gi/gr: x | y
};

// RFC 5903 section 8.1 (256-bit), 8.2 (384-bit), 8.3 (521-bit random ECP group).
const EcVector kRfc5903[] = {
    {DhGroup::ECP_256,
     "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
     "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
     "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
     "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53",
     "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
     "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
     "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"},
    {DhGroup::ECP_384,
     "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655E35B538041E649EE3FAEF896783AB194",
     "667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6DE3AC808ACB4BDB4C88732AEE95F41AA"
     "9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38EEB9FCFF3C2C947DAE69B4C634573A81C",
     "41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942E0308312916B8ED2960E4BD55A7448FC",
     "E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D0D1AC43A0336DEF96FDA41D0774A3571"
     "DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF5EAAD96DB9E6386C",
     "11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4D603135569B9E9D09CF5D4A270F59746"},
    {DhGroup::ECP_521,
     "0037ADE9319A89F4DABDB3EF411AACCCA5123C61ACAB57B5393DCE47608172A095AA85A30FE1C2952C6771D937BA9777F5957B2639BAB072462F68C27A57382D4A52",
     "0015417E84DBF28C0AD3C278713349DC7DF153C897A1891BD98BAB4357C9ECBEE1E3BF42E00B8E380AEAE57C2D107564941885942AF5A7F4601723C4195D176CED3E"
     "017CAE20B6641D2EEB695786D8C946146239D099E18E1D5A514C739D7CB4A10AD8A788015AC405D7799DC75E7B7D5B6CF2261A6A7F1507438BF01BEB6CA3926F9582",
     "0145BA99A847AF43793FDD0E872E7CDFA16BE30FDC780F97BCCC3F078380201E9C677D600B343757A3BDBF2A3163E4C2F869CCA7458AA4A4EFFC311F5CB151685EB9",
     "00D0B3975AC4B799F5BEA16D5E13E9AF971D5E9B984C9F39728B5E5739735A219B97C356436ADC6E95BB0352F6BE64A6C2912D4EF2D0433CED2B6171640012D9460F"
     "015C68226383956E3BD066E797B623C27CE0EAC2F551A10C2C724D9852077B87220B6536C5C408A1D2AEBB8E86D678AE49CB57091F4732296579AB44FCD17F0FC56A",
     "01144C7D79AE6956BC8EDB8E7C787C4521CB086FA64407F97894E5E6B2D79B04D1427E73CA4BAA240A34786859810C06B3C715A3A8CC3151F2BEE417996D19F3DDEA"},
};

TEST(Ecp, Rfc5903Vectors) {
  for (const auto& v : kRfc5903) {
    auto i = KeyExchange::from_private(v.group, H(v.i));
    auto r = KeyExchange::from_private(v.group, H(v.r));
    ASSERT_TRUE(i.has_value()) << i.error().message;
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(hex((*i)->public_value()), hex(H(v.gi)));
    EXPECT_EQ(hex((*r)->public_value()), hex(H(v.gr)));
    EXPECT_EQ((*i)->public_value().size(), dh_public_size(v.group));
    auto s_i = (*i)->shared_secret(H(v.gr));
    auto s_r = (*r)->shared_secret(H(v.gi));
    ASSERT_TRUE(s_i.has_value()) << s_i.error().message;
    ASSERT_TRUE(s_r.has_value()) << s_r.error().message;
    // RFC 5903 7: the shared secret is the x coordinate only.
    EXPECT_EQ(hex(*s_i), hex(H(v.gir)));
    EXPECT_EQ(hex(*s_r), hex(H(v.gir)));
    EXPECT_EQ(s_i->size(), dh_shared_size(v.group));
  }
}

TEST(Ecp, RejectsOffCurveAndWrongLength) {
  for (const auto& v : kRfc5903) {
    auto kx = KeyExchange::create(v.group);
    ASSERT_TRUE(kx.has_value());
    Bytes off = H(v.gr);
    off.back() ^= 1;  // y no longer matches x
    EXPECT_FALSE((*kx)->shared_secret(off).has_value());
    EXPECT_FALSE((*kx)->shared_secret(ByteView(H(v.gr)).first(off.size() - 1)).has_value());
    EXPECT_FALSE((*kx)->shared_secret(Bytes(off.size(), 0)).has_value());  // (0,0): not on curve
    Bytes longer = H(v.gr);
    longer.push_back(0);
    EXPECT_FALSE((*kx)->shared_secret(longer).has_value());
  }
}

TEST(X25519, Rfc7748Vector) {
  // RFC 7748 section 6.1.
  auto alice = KeyExchange::from_private(
      DhGroup::CURVE25519, H("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  auto bob = KeyExchange::from_private(
      DhGroup::CURVE25519, H("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  ASSERT_TRUE(alice.has_value() && bob.has_value());
  EXPECT_EQ(hex((*alice)->public_value()), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(hex((*bob)->public_value()), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const std::string shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  EXPECT_EQ(hex(*(*alice)->shared_secret((*bob)->public_value())), shared);
  EXPECT_EQ(hex(*(*bob)->shared_secret((*alice)->public_value())), shared);
}

TEST(X25519, RejectsAllZeroResult) {
  auto kx = KeyExchange::create(DhGroup::CURVE25519);
  ASSERT_TRUE(kx.has_value());
  // u = 0 and u = 1 are small-order points: every scalar maps them to the all-zero output.
  EXPECT_FALSE((*kx)->shared_secret(Bytes(32, 0)).has_value());
  Bytes one(32, 0);
  one[0] = 1;
  EXPECT_FALSE((*kx)->shared_secret(one).has_value());
  EXPECT_FALSE((*kx)->shared_secret(Bytes(31, 9)).has_value());
}

// --- MODP ---

ossl::BnPtr bn(ByteView v) { return ossl::BnPtr(BN_bin2bn(v.data(), static_cast<int>(v.size()), nullptr)); }

// The prime OpenSSL itself ships for an RFC 3526 named group (an independent copy).
ossl::BnPtr openssl_named_prime(const char* name) {
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr));
  EXPECT_TRUE(ctx && EVP_PKEY_paramgen_init(ctx.get()) == 1);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(name), 0),
      OSSL_PARAM_construct_end()};
  EXPECT_EQ(EVP_PKEY_CTX_set_params(ctx.get(), params), 1);
  EVP_PKEY* raw = nullptr;
  EXPECT_EQ(EVP_PKEY_paramgen(ctx.get(), &raw), 1);
  ossl::PkeyPtr key(raw);
  BIGNUM* p = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_FFC_P, &p), 1);
  return ossl::BnPtr(p);
}

struct ModpGroup {
  DhGroup group;
  int bits;
  unsigned long k;  // the RFC's offset added to [2^(bits-130) pi]
};
const ModpGroup kModp[] = {
    {DhGroup::MODP_768, 768, 149686},    {DhGroup::MODP_1024, 1024, 129093},
    {DhGroup::MODP_1536, 1536, 741804},  {DhGroup::MODP_2048, 2048, 124476},
    {DhGroup::MODP_3072, 3072, 1690314}, {DhGroup::MODP_4096, 4096, 240904},
};

// floor(2^(bits-130) * pi) recovered from p = 2^b - 2^(b-64) - 1 + 2^64 * ([2^(b-130) pi] + k).
ossl::BnPtr pi_bits(const BIGNUM* p, int bits, unsigned long k) {
  ossl::BnPtr m(BN_dup(p));
  ossl::BnPtr t(BN_new());
  BN_set_word(t.get(), 1);
  BN_lshift(t.get(), t.get(), bits);
  BN_sub(m.get(), m.get(), t.get());
  BN_set_word(t.get(), 1);
  BN_lshift(t.get(), t.get(), bits - 64);
  BN_add(m.get(), m.get(), t.get());
  BN_add_word(m.get(), 1);
  EXPECT_TRUE(BN_is_bit_set(m.get(), 0) == 0);
  BN_rshift(m.get(), m.get(), 64);
  BN_sub_word(m.get(), k);
  return m;
}

TEST(Modp, PrimesMatchTheRfcs) {
  // RFC 3526 groups: equal to OpenSSL's own copies.
  const std::pair<DhGroup, const char*> named[] = {{DhGroup::MODP_1536, "modp_1536"},
                                                   {DhGroup::MODP_2048, "modp_2048"},
                                                   {DhGroup::MODP_3072, "modp_3072"},
                                                   {DhGroup::MODP_4096, "modp_4096"}};
  for (const auto& [group, name] : named) {
    EXPECT_EQ(BN_cmp(bn(modp_prime(group)).get(), openssl_named_prime(name).get()), 0) << name;
  }
  // Every group's prime embeds pi's binary expansion (RFC 2409 6.1/6.2, RFC 3526): with the
  // RFCs' k values removed, the pi bits of each group are a prefix of the 4096-bit group's,
  // which pins groups 1 and 2 to OpenSSL's independent RFC 3526 constant.
  const ossl::BnPtr pi4096 = pi_bits(openssl_named_prime("modp_4096").get(), 4096, 240904);
  ossl::BnCtxPtr ctx(BN_CTX_new());
  for (const auto& g : kModp) {
    const ByteView p = modp_prime(g.group);
    ASSERT_EQ(p.size() * 8, static_cast<std::size_t>(g.bits));
    EXPECT_EQ(dh_public_size(g.group), p.size());
    ossl::BnPtr prime = bn(p);
    ossl::BnPtr expected(BN_new());
    BN_rshift(expected.get(), pi4096.get(), 4096 - g.bits);
    EXPECT_EQ(BN_cmp(pi_bits(prime.get(), g.bits, g.k).get(), expected.get()), 0) << g.bits;
    // Groups 1 and 2 have no OpenSSL copy: check they are safe primes (p and (p-1)/2 prime).
    if (g.bits <= 1024) {
      EXPECT_EQ(BN_check_prime(prime.get(), ctx.get(), nullptr), 1) << g.bits;
      ossl::BnPtr q(BN_dup(prime.get()));
      BN_rshift1(q.get(), q.get());
      EXPECT_EQ(BN_check_prime(q.get(), ctx.get(), nullptr), 1) << g.bits;
    }
  }
  EXPECT_TRUE(modp_prime(DhGroup::ECP_256).empty());
}

TEST(Modp, RoundTripEveryGroup) {
  for (const auto& g : kModp) {
    auto a = KeyExchange::create(g.group);
    auto b = KeyExchange::create(g.group);
    ASSERT_TRUE(a.has_value() && b.has_value());
    EXPECT_EQ((*a)->group(), g.group);
    ASSERT_EQ((*a)->public_value().size(), static_cast<std::size_t>(g.bits / 8));
    auto s1 = (*a)->shared_secret((*b)->public_value());
    auto s2 = (*b)->shared_secret((*a)->public_value());
    ASSERT_TRUE(s1.has_value() && s2.has_value());
    EXPECT_EQ(s1->size(), static_cast<std::size_t>(g.bits / 8));
    EXPECT_EQ(hex(*s1), hex(*s2));
    EXPECT_NE(hex((*a)->public_value()), hex((*b)->public_value()));
  }
}

TEST(Modp, FixedPrivateKeysAgreeWithPlainModExp) {
  // g^ir = (g^r)^i mod p computed here with BN directly, zero-padded (RFC 7296 2.14).
  const Bytes xi = H("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
  const Bytes xr = H("a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0");
  for (const auto& g : kModp) {
    auto i = KeyExchange::from_private(g.group, xi);
    auto r = KeyExchange::from_private(g.group, xr);
    ASSERT_TRUE(i.has_value() && r.has_value());
    ossl::BnCtxPtr ctx(BN_CTX_new());
    ossl::BnPtr two(BN_new());
    BN_set_word(two.get(), 2);
    ossl::BnPtr gi(BN_new()), gir(BN_new());
    BN_mod_exp(gi.get(), two.get(), bn(xi).get(), bn(modp_prime(g.group)).get(), ctx.get());
    BN_mod_exp(gir.get(), bn((*r)->public_value()).get(), bn(xi).get(), bn(modp_prime(g.group)).get(),
               ctx.get());
    Bytes gi_bytes(g.bits / 8), gir_bytes(g.bits / 8);
    BN_bn2binpad(gi.get(), gi_bytes.data(), static_cast<int>(gi_bytes.size()));
    BN_bn2binpad(gir.get(), gir_bytes.data(), static_cast<int>(gir_bytes.size()));
    EXPECT_EQ(hex((*i)->public_value()), hex(gi_bytes));
    EXPECT_EQ(hex(*(*i)->shared_secret((*r)->public_value())), hex(gir_bytes));
    EXPECT_EQ(hex(*(*r)->shared_secret((*i)->public_value())), hex(gir_bytes));
  }
}

TEST(Modp, RejectsDegeneratePublicValues) {
  for (const auto& g : kModp) {
    auto kx = KeyExchange::create(g.group);
    ASSERT_TRUE(kx.has_value());
    const std::size_t n = g.bits / 8;
    Bytes zero(n, 0);
    Bytes one(n - 1, 0);
    one.push_back(1);
    Bytes two(n - 1, 0);
    two.push_back(2);
    const ByteView p = modp_prime(g.group);
    ASSERT_EQ(p.size(), n);
    Bytes p_itself(p.begin(), p.end());
    Bytes p_minus_1 = p_itself;
    p_minus_1[n - 1] = 0xfe;  // every one of these primes ends in 0xff
    Bytes p_minus_2 = p_itself;
    p_minus_2[n - 1] = 0xfd;
    EXPECT_FALSE((*kx)->shared_secret(zero).has_value()) << g.bits;
    EXPECT_FALSE((*kx)->shared_secret(one).has_value()) << g.bits;
    EXPECT_FALSE((*kx)->shared_secret(p_minus_1).has_value()) << g.bits;
    EXPECT_FALSE((*kx)->shared_secret(p_itself).has_value()) << g.bits;
    EXPECT_FALSE((*kx)->shared_secret(Bytes(n, 0xff)).has_value()) << g.bits;
    EXPECT_FALSE((*kx)->shared_secret(Bytes(n - 1, 0x55)).has_value()) << g.bits;
    EXPECT_FALSE((*kx)->shared_secret(Bytes(n + 1, 0x55)).has_value()) << g.bits;
    // The extremes of the allowed range are accepted.
    EXPECT_TRUE((*kx)->shared_secret(two).has_value()) << g.bits;
    EXPECT_TRUE((*kx)->shared_secret(p_minus_2).has_value()) << g.bits;
  }
}

TEST(Dh, SupportTable) {
  for (DhGroup g : {DhGroup::MODP_768, DhGroup::MODP_1024, DhGroup::MODP_1536, DhGroup::MODP_2048,
                    DhGroup::MODP_3072, DhGroup::MODP_4096, DhGroup::ECP_256, DhGroup::ECP_384,
                    DhGroup::ECP_521, DhGroup::CURVE25519})
    EXPECT_TRUE(dh_supported(g));
  EXPECT_FALSE(dh_supported(DhGroup::NONE));
  EXPECT_FALSE(dh_supported(static_cast<DhGroup>(24)));
  EXPECT_EQ(dh_public_size(static_cast<DhGroup>(24)), 0u);
  EXPECT_FALSE(KeyExchange::create(DhGroup::NONE).has_value());
  EXPECT_EQ(dh_public_size(DhGroup::ECP_521), 132u);
  EXPECT_EQ(dh_shared_size(DhGroup::ECP_521), 66u);
  EXPECT_EQ(dh_public_size(DhGroup::CURVE25519), 32u);
  EXPECT_FALSE(KeyExchange::from_private(DhGroup::ECP_256, Bytes(32, 0)).has_value());
  EXPECT_FALSE(KeyExchange::from_private(DhGroup::MODP_2048, Bytes{1}).has_value());
}

}  // namespace
}  // namespace ikegate::crypto
