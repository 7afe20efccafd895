#include "crypto/keys.h"

#include "crypto/cipher.h"
#include "crypto/integrity.h"
#include "crypto/prf.h"

namespace ikegate::crypto {

namespace {

// Ni | Nr | SPIi | SPIr, the prf+ seed of RFC 7296 2.14 (SPIs as their 8 wire octets).
Bytes ike_seed(ByteView ni, ByteView nr, std::uint64_t spi_i, std::uint64_t spi_r) {
  Bytes seed;
  seed.reserve(ni.size() + nr.size() + 16);
  put_bytes(seed, ni);
  put_bytes(seed, nr);
  put_be64(seed, spi_i);
  put_be64(seed, spi_r);
  return seed;
}

// Cuts the prf+ stream into the seven keys in RFC 7296 2.14's order.
IkeSaKeys split_ike_keys(const SecretBytes& stream, const IkeSaKeySizes& s) {
  IkeSaKeys k;
  std::size_t at = 0;
  auto take = [&](std::size_t n) {
    SecretBytes part = stream.slice(at, n);
    at += n;
    return part;
  };
  k.sk_d = take(s.d);
  k.sk_ai = take(s.a);
  k.sk_ar = take(s.a);
  k.sk_ei = take(s.e);
  k.sk_er = take(s.e);
  k.sk_pi = take(s.p);
  k.sk_pr = take(s.p);
  return k;
}

Result<IkeSaKeys> expand_ike_keys(const CipherSuite& suite, const SecretBytes& skeyseed,
                                  ByteView ni, ByteView nr, std::uint64_t spi_i,
                                  std::uint64_t spi_r) {
  Result<IkeSaKeySizes> sizes = ike_sa_key_sizes(suite);
  if (!sizes) return std::unexpected(sizes.error());
  const Prf prf(suite.prf);
  if (sizes->total() > prf.plus_max()) return fail("IKE SA keys exceed prf+ output");
  const SecretBytes stream = prf.plus(skeyseed.view(), ike_seed(ni, nr, spi_i, spi_r), sizes->total());
  return split_ike_keys(stream, *sizes);
}

}  // namespace

Result<IkeSaKeySizes> ike_sa_key_sizes(const CipherSuite& suite) {
  if (!prf_supported(suite.prf)) return fail("unsupported PRF");
  IkeSaKeySizes s;
  s.e = encr_key_size(suite.encr, suite.key_bits);
  if (s.e == 0) return fail("unsupported encryption algorithm or key length");
  if (is_aead(suite.encr)) {
    if (suite.integ != IntegId::NONE) return fail("AEAD encryption with an integrity algorithm");
  } else {
    if (!integ_supported(suite.integ)) return fail("unsupported integrity algorithm");
    s.a = integ_key_size(suite.integ);
  }
  const Prf prf(suite.prf);
  s.d = prf.size();
  s.p = prf.size();
  return s;
}

Result<IkeSaKeys> derive_ike_sa_keys(const CipherSuite& suite, ByteView ni, ByteView nr,
                                     const SecretBytes& g_ir, std::uint64_t spi_i,
                                     std::uint64_t spi_r) {
  if (!prf_supported(suite.prf)) return fail("unsupported PRF");
  const Prf prf(suite.prf);
  // SKEYSEED = prf(Ni | Nr, g^ir): the nonces are the key.
  Bytes nonces;
  nonces.reserve(ni.size() + nr.size());
  put_bytes(nonces, ni);
  put_bytes(nonces, nr);
  const SecretBytes skeyseed = prf(nonces, g_ir.view());
  return expand_ike_keys(suite, skeyseed, ni, nr, spi_i, spi_r);
}

Result<IkeSaKeys> derive_rekeyed_ike_sa_keys(const CipherSuite& new_suite, PrfId old_prf,
                                             const SecretBytes& old_sk_d, ByteView ni,
                                             ByteView nr, const SecretBytes& g_ir_new,
                                             std::uint64_t spi_i, std::uint64_t spi_r) {
  if (!prf_supported(old_prf)) return fail("unsupported PRF");
  // SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old SA's PRF.
  const SecretBytes skeyseed = Prf(old_prf)(old_sk_d.view(), {g_ir_new.view(), ni, nr});
  return expand_ike_keys(new_suite, skeyseed, ni, nr, spi_i, spi_r);
}

ChildSaKeys derive_child_sa_keys(PrfId prf_id, const SecretBytes& sk_d, EncrId encr,
                                 std::uint16_t key_bits, IntegId integ,
                                 const SecretBytes* g_ir_pfs, ByteView ni, ByteView nr) {
  ChildSaKeys k;
  if (!prf_supported(prf_id)) return k;
  const std::size_t e = encr_key_size(encr, key_bits);
  const std::size_t a = is_aead(encr) ? 0 : integ_key_size(integ);
  const Prf prf(prf_id);
  const std::size_t total = 2 * (e + a);
  if (total == 0 || total > prf.plus_max()) return k;
  // Seed: [g^ir (new)] | Ni | Nr. The seed carries the PFS secret, so it is wiped.
  SecretBytes seed;
  if (g_ir_pfs != nullptr) seed.append(g_ir_pfs->view());
  seed.append(ni);
  seed.append(nr);
  const SecretBytes keymat = prf.plus(sk_d.view(), seed.view(), total);
  k.encr_i = keymat.slice(0, e);
  k.integ_i = keymat.slice(e, a);
  k.encr_r = keymat.slice(e + a, e);
  k.integ_r = keymat.slice(2 * e + a, a);
  return k;
}

Bytes signed_octets(ByteView real_message, ByteView peer_nonce, PrfId prf, const SecretBytes& sk_p,
                    ByteView id_payload_body) {
  const SecretBytes maced_id = Prf(prf)(sk_p.view(), id_payload_body);
  Bytes out;
  out.reserve(real_message.size() + peer_nonce.size() + maced_id.size());
  put_bytes(out, real_message);
  put_bytes(out, peer_nonce);
  put_bytes(out, maced_id.view());
  return out;
}

Bytes psk_auth(PrfId prf_id, ByteView psk, ByteView signed_octets) {
  // RFC 7296 2.15: the pad string is the 17 ASCII octets, without a terminating NUL.
  const Prf prf(prf_id);
  const SecretBytes key = prf(psk, as_bytes("Key Pad for IKEv2"));
  const SecretBytes auth = prf(key.view(), signed_octets);
  return Bytes(auth.view().begin(), auth.view().end());
}

bool verify_psk_auth(PrfId prf, ByteView psk, ByteView signed_octets, ByteView auth_data) {
  const Bytes expected = psk_auth(prf, psk, signed_octets);
  return constant_time_equal(expected, auth_data);
}

}  // namespace ikegate::crypto
