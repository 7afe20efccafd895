#include "crypto/dh.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <algorithm>
#include <array>
#include <optional>

namespace ikegate::crypto {

namespace {

enum class Kind { MODP, ECP, X25519 };

struct GroupInfo {
  DhGroup group;
  Kind kind;
  std::size_t size;       // prime octets (MODP), field octets (ECP), 32 (X25519)
  int priv_bits;          // MODP exponent length; 0 for the curves
  const char* curve;      // OpenSSL group name (ECP)
  int nid;                // OpenSSL curve NID (ECP)
};

// Exponent lengths: twice the groups' estimated strength (RFC 3526 8), which keeps the
// exponentiation short without weakening the group.
constexpr std::array<GroupInfo, 10> kGroups{{
    {DhGroup::MODP_768, Kind::MODP, 96, 256, nullptr, 0},
    {DhGroup::MODP_1024, Kind::MODP, 128, 256, nullptr, 0},
    {DhGroup::MODP_1536, Kind::MODP, 192, 256, nullptr, 0},
    {DhGroup::MODP_2048, Kind::MODP, 256, 320, nullptr, 0},
    {DhGroup::MODP_3072, Kind::MODP, 384, 420, nullptr, 0},
    {DhGroup::MODP_4096, Kind::MODP, 512, 480, nullptr, 0},
    {DhGroup::ECP_256, Kind::ECP, 32, 0, "prime256v1", NID_X9_62_prime256v1},
    {DhGroup::ECP_384, Kind::ECP, 48, 0, "secp384r1", NID_secp384r1},
    {DhGroup::ECP_521, Kind::ECP, 66, 0, "secp521r1", NID_secp521r1},
    {DhGroup::CURVE25519, Kind::X25519, 32, 0, nullptr, 0},
}};

const GroupInfo* find_group(DhGroup group) {
  for (const GroupInfo& g : kGroups)
    if (g.group == group) return &g;
  return nullptr;
}

// RFC 2409 6.1, group 1: 2^768 - 2^704 - 1 + 2^64 * ([2^638 pi] + 149686)
constexpr const char* kMODP_768 =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 "
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 "
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A63A3620 FFFFFFFF FFFFFFFF";
// RFC 2409 6.2, group 2: 2^1024 - 2^960 - 1 + 2^64 * ([2^894 pi] + 129093)
constexpr const char* kMODP_1024 =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 "
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 "
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED "
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE65381 FFFFFFFF FFFFFFFF";
// RFC 3526 2, group 5: 2^1536 - 2^1472 - 1 + 2^64 * ([2^1406 pi] + 741804)
constexpr const char* kMODP_1536 =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 "
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 "
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED "
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 "
    "98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB "
    "9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA237327 FFFFFFFF FFFFFFFF";
// RFC 3526 3, group 14: 2^2048 - 2^1984 - 1 + 2^64 * ([2^1918 pi] + 124476)
constexpr const char* kMODP_2048 =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 "
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 "
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED "
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 "
    "98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB "
    "9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B "
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 "
    "3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AACAA68 FFFFFFFF FFFFFFFF";
// RFC 3526 4, group 15: 2^3072 - 2^3008 - 1 + 2^64 * ([2^2942 pi] + 1690314)
constexpr const char* kMODP_3072 =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 "
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 "
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED "
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 "
    "98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB "
    "9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B "
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 "
    "3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AAAC42D AD33170D 04507A33 "
    "A85521AB DF1CBA64 ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7 "
    "ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B F12FFA06 D98A0864 "
    "D8760273 3EC86A64 521F2B18 177B200C BBE11757 7A615D6C 770988C0 BAD946E2 "
    "08E24FA0 74E5AB31 43DB5BFC E0FD108E 4B82D120 A93AD2CA FFFFFFFF FFFFFFFF";
// RFC 3526 5, group 16: 2^4096 - 2^4032 - 1 + 2^64 * ([2^3966 pi] + 240904)
constexpr const char* kMODP_4096 =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 "
    "020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 "
    "4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED "
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 "
    "98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB "
    "9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B "
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 "
    "3995497C EA956AE5 15D22618 98FA0510 15728E5A 8AAAC42D AD33170D 04507A33 "
    "A85521AB DF1CBA64 ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7 "
    "ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B F12FFA06 D98A0864 "
    "D8760273 3EC86A64 521F2B18 177B200C BBE11757 7A615D6C 770988C0 BAD946E2 "
    "08E24FA0 74E5AB31 43DB5BFC E0FD108E 4B82D120 A9210801 1A723C12 A787E6D7 "
    "88719A10 BDBA5B26 99C32718 6AF4E23C 1A946834 B6150BDA 2583E9CA 2AD44CE8 "
    "DBBBC2DB 04DE8EF9 2E8EFC14 1FBECAA6 287C5947 4E6BC05D 99B2964F A090C3A2 "
    "233BA186 515BE7ED 1F612970 CEE2D7AF B81BDD76 2170481C D0069127 D5B05AA9 "
    "93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F 4DF435C9 34063199 FFFFFFFF FFFFFFFF";

// The primes as octets, decoded once (a function-local static: thread-safe, then immutable).
const Bytes& prime_octets(DhGroup group) {
  static const std::array<Bytes, 6> primes = [] {
    auto decode = [](const char* hex) { return from_hex(hex).value_or(Bytes{}); };
    return std::array<Bytes, 6>{decode(kMODP_768),  decode(kMODP_1024), decode(kMODP_1536),
                                decode(kMODP_2048), decode(kMODP_3072), decode(kMODP_4096)};
  }();
  static const Bytes none;
  switch (group) {
    case DhGroup::MODP_768: return primes[0];
    case DhGroup::MODP_1024: return primes[1];
    case DhGroup::MODP_1536: return primes[2];
    case DhGroup::MODP_2048: return primes[3];
    case DhGroup::MODP_3072: return primes[4];
    case DhGroup::MODP_4096: return primes[5];
    default: return none;
  }
}

ossl::BnPtr bn_from(ByteView octets) {
  return ossl::BnPtr(BN_bin2bn(octets.data(), static_cast<int>(octets.size()), nullptr));
}

// Builds an EVP_PKEY of `type` from an OSSL_PARAM_BLD that `fill` populates.
template <class Fill>
ossl::PkeyPtr pkey_fromdata(const char* type, int selection, Fill&& fill) {
  ossl::ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || !fill(bld.get())) return nullptr;
  ossl::ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) return nullptr;
  return ossl::PkeyPtr(raw);
}

// MODP domain parameters p and g = 2, plus the private length for key generation.
bool push_modp_params(OSSL_PARAM_BLD* bld, const GroupInfo& g, const BIGNUM* p, const BIGNUM* two) {
  return OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) == 1 &&
         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, two) == 1 &&
         OSSL_PARAM_BLD_push_int(bld, OSSL_PKEY_PARAM_DH_PRIV_LEN, g.priv_bits) == 1;
}

// Per MODP group, built once and shared read-only by every key exchange (any thread): p, p - 1,
// g = 2 and the domain parameters as an EVP_PKEY. Rebuilding them for every key pair cost a
// fixed share of each exchange (bench_crypto BM_DhKeygenAndSharedSecret).
struct ModpConsts {
  ossl::BnPtr p, p_minus_1, two;
  ossl::PkeyPtr params;
};

const ModpConsts* modp_consts(const GroupInfo& g) {
  static const std::array<ModpConsts, 6> consts = [] {
    std::array<ModpConsts, 6> out;
    for (std::size_t i = 0; i < out.size(); ++i) {
      const GroupInfo& gi = kGroups[i];
      ModpConsts& c = out[i];
      c.p = bn_from(prime_octets(gi.group));
      c.p_minus_1.reset(c.p ? BN_dup(c.p.get()) : nullptr);
      c.two.reset(BN_new());
      if (!c.p || !c.p_minus_1 || !c.two || BN_set_word(c.two.get(), 2) != 1 ||
          BN_sub_word(c.p_minus_1.get(), 1) != 1) {
        c = ModpConsts{};
        continue;
      }
      c.params = pkey_fromdata("DH", EVP_PKEY_KEY_PARAMETERS, [&](OSSL_PARAM_BLD* bld) {
        return push_modp_params(bld, gi, c.p.get(), c.two.get());
      });
    }
    return out;
  }();
  const auto index = static_cast<std::size_t>(&g - kGroups.data());
  if (g.kind != Kind::MODP || index >= consts.size() || !consts[index].params) return nullptr;
  return &consts[index];
}

Result<Bytes> padded_bn_param(const EVP_PKEY* key, const char* name, std::size_t size) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) return fail("cannot read the public value");
  ossl::BnPtr bn(raw);
  Bytes out(size);
  if (BN_bn2binpad(bn.get(), out.data(), static_cast<int>(size)) != static_cast<int>(size))
    return fail("public value longer than the group");
  return out;
}

// The KE payload form of an EC public key: the uncompressed point without its 0x04 octet.
Result<Bytes> ecp_public(const EVP_PKEY* key, std::size_t field) {
  std::array<std::uint8_t, 1 + 2 * 66> buf{};
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf.data(),
                                      buf.size(), &len) != 1 ||
      len != 1 + 2 * field || buf[0] != 0x04)
    return fail("cannot encode the EC public value");
  return Bytes(buf.begin() + 1, buf.begin() + static_cast<std::ptrdiff_t>(len));
}

Result<Bytes> x25519_public(const EVP_PKEY* key) {
  Bytes out(32);
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key, out.data(), &len) != 1 || len != 32)
    return fail("cannot encode the X25519 public value");
  return out;
}

Result<Bytes> public_of(const GroupInfo& g, const EVP_PKEY* key) {
  switch (g.kind) {
    case Kind::MODP: return padded_bn_param(key, OSSL_PKEY_PARAM_PUB_KEY, g.size);
    case Kind::ECP: return ecp_public(key, g.size);
    case Kind::X25519: return x25519_public(key);
  }
  return fail("unsupported group");
}

ossl::PkeyPtr generate(const GroupInfo& g) {
  switch (g.kind) {
    case Kind::MODP: {
      const ModpConsts* c = modp_consts(g);
      if (!c) return nullptr;
      ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, c->params.get(), nullptr));
      EVP_PKEY* raw = nullptr;
      if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1)
        return nullptr;
      return ossl::PkeyPtr(raw);
    }
    case Kind::ECP:
      return ossl::PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", g.curve));
    case Kind::X25519:
      return ossl::PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
  }
  return nullptr;
}

ossl::PkeyPtr modp_from_private(const GroupInfo& g, ByteView priv) {
  const ModpConsts* c = modp_consts(g);
  ossl::SecretBnPtr x(BN_secure_new());
  ossl::BnPtr y(BN_new());
  ossl::BnCtxPtr bnctx(BN_CTX_secure_new());
  if (!c || !x || !y || !bnctx || BN_bin2bn(priv.data(), static_cast<int>(priv.size()), x.get()) == nullptr)
    return nullptr;
  // 1 < x < p - 1, or g^x would be degenerate.
  if (BN_cmp(x.get(), BN_value_one()) <= 0 || BN_cmp(x.get(), c->p.get()) >= 0) return nullptr;
  BN_set_flags(x.get(), BN_FLG_CONSTTIME);
  // OpenSSL's DH import wants the public value next to the private one: y = g^x mod p.
  if (BN_mod_exp(y.get(), c->two.get(), x.get(), c->p.get(), bnctx.get()) != 1) return nullptr;
  return pkey_fromdata("DH", EVP_PKEY_KEYPAIR, [&](OSSL_PARAM_BLD* bld) {
    return push_modp_params(bld, g, c->p.get(), c->two.get()) &&
           OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x.get()) == 1 &&
           OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y.get()) == 1;
  });
}

ossl::PkeyPtr ecp_from_private(const GroupInfo& g, ByteView priv) {
  using GroupPtr = std::unique_ptr<EC_GROUP, ossl::Deleter<EC_GROUP, EC_GROUP_free>>;
  using PointPtr = std::unique_ptr<EC_POINT, ossl::Deleter<EC_POINT, EC_POINT_free>>;
  GroupPtr group(EC_GROUP_new_by_curve_name(g.nid));
  ossl::SecretBnPtr d(BN_secure_new());
  ossl::BnCtxPtr bnctx(BN_CTX_new());
  if (!group || !d || !bnctx || priv.size() != g.size ||
      BN_bin2bn(priv.data(), static_cast<int>(priv.size()), d.get()) == nullptr)
    return nullptr;
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group.get())) >= 0) return nullptr;
  // The public point Q = d * G, needed by OpenSSL's import and by public_value().
  PointPtr q(EC_POINT_new(group.get()));
  std::array<std::uint8_t, 1 + 2 * 66> pub{};
  if (!q || EC_POINT_mul(group.get(), q.get(), d.get(), nullptr, nullptr, bnctx.get()) != 1)
    return nullptr;
  const std::size_t pub_len = EC_POINT_point2oct(group.get(), q.get(), POINT_CONVERSION_UNCOMPRESSED,
                                                 pub.data(), pub.size(), bnctx.get());
  if (pub_len != 1 + 2 * g.size) return nullptr;
  return pkey_fromdata("EC", EVP_PKEY_KEYPAIR, [&](OSSL_PARAM_BLD* bld) {
    return OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g.curve, 0) == 1 &&
           OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d.get()) == 1 &&
           OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub_len) == 1;
  });
}

// The peer's KE data as an EVP_PKEY in our group, after the RFC's validity checks.
Result<ossl::PkeyPtr> peer_key(const GroupInfo& g, ByteView peer) {
  if (peer.size() != dh_public_size(g.group)) return fail("KE data has the wrong length for the group");
  switch (g.kind) {
    case Kind::MODP: {
      const ModpConsts* c = modp_consts(g);
      ossl::BnPtr y = bn_from(peer);
      if (!c || !y) return fail("out of memory");
      // RFC 7296 5.12 / RFC 2631 2.1.5: 1 < y < p-1 excludes the values that force g^ir
      // into {0, 1, p-1}.
      if (BN_cmp(y.get(), BN_value_one()) <= 0 || BN_cmp(y.get(), c->p_minus_1.get()) >= 0)
        return fail("MODP public value out of range");
      ossl::PkeyPtr key = pkey_fromdata("DH", EVP_PKEY_PUBLIC_KEY, [&](OSSL_PARAM_BLD* bld) {
        return push_modp_params(bld, g, c->p.get(), c->two.get()) &&
               OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y.get()) == 1;
      });
      if (!key) return fail("MODP public value rejected");
      return key;
    }
    case Kind::ECP: {
      std::array<std::uint8_t, 1 + 2 * 66> point{};
      point[0] = 0x04;  // RFC 5903 7: the payload omits the uncompressed-point octet
      std::copy(peer.begin(), peer.end(), point.begin() + 1);
      // OpenSSL rejects coordinates that are not a point on the curve while importing.
      ossl::PkeyPtr key = pkey_fromdata("EC", EVP_PKEY_PUBLIC_KEY, [&](OSSL_PARAM_BLD* bld) {
        return OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g.curve, 0) == 1 &&
               OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                                1 + peer.size()) == 1;
      });
      if (!key) return fail("ECP public value is not a point on the curve");
      return key;
    }
    case Kind::X25519: {
      ossl::PkeyPtr key(EVP_PKEY_new_raw_public_key_ex(nullptr, "X25519", nullptr, peer.data(),
                                                       peer.size()));
      if (!key) return fail("X25519 public value rejected");
      return key;
    }
  }
  return fail("unsupported group");
}

}  // namespace

std::size_t dh_public_size(DhGroup group) {
  const GroupInfo* g = find_group(group);
  if (g == nullptr) return 0;
  return g->kind == Kind::ECP ? 2 * g->size : g->size;
}

std::size_t dh_shared_size(DhGroup group) {
  const GroupInfo* g = find_group(group);
  return g == nullptr ? 0 : g->size;
}

bool dh_supported(DhGroup group) { return find_group(group) != nullptr; }

ByteView modp_prime(DhGroup group) { return prime_octets(group); }

KeyExchange::KeyExchange(Token, DhGroup group, ossl::PkeyPtr key, Bytes public_value)
    : group_(group), key_(std::move(key)), public_value_(std::move(public_value)) {}

Result<std::unique_ptr<KeyExchange>> KeyExchange::create(DhGroup group) {
  const GroupInfo* g = find_group(group);
  if (g == nullptr) return fail("unsupported Diffie-Hellman group");
  ossl::PkeyPtr key = generate(*g);
  if (!key) return fail("Diffie-Hellman key generation failed");
  Result<Bytes> pub = public_of(*g, key.get());
  if (!pub) return std::unexpected(pub.error());
  return std::make_unique<KeyExchange>(Token{}, group, std::move(key), std::move(*pub));
}

Result<std::unique_ptr<KeyExchange>> KeyExchange::from_private(DhGroup group, ByteView priv) {
  const GroupInfo* g = find_group(group);
  if (g == nullptr) return fail("unsupported Diffie-Hellman group");
  ossl::PkeyPtr key;
  switch (g->kind) {
    case Kind::MODP: key = modp_from_private(*g, priv); break;
    case Kind::ECP: key = ecp_from_private(*g, priv); break;
    case Kind::X25519:
      key.reset(EVP_PKEY_new_raw_private_key_ex(nullptr, "X25519", nullptr, priv.data(), priv.size()));
      break;
  }
  if (!key) return fail("invalid private value for the group");
  Result<Bytes> pub = public_of(*g, key.get());
  if (!pub) return std::unexpected(pub.error());
  return std::make_unique<KeyExchange>(Token{}, group, std::move(key), std::move(*pub));
}

Result<SecretBytes> KeyExchange::shared_secret(ByteView peer_public) const {
  const GroupInfo* g = find_group(group_);
  if (g == nullptr) return fail("unsupported Diffie-Hellman group");
  Result<ossl::PkeyPtr> peer = peer_key(*g, peer_public);
  if (!peer) return std::unexpected(peer.error());
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1) return fail("key agreement failed");
  // RFC 7296 2.14: g^ir has the prime's length, with leading zeros kept.
  if (g->kind == Kind::MODP) {
    unsigned int pad = 1;
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD, &pad),
                                 OSSL_PARAM_construct_end()};
    if (EVP_PKEY_CTX_set_params(ctx.get(), params) != 1) return fail("key agreement failed");
  }
  // The MODP range check is done above (a full subgroup check would double the cost and RFC
  // 6989 does not require it for safe primes); EC points get OpenSSL's public-key check.
  const int validate = g->kind == Kind::ECP ? 1 : 0;
  if (EVP_PKEY_derive_set_peer_ex(ctx.get(), peer->get(), validate) != 1)
    return fail("peer public value rejected");
  std::size_t len = 0;
  if (EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1 || len != g->size)
    return fail("key agreement failed");
  SecretBytes secret(len);
  // X25519: OpenSSL refuses an all-zero result (small-order peer point, RFC 7748 6.1), which
  // RFC 8031 2.3 requires us to reject.
  if (EVP_PKEY_derive(ctx.get(), secret.data(), &len) != 1 || len != g->size)
    return fail("key agreement failed");
  if (g->kind == Kind::X25519) {
    std::uint8_t acc = 0;
    for (std::uint8_t b : secret.view()) acc |= b;
    if (acc == 0) return fail("X25519 shared secret is all zero");
  }
  return secret;
}

}  // namespace ikegate::crypto
