// The IKEv2 key schedule (RFC 7296 2.13-2.18) and the AUTH payload's pre-shared-key and
// signed-octets computations (RFC 7296 2.15).
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/iana.h"
#include "common/result.h"
#include "common/secret.h"

namespace ikegate::crypto {

struct IkeSaKeys {
  SecretBytes sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
};

// Octets of each IKE SA key for a suite: SK_d/SK_pi/SK_pr = PRF output size, SK_a = the
// integrity key size (0 for AEAD), SK_e = encr_key_size (with the GCM salt).
struct IkeSaKeySizes {
  std::size_t d = 0, a = 0, e = 0, p = 0;
  std::size_t total() const { return d + 2 * a + 2 * e + 2 * p; }
};
Result<IkeSaKeySizes> ike_sa_key_sizes(const CipherSuite& suite);

// RFC 7296 2.14: SKEYSEED = prf(Ni | Nr, g^ir), then
// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
// ni and nr are the whole Nonce Data. (For PRFs with a fixed key size, AES-XCBC/AES-CMAC, the
// RFC keys SKEYSEED with the first half of each nonce instead; none of those is offered here.)
Result<IkeSaKeys> derive_ike_sa_keys(const CipherSuite& suite, ByteView ni, ByteView nr,
                                     const SecretBytes& g_ir, std::uint64_t spi_i,
                                     std::uint64_t spi_r);

// RFC 7296 2.18, rekeying an IKE SA with CREATE_CHILD_SA: SKEYSEED = prf(SK_d (old),
// g^ir (new) | Ni | Nr) with the OLD SA's PRF; the keys then come from prf+ of the NEW suite's
// PRF over Ni | Nr | SPIi | SPIr (the new SA's SPIs, this exchange's nonces).
Result<IkeSaKeys> derive_rekeyed_ike_sa_keys(const CipherSuite& new_suite, PrfId old_prf,
                                             const SecretBytes& old_sk_d, ByteView ni,
                                             ByteView nr, const SecretBytes& g_ir_new,
                                             std::uint64_t spi_i, std::uint64_t spi_r);

// CHILD SA keys. `encr_i`/`integ_i` protect initiator -> responder traffic, `encr_r`/`integ_r`
// responder -> initiator. For AES-GCM encr_* include the 4-octet salt and integ_* are empty.
struct ChildSaKeys {
  SecretBytes encr_i, integ_i, encr_r, integ_r;
};

// RFC 7296 2.17: KEYMAT = prf+(SK_d, [g^ir (new)] | Ni | Nr), taken as encr_i, integ_i,
// encr_r, integ_r (all initiator-to-responder keys first; encryption before integrity).
// g_ir_pfs is null without PFS. Unsupported algorithms yield empty keys for that part; check
// encr_supported()/integ_supported() when negotiating.
ChildSaKeys derive_child_sa_keys(PrfId prf, const SecretBytes& sk_d, EncrId encr,
                                 std::uint16_t key_bits, IntegId integ,
                                 const SecretBytes* g_ir_pfs, ByteView ni, ByteView nr);

// RFC 7296 2.15: InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI, where
// MACedIDForI = prf(SK_pi, IDi') and IDi' is the ID payload body after the generic header
// (ID Type, three reserved octets, identification data). The responder's is symmetrical
// (RealMessage2 | NonceIData | prf(SK_pr, IDr')).
Bytes signed_octets(ByteView real_message, ByteView peer_nonce, PrfId prf, const SecretBytes& sk_p,
                    ByteView id_payload_body);

// RFC 7296 2.15: AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>).
Bytes psk_auth(PrfId prf, ByteView psk, ByteView signed_octets);
// Recomputes the AUTH data and compares in constant time.
bool verify_psk_auth(PrfId prf, ByteView psk, ByteView signed_octets, ByteView auth_data);

}  // namespace ikegate::crypto
