#include "crypto/ikev1.h"

#include <algorithm>
#include <array>
#include <cstdlib>

#include "crypto/cipher.h"
#include "crypto/ossl.h"
#include "crypto/prf.h"

namespace ikegate::crypto::ikev1 {

namespace {

using MdPtr = std::unique_ptr<EVP_MD, ossl::Deleter<EVP_MD, EVP_MD_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, ossl::Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;

const char* digest_name(PrfId prf) {
  switch (prf) {
    case PrfId::HMAC_MD5: return "MD5";
    case PrfId::HMAC_SHA1: return "SHA1";
    case PrfId::HMAC_SHA2_256: return "SHA256";
    case PrfId::HMAC_SHA2_384: return "SHA384";
    case PrfId::HMAC_SHA2_512: return "SHA512";
  }
  return nullptr;
}

std::array<std::uint8_t, 8> be64(std::uint64_t v) {
  std::array<std::uint8_t, 8> b{};
  store_be64(b.data(), v);
  return b;
}
std::array<std::uint8_t, 4> be32(std::uint32_t v) {
  std::array<std::uint8_t, 4> b{};
  store_be32(b.data(), v);
  return b;
}

Bytes public_bytes(const SecretBytes& s) { return Bytes(s.data(), s.data() + s.size()); }

}  // namespace

std::optional<PrfId> prf_for_hash(std::uint16_t h) {
  switch (h) {
    case 1: return PrfId::HMAC_MD5;
    case 2: return PrfId::HMAC_SHA1;
    case 4: return PrfId::HMAC_SHA2_256;
    case 5: return PrfId::HMAC_SHA2_384;
    case 6: return PrfId::HMAC_SHA2_512;
    default: return std::nullopt;
  }
}

Bytes hash(PrfId prf, std::initializer_list<ByteView> parts) {
  const char* name = digest_name(prf);
  if (!name) std::abort();
  MdPtr md(EVP_MD_fetch(nullptr, name, nullptr));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!md || !ctx || EVP_DigestInit_ex2(ctx.get(), md.get(), nullptr) != 1) std::abort();
  for (ByteView p : parts)
    if (!p.empty() && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) std::abort();
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md.get())));
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &n) != 1) std::abort();
  out.resize(n);
  return out;
}

Result<Phase1Keys> derive_phase1_psk(PrfId prf_id, ByteView psk, ByteView ni, ByteView nr,
                                     const SecretBytes& g_xy, std::uint64_t cky_i, std::uint64_t cky_r,
                                     EncrId encr, std::uint16_t key_bits, ByteView g_xi, ByteView g_xr) {
  if (!prf_supported(prf_id)) return fail("unsupported IKEv1 hash");
  std::size_t key_size = encr_key_size(encr, key_bits);
  std::size_t block = encr_block_size(encr);
  // RFC 2409 appendix B: IKEv1 phase 1 encrypts with CBC block ciphers only.
  bool cbc = encr == EncrId::DES || encr == EncrId::TRIPLE_DES || encr == EncrId::AES_CBC;
  if (!cbc || key_size == 0 || block < 8) return fail("unsupported IKEv1 cipher");
  Prf prf(prf_id);
  auto ci = be64(cky_i), cr = be64(cky_r);
  const std::uint8_t c0 = 0, c1 = 1, c2 = 2;
  Phase1Keys k;
  k.skeyid = prf(psk, {ni, nr});
  k.skeyid_d = prf(k.skeyid.view(), {g_xy.view(), ci, cr, ByteView(&c0, 1)});
  k.skeyid_a = prf(k.skeyid.view(), {k.skeyid_d.view(), g_xy.view(), ci, cr, ByteView(&c1, 1)});
  k.skeyid_e = prf(k.skeyid.view(), {k.skeyid_a.view(), g_xy.view(), ci, cr, ByteView(&c2, 1)});
  if (k.skeyid_e.size() >= key_size) {
    k.encr_key = k.skeyid_e.slice(0, key_size);
  } else {
    SecretBytes ka;
    SecretBytes kn = prf(k.skeyid_e.view(), ByteView(&c0, 1));
    while (true) {
      ka.append(kn.view());
      if (ka.size() >= key_size) break;
      kn = prf(k.skeyid_e.view(), kn.view());
    }
    k.encr_key = ka.slice(0, key_size);
  }
  k.iv = hash(prf_id, {g_xi, g_xr});
  k.iv.resize(block);
  return k;
}

Bytes hash_i(PrfId prf, const SecretBytes& skeyid, ByteView g_xi, ByteView g_xr, std::uint64_t cky_i,
             std::uint64_t cky_r, ByteView sa_i_body, ByteView id_i_body) {
  auto ci = be64(cky_i), cr = be64(cky_r);
  return public_bytes(Prf(prf)(skeyid.view(), {g_xi, g_xr, ci, cr, sa_i_body, id_i_body}));
}

Bytes hash_r(PrfId prf, const SecretBytes& skeyid, ByteView g_xi, ByteView g_xr, std::uint64_t cky_i,
             std::uint64_t cky_r, ByteView sa_i_body, ByteView id_r_body) {
  auto ci = be64(cky_i), cr = be64(cky_r);
  return public_bytes(Prf(prf)(skeyid.view(), {g_xr, g_xi, cr, ci, sa_i_body, id_r_body}));
}

Bytes quick_hash1(PrfId prf, const SecretBytes& skeyid_a, std::uint32_t mid, ByteView after_hash) {
  auto m = be32(mid);
  return public_bytes(Prf(prf)(skeyid_a.view(), {m, after_hash}));
}

Bytes quick_hash2(PrfId prf, const SecretBytes& skeyid_a, std::uint32_t mid, ByteView ni, ByteView after_hash) {
  auto m = be32(mid);
  return public_bytes(Prf(prf)(skeyid_a.view(), {m, ni, after_hash}));
}

Bytes quick_hash3(PrfId prf, const SecretBytes& skeyid_a, std::uint32_t mid, ByteView ni, ByteView nr) {
  auto m = be32(mid);
  const std::uint8_t zero = 0;
  return public_bytes(Prf(prf)(skeyid_a.view(), {ByteView(&zero, 1), m, ni, nr}));
}

Result<SecretBytes> keymat(PrfId prf_id, const SecretBytes& skeyid_d, const SecretBytes* g_xy_pfs,
                           std::uint8_t protocol, std::uint32_t spi, ByteView ni, ByteView nr,
                           std::size_t length) {
  Prf prf(prf_id);
  if (length > 255 * prf.size()) return fail("KEYMAT longer than 255 PRF blocks");
  auto s = be32(spi);
  ByteView g = g_xy_pfs ? g_xy_pfs->view() : ByteView{};
  SecretBytes out;
  SecretBytes k;  // Kn-1, empty for K1
  while (out.size() < length) {
    k = prf(skeyid_d.view(), {k.view(), g, ByteView(&protocol, 1), s, ni, nr});
    out.append(k.view());
  }
  return out.slice(0, length);
}

Bytes phase2_iv(PrfId prf, ByteView last_phase1_block, std::uint32_t mid, std::size_t block_size) {
  auto m = be32(mid);
  Bytes iv = hash(prf, {last_phase1_block, m});
  iv.resize(std::min(block_size, iv.size()));
  return iv;
}

Bytes nat_d(PrfId prf, std::uint64_t cky_i, std::uint64_t cky_r, const Endpoint& ep) {
  auto ci = be64(cky_i), cr = be64(cky_r);
  std::array<std::uint8_t, 2> port{};
  store_be16(port.data(), ep.port);
  return hash(prf, {ci, cr, ep.address.bytes(), port});
}

}  // namespace ikegate::crypto::ikev1
