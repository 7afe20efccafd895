// Key derivation against an independent implementation: values a real strongSwan charon
// logged during IKEv2 exchanges with another charon (tests/data/strongswan, captured with
// tests/interop/tools/capture_strongswan_keys.sh; see the README there). The nonces, SPIs and
// DH shared secret charon used go into ikegate's key schedule, and what comes out must equal
// the SKEYSEED-derived keys, the CHILD SA KEYMAT and the PSK AUTH values charon computed.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "crypto/keys.h"
#include "crypto/prf.h"
#include "test_util.h"

namespace ikegate::crypto {
namespace {

using test::H;
using test::hex;

struct Vector {
  const char* file;
  CipherSuite ike;
  EncrId esp_encr;
  std::uint16_t esp_key_bits;
  IntegId esp_integ;
};

const Vector kVectors[] = {
    {"aes128-sha1-modp1536.txt",
     {EncrId::AES_CBC, 128, IntegId::HMAC_SHA1_96, PrfId::HMAC_SHA1, DhGroup::MODP_1536},
     EncrId::AES_CBC, 128, IntegId::HMAC_SHA1_96},
    {"aes256-sha256-modp2048.txt",
     {EncrId::AES_CBC, 256, IntegId::HMAC_SHA2_256_128, PrfId::HMAC_SHA2_256, DhGroup::MODP_2048},
     EncrId::AES_CBC, 256, IntegId::HMAC_SHA2_256_128},
    {"aes128gcm16-prfsha256-ecp256.txt",
     {EncrId::AES_GCM_16, 128, IntegId::NONE, PrfId::HMAC_SHA2_256, DhGroup::ECP_256},
     EncrId::AES_GCM_16, 128, IntegId::NONE},
    {"aes256gcm16-prfsha384-ecp384.txt",
     {EncrId::AES_GCM_16, 256, IntegId::NONE, PrfId::HMAC_SHA2_384, DhGroup::ECP_384},
     EncrId::AES_GCM_16, 256, IntegId::NONE},
    {"aes256-sha512-x25519.txt",
     {EncrId::AES_CBC, 256, IntegId::HMAC_SHA2_512_256, PrfId::HMAC_SHA2_512, DhGroup::CURVE25519},
     EncrId::AES_CBC, 256, IntegId::HMAC_SHA2_512_256},
};

// "key = hex" lines; '#' starts a comment line.
std::map<std::string, std::string> read_vector(const std::string& file) {
  std::ifstream in(std::string(IKEGATE_SOURCE_DIR) + "/tests/data/strongswan/" + file);
  EXPECT_TRUE(in.good()) << file;
  std::map<std::string, std::string> v;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    v[line.substr(0, eq)] = line.substr(eq + 3);
  }
  return v;
}

std::uint64_t spi(const std::string& hex_spi) { return std::stoull(hex_spi, nullptr, 16); }

// ID payload body of an IPv4 identity: ID type 1, three reserved octets, the address.
Bytes id_ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return Bytes{1, 0, 0, 0, a, b, c, d};
}

class StrongswanVectors : public ::testing::TestWithParam<Vector> {};

TEST_P(StrongswanVectors, IkeSaKeysEqualCharons) {
  const Vector& t = GetParam();
  auto v = read_vector(t.file);
  ASSERT_FALSE(v["g_ir"].empty()) << t.file;
  const Bytes ni = H(v["ni"]), nr = H(v["nr"]);
  const SecretBytes g_ir(ByteView(H(v["g_ir"])));

  // SKEYSEED = prf(Ni | Nr, g^ir): rebuilt with the bare PRF, as charon logs it.
  Bytes nonces = ni;
  put_bytes(nonces, nr);
  EXPECT_EQ(hex(Prf(t.ike.prf)(nonces, g_ir.view())), v["skeyseed"]);

  auto k = derive_ike_sa_keys(t.ike, ni, nr, g_ir, spi(v["spi_i"]), spi(v["spi_r"]));
  ASSERT_TRUE(k.has_value()) << k.error().message;
  EXPECT_EQ(hex(k->sk_d), v["sk_d"]);
  EXPECT_EQ(hex(k->sk_ai), v["sk_ai"]);  // both empty for AES-GCM
  EXPECT_EQ(hex(k->sk_ar), v["sk_ar"]);
  EXPECT_EQ(hex(k->sk_ei), v["sk_ei"]);  // with the 4-octet salt for AES-GCM
  EXPECT_EQ(hex(k->sk_er), v["sk_er"]);
  EXPECT_EQ(hex(k->sk_pi), v["sk_pi"]);
  EXPECT_EQ(hex(k->sk_pr), v["sk_pr"]);
}

TEST_P(StrongswanVectors, ChildSaKeymatEqualsCharons) {
  const Vector& t = GetParam();
  auto v = read_vector(t.file);
  ASSERT_FALSE(v["sk_d"].empty()) << t.file;
  const SecretBytes sk_d(ByteView(H(v["sk_d"])));
  // The first CHILD SA (in IKE_AUTH) has no PFS: KEYMAT = prf+(SK_d, Ni | Nr).
  const ChildSaKeys c = derive_child_sa_keys(t.ike.prf, sk_d, t.esp_encr, t.esp_key_bits,
                                             t.esp_integ, nullptr, H(v["ni"]), H(v["nr"]));
  EXPECT_EQ(hex(c.encr_i), v["child_encr_i"]);
  EXPECT_EQ(hex(c.integ_i), v["child_integ_i"]);
  EXPECT_EQ(hex(c.encr_r), v["child_encr_r"]);
  EXPECT_EQ(hex(c.integ_r), v["child_integ_r"]);
}

TEST_P(StrongswanVectors, PskAuthEqualsCharons) {
  const Vector& t = GetParam();
  auto v = read_vector(t.file);
  ASSERT_FALSE(v["auth_octets_1"].empty()) << t.file;
  const Bytes psk = H(v["psk"]);
  const Bytes ni = H(v["ni"]), nr = H(v["nr"]);
  const std::size_t prf_len = Prf(t.ike.prf).size();
  struct Side {
    const char* octets;
    const char* auth;
    const Bytes& peer_nonce;
    const char* sk_p;
    Bytes id_body;
  };
  // Charon (172.16.10.1) initiated; the second AUTH is the one it verified from 172.16.10.2.
  const Side sides[] = {{"auth_octets_1", "auth_1", nr, "sk_pi", id_ipv4(172, 16, 10, 1)},
                        {"auth_octets_2", "auth_2", ni, "sk_pr", id_ipv4(172, 16, 10, 2)}};
  for (const Side& s : sides) {
    SCOPED_TRACE(s.octets);
    const Bytes octets = H(v[s.octets]);
    ASSERT_GT(octets.size(), s.peer_nonce.size() + prf_len);
    // <SignedOctets> = RealMessage | peer's NonceData | prf(SK_p, ID'): charon logged the
    // whole; the real message is what precedes the nonce.
    const ByteView real_message(octets.data(), octets.size() - s.peer_nonce.size() - prf_len);
    const SecretBytes sk_p(ByteView(H(v[s.sk_p])));
    EXPECT_EQ(hex(signed_octets(real_message, s.peer_nonce, t.ike.prf, sk_p, s.id_body)),
              v[s.octets]);
    EXPECT_EQ(hex(psk_auth(t.ike.prf, psk, octets)), v[s.auth]);
    EXPECT_TRUE(verify_psk_auth(t.ike.prf, psk, octets, H(v[s.auth])));
  }
}

INSTANTIATE_TEST_SUITE_P(Charon598, StrongswanVectors, ::testing::ValuesIn(kVectors),
                         [](const ::testing::TestParamInfo<Vector>& info) {
                           std::string name = info.param.file;
                           name = name.substr(0, name.find('.'));
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace ikegate::crypto
