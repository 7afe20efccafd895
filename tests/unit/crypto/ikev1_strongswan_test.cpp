// The IKEv1 key schedule and hashes (RFC 2409) against a real strongSwan: Main Mode + Quick Mode
// exchanges between two charons, captured by tests/interop/tools/capture_strongswan_ikev1_keys.sh
// into tests/data/strongswan/ikev1-*.txt. The nonces and KE values are read from the messages
// charon sent and received; SKEYID*, Ka, the IV chain (RFC 2409 appendix B), HASH_I/HASH_R, the
// Quick Mode hashes and KEYMAT computed by ikegate must equal what charon logged, and the
// ciphertexts charon exchanged must decrypt with ikegate's IVs to the plaintexts it logged.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "crypto/cipher.h"
#include "crypto/ikev1.h"
#include "test_util.h"

namespace ikegate::crypto {
namespace {

using test::H;
using test::hex;

struct Suite {
  const char* file;
  PrfId prf;
  EncrId encr;
  std::uint16_t key_bits;
  std::size_t esp_encr_key, esp_integ_key;
  bool pfs;
};

const Suite kSuites[] = {
    {"ikev1-aes128-sha1-modp1536-pfs.txt", PrfId::HMAC_SHA1, EncrId::AES_CBC, 128, 16, 20, true},
    {"ikev1-aes256-sha1-modp2048.txt", PrfId::HMAC_SHA1, EncrId::AES_CBC, 256, 32, 20, false},
    {"ikev1-3des-md5-modp1024.txt", PrfId::HMAC_MD5, EncrId::TRIPLE_DES, 0, 24, 16, false},
    {"ikev1-aes256-sha256-modp2048-pfs.txt", PrfId::HMAC_SHA2_256, EncrId::AES_CBC, 256, 32, 32, true},
};

class Capture {
 public:
  explicit Capture(const std::string& file) {
    std::ifstream in(std::string(IKEGATE_SOURCE_DIR) + "/tests/data/strongswan/" + file);
    EXPECT_TRUE(in.good()) << file;
    for (std::string line; std::getline(in, line);) {
      auto eq = line.find(" = ");
      if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
      values_[line.substr(0, eq)] = line.substr(eq + 3);
    }
  }
  Bytes operator[](const std::string& key) const {
    auto it = values_.find(key);
    EXPECT_NE(it, values_.end()) << key;
    return it == values_.end() ? Bytes{} : H(it->second);
  }
  std::string text(const std::string& key) const { return values_.contains(key) ? values_.at(key) : ""; }

 private:
  std::map<std::string, std::string> values_;
};

// The payloads of an ISAKMP chain (RFC 2408 3.2), walked by hand so that this test does not
// depend on ikegate's own codec.
struct Piece {
  std::uint8_t type;
  std::size_t offset, length;  // of the whole payload, generic header included
};
std::vector<Piece> chain(ByteView data, std::uint8_t first) {
  std::vector<Piece> out;
  std::size_t at = 0;
  for (std::uint8_t type = first; type != 0 && at + 4 <= data.size();) {
    std::size_t len = load_be16(data.data() + at + 2);
    if (len < 4 || at + len > data.size()) break;
    out.push_back({type, at, len});
    type = data[at];
    at += len;
  }
  return out;
}
Bytes body(ByteView data, std::uint8_t first, std::uint8_t type) {
  for (const auto& p : chain(data, first))
    if (p.type == type) return Bytes(data.begin() + p.offset + 4, data.begin() + p.offset + p.length);
  ADD_FAILURE() << "no payload of type " << int(type);
  return {};
}
// The octets after the HASH payload up to the end of the chain (no padding).
Bytes after_hash(ByteView plain, std::uint8_t first) {
  auto c = chain(plain, first);
  EXPECT_GE(c.size(), 1u);
  if (c.empty()) return {};
  return Bytes(plain.begin() + c[0].offset + c[0].length, plain.begin() + c.back().offset + c.back().length);
}

Bytes decrypt(EncrId encr, const SecretBytes& key, ByteView iv, ByteView wire) {
  auto c = CbcCipher::create(encr, key.view());
  EXPECT_TRUE(c);
  if (!c) return {};
  ByteView ct = wire.subspan(28);
  Bytes out(ct.size());
  EXPECT_TRUE(c->decrypt(iv, ct, out));
  return out;
}
Bytes last_block(ByteView wire, std::size_t block) { return Bytes(wire.end() - static_cast<std::ptrdiff_t>(block), wire.end()); }

class Ikev1StrongSwan : public ::testing::TestWithParam<Suite> {};

TEST_P(Ikev1StrongSwan, KeyScheduleHashesAndIvChainMatchCharon) {
  const Suite& s = GetParam();
  Capture v(s.file);
  const std::size_t block = encr_block_size(s.encr);
  const SecretBytes g_xy(v["g_xy"]);
  const std::size_t dh = g_xy.size();
  const Bytes mm1 = v["mm1_wire"], mm3 = v["mm3_wire"], mm4 = v["mm4_wire"];
  ASSERT_GT(mm3.size(), 28u);
  const std::uint64_t cky_i = load_be64(mm3.data()), cky_r = load_be64(mm3.data() + 8);
  const Bytes g_xi = body(ByteView(mm3).subspan(28), mm3[16], 4), g_xr = body(ByteView(mm4).subspan(28), mm4[16], 4);
  const Bytes ni = body(ByteView(mm3).subspan(28), mm3[16], 10), nr = body(ByteView(mm4).subspan(28), mm4[16], 10);
  const Bytes sa_i = body(ByteView(mm1).subspan(28), mm1[16], 1);
  ASSERT_EQ(g_xi.size(), dh);
  ASSERT_EQ(g_xr.size(), dh);

  auto k = ikev1::derive_phase1_psk(s.prf, v["psk"], ni, nr, g_xy, cky_i, cky_r, s.encr, s.key_bits, g_xi, g_xr);
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(hex(k->skeyid), hex(v["skeyid"]));
  EXPECT_EQ(hex(k->skeyid_d), hex(v["skeyid_d"]));
  EXPECT_EQ(hex(k->skeyid_a), hex(v["skeyid_a"]));
  EXPECT_EQ(hex(k->skeyid_e), hex(v["skeyid_e"]));
  EXPECT_EQ(hex(k->encr_key), hex(v["ka"])) << "RFC 2409 appendix B expansion";
  EXPECT_EQ(hex(k->iv), hex(v["iv_initial"]));

  // HASH_I covers g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b; charon logged those octets too.
  const Bytes hid = v["hash_i_data"], hrd = v["hash_r_data"];
  const std::size_t fixed = 2 * dh + 16 + sa_i.size();
  ASSERT_GT(hid.size(), fixed);
  EXPECT_EQ(hex(ByteView(hid).first(fixed)),
            hex(g_xi) + hex(g_xr) + hex(ByteView(mm3).first(16)) + hex(sa_i));
  const Bytes id_i(hid.begin() + static_cast<std::ptrdiff_t>(fixed), hid.end());
  const Bytes id_r(hrd.begin() + static_cast<std::ptrdiff_t>(fixed), hrd.end());
  EXPECT_EQ(hex(ikev1::hash_i(s.prf, k->skeyid, g_xi, g_xr, cky_i, cky_r, sa_i, id_i)), hex(v["hash_i"]));
  EXPECT_EQ(hex(ikev1::hash_r(s.prf, k->skeyid, g_xi, g_xr, cky_i, cky_r, sa_i, id_r)), hex(v["hash_r"]));

  // Main Mode 5 and 6: the first encrypted messages, IV = hash(g^xi | g^xr), then the last
  // ciphertext block of the message before.
  const Bytes mm5 = v["mm5_wire"], mm6 = v["mm6_wire"];
  Bytes p5 = decrypt(s.encr, k->encr_key, k->iv, mm5);
  const Bytes mm5_plain = v["mm5_plain"];
  ASSERT_GE(p5.size(), mm5_plain.size());
  EXPECT_EQ(hex(ByteView(p5).first(mm5_plain.size())), hex(mm5_plain));
  EXPECT_EQ(hex(body(p5, mm5[16], 8)), hex(v["hash_i"]));
  Bytes p6 = decrypt(s.encr, k->encr_key, last_block(mm5, block), mm6);
  EXPECT_EQ(hex(p6), hex(v["mm6_plain"]));
  EXPECT_EQ(hex(body(p6, mm6[16], 8)), hex(v["hash_r"]));
  EXPECT_EQ(hex(last_block(mm6, block)), hex(v["iv_phase1_last"]));

  // Quick Mode: IV = hash(last phase-1 block | M-ID), then chained within the exchange.
  const std::uint32_t mid = static_cast<std::uint32_t>(std::stoul(v.text("qm_message_id")));
  const Bytes qm1 = v["qm1_wire"], qm2 = v["qm2_wire"], qm3 = v["qm3_wire"];
  ASSERT_EQ(load_be32(qm1.data() + 20), mid);
  Bytes q1 = decrypt(s.encr, k->encr_key, ikev1::phase2_iv(s.prf, v["iv_phase1_last"], mid, block), qm1);
  const Bytes qm1_plain = v["qm1_plain"];
  ASSERT_GE(q1.size(), qm1_plain.size());
  EXPECT_EQ(hex(ByteView(q1).first(qm1_plain.size())), hex(qm1_plain));
  EXPECT_EQ(hex(ikev1::quick_hash1(s.prf, k->skeyid_a, mid, after_hash(qm1_plain, qm1[16]))), hex(v["qm_hash1"]));
  EXPECT_EQ(hex(body(qm1_plain, qm1[16], 8)), hex(v["qm_hash1"]));
  Bytes q2 = decrypt(s.encr, k->encr_key, last_block(qm1, block), qm2);
  EXPECT_EQ(hex(q2), hex(v["qm2_plain"]));
  const Bytes ni_qm = body(qm1_plain, qm1[16], 10), nr_qm = body(q2, qm2[16], 10);
  EXPECT_EQ(hex(ikev1::quick_hash2(s.prf, k->skeyid_a, mid, ni_qm, after_hash(q2, qm2[16]))), hex(v["qm_hash2"]));
  EXPECT_EQ(hex(ikev1::quick_hash3(s.prf, k->skeyid_a, mid, ni_qm, nr_qm)), hex(v["qm_hash3"]));
  Bytes q3 = decrypt(s.encr, k->encr_key, last_block(qm2, block), qm3);
  EXPECT_EQ(hex(body(q3, qm3[16], 8)), hex(v["qm_hash3"]));

  // KEYMAT: seed = [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b; the SPI is the one the receiving
  // side chose (charon's "initiator" keys protect what the initiator sends, so their SPI is the
  // responder's).
  const SecretBytes g_qm(s.pfs ? v["qm_g_xy"] : Bytes{});
  EXPECT_EQ(!g_qm.empty(), s.pfs);
  for (const char* side : {"i", "r"}) {
    const Bytes seed = v[std::string("seed_") + side];
    ASSERT_EQ(seed.size(), g_qm.size() + 5 + ni_qm.size() + nr_qm.size()) << side;
    EXPECT_EQ(hex(ByteView(seed).first(g_qm.size())), hex(g_qm));
    EXPECT_EQ(seed[g_qm.size()], 3) << "PROTO_IPSEC_ESP";
    EXPECT_EQ(hex(ByteView(seed).subspan(g_qm.size() + 5)), hex(ni_qm) + hex(nr_qm));
    const std::uint32_t spi = load_be32(seed.data() + g_qm.size() + 1);
    auto km = ikev1::keymat(s.prf, k->skeyid_d, s.pfs ? &g_qm : nullptr, 3, spi, ni_qm, nr_qm,
                            s.esp_encr_key + s.esp_integ_key);
    ASSERT_TRUE(km);
    EXPECT_EQ(hex(km->view().first(s.esp_encr_key)), hex(v[std::string("child_encr_") + side])) << side;
    EXPECT_EQ(hex(km->view().subspan(s.esp_encr_key)), hex(v[std::string("child_integ_") + side])) << side;
  }
}

INSTANTIATE_TEST_SUITE_P(Captured, Ikev1StrongSwan, ::testing::ValuesIn(kSuites),
                         [](const auto& info) {
                           std::string n = info.param.file;
                           n = n.substr(6, n.size() - 10);
                           for (auto& c : n) if (c == '-') c = '_';
                           return n;
                         });

TEST(Ikev1Crypto, HashNamesAndNatD) {
  EXPECT_EQ(ikev1::prf_for_hash(1), PrfId::HMAC_MD5);
  EXPECT_EQ(ikev1::prf_for_hash(2), PrfId::HMAC_SHA1);
  EXPECT_EQ(ikev1::prf_for_hash(4), PrfId::HMAC_SHA2_256);
  EXPECT_EQ(ikev1::prf_for_hash(6), PrfId::HMAC_SHA2_512);
  EXPECT_FALSE(ikev1::prf_for_hash(3)) << "Tiger";
  // RFC 3947 3.2: HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash (here SHA-1).
  Endpoint ep{*IpAddress::parse("10.0.0.1"), 500};
  Bytes expect = ikev1::hash(PrfId::HMAC_SHA1, {H("0102030405060708"), H("1112131415161718"), H("0a000001"), H("01f4")});
  EXPECT_EQ(hex(ikev1::nat_d(PrfId::HMAC_SHA1, 0x0102030405060708ull, 0x1112131415161718ull, ep)), hex(expect));
  EXPECT_EQ(hex(ikev1::hash(PrfId::HMAC_SHA1, {H("616263")})), "a9993e364706816aba3e25717850c26c9cd0d89d");
  ep.port = 4500;
  EXPECT_NE(hex(ikev1::nat_d(PrfId::HMAC_SHA1, 1, 2, ep)), hex(ikev1::nat_d(PrfId::HMAC_SHA1, 1, 2, {ep.address, 500})));
}

TEST(Ikev1Crypto, KeymatExpandsAndBounds) {
  SecretBytes d(Bytes(20, 7));
  auto a = ikev1::keymat(PrfId::HMAC_SHA1, d, nullptr, 3, 0x81004014, Bytes(16, 1), Bytes(16, 2), 52);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->size(), 52u);
  auto b = ikev1::keymat(PrfId::HMAC_SHA1, d, nullptr, 3, 0x81004014, Bytes(16, 1), Bytes(16, 2), 20);
  EXPECT_EQ(hex(a->view().first(20)), hex(*b)) << "K1 first";
  auto other_spi = ikev1::keymat(PrfId::HMAC_SHA1, d, nullptr, 3, 0x81004015, Bytes(16, 1), Bytes(16, 2), 20);
  EXPECT_NE(hex(*other_spi), hex(*b));
  EXPECT_FALSE(ikev1::keymat(PrfId::HMAC_SHA1, d, nullptr, 3, 1, {}, {}, 256 * 20));
  EXPECT_FALSE(ikev1::derive_phase1_psk(PrfId::HMAC_SHA1, H("01"), {}, {}, d, 1, 2, EncrId::AES_GCM_16, 128, {}, {}))
      << "no GCM in IKEv1 phase 1";
}

}  // namespace
}  // namespace ikegate::crypto
