// The IKEv1 key schedule and hashes (RFC 2409 5, 5.5, appendix B; RFC 3947 3.2), on the PRFs
// of prf.h. IKEv1 negotiates a hash algorithm; its PRF is the HMAC of that hash (RFC 2409 4)
// and the IVs and NAT-D payloads use the hash itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>

#include "common/bytes.h"
#include "common/iana.h"
#include "common/ip.h"
#include "common/result.h"
#include "common/secret.h"

namespace ikegate::crypto::ikev1 {

// RFC 2409 appendix A hash algorithm (1 MD5, 2 SHA, 4/5/6 SHA2-256/384/512, RFC 4868) to the
// PRF that is its HMAC; nullopt for what this build does not offer (Tiger).
std::optional<PrfId> prf_for_hash(std::uint16_t hash_algorithm);

// The plain hash that the PRF is the HMAC of, over the concatenation of parts.
Bytes hash(PrfId prf, std::initializer_list<ByteView> parts);

struct Phase1Keys {
  SecretBytes skeyid, skeyid_d, skeyid_a, skeyid_e;
  SecretBytes encr_key;  // SKEYID_e, expanded or truncated to the cipher's key size
  Bytes iv;              // the first phase-1 IV: hash(g^xi | g^xr), truncated to the block
};

// RFC 2409 5 with pre-shared keys, SKEYID = prf(pre-shared-key, Ni_b | Nr_b), then
//   SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
//   SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
//   SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
// and the encryption key of appendix B: SKEYID_e's first octets, or, when it is shorter than
// the key, K1 | K2 | ... with K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1).
// ni/nr are the nonce bodies, g_xi/g_xr the KE bodies (initiator's, responder's).
Result<Phase1Keys> derive_phase1_psk(PrfId prf, ByteView psk, ByteView ni, ByteView nr,
                                     const SecretBytes& g_xy, std::uint64_t cky_i, std::uint64_t cky_r,
                                     EncrId encr, std::uint16_t key_bits, ByteView g_xi, ByteView g_xr);

// RFC 2409 5: HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b) and
// HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b). sa_i_body is the
// initiator's SA payload body, id_body the sender's ID payload body (both without the generic
// header).
Bytes hash_i(PrfId prf, const SecretBytes& skeyid, ByteView g_xi, ByteView g_xr, std::uint64_t cky_i,
             std::uint64_t cky_r, ByteView sa_i_body, ByteView id_i_body);
Bytes hash_r(PrfId prf, const SecretBytes& skeyid, ByteView g_xi, ByteView g_xr, std::uint64_t cky_i,
             std::uint64_t cky_r, ByteView sa_i_body, ByteView id_r_body);

// RFC 2409 5.5: `after_hash` is every payload after the HASH payload, generic headers included.
//   HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [| KE] [| IDci | IDcr])  (also 5.7 Informational)
//   HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [| KE] [| IDci | IDcr])
//   HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
Bytes quick_hash1(PrfId prf, const SecretBytes& skeyid_a, std::uint32_t message_id, ByteView after_hash);
Bytes quick_hash2(PrfId prf, const SecretBytes& skeyid_a, std::uint32_t message_id, ByteView ni,
                  ByteView after_hash);
Bytes quick_hash3(PrfId prf, const SecretBytes& skeyid_a, std::uint32_t message_id, ByteView ni, ByteView nr);

// RFC 2409 5.5 KEYMAT for the SA whose receiver chose `spi`:
//   K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b), Kn = prf(SKEYID_d, Kn-1 | ...)
// `length` octets of K1 | K2 | ... (encryption key, then authentication key: RFC 2409 5.5).
// g_xy_pfs is null without PFS. At most 255 blocks.
Result<SecretBytes> keymat(PrfId prf, const SecretBytes& skeyid_d, const SecretBytes* g_xy_pfs,
                           std::uint8_t protocol, std::uint32_t spi, ByteView ni, ByteView nr,
                           std::size_t length);

// RFC 2409 appendix B: the first IV of a Quick Mode or Informational exchange,
// hash(last phase-1 CBC output block | M-ID) truncated to the block size.
Bytes phase2_iv(PrfId prf, ByteView last_phase1_block, std::uint32_t message_id, std::size_t block_size);

// RFC 3947 3.2: NAT-D = HASH(CKY-I | CKY-R | IP | Port).
Bytes nat_d(PrfId prf, std::uint64_t cky_i, std::uint64_t cky_r, const Endpoint& endpoint);

}  // namespace ikegate::crypto::ikev1
