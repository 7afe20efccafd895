// The SK/SKF payload protection (RFC 7296 3.14, RFC 5282, RFC 7383 2.5) behind the
// SkProtection interface that wire/ uses.
#pragma once

#include <cstdint>
#include <memory>

#include "common/iana.h"
#include "common/random.h"
#include "common/secret.h"
#include "common/sk_protection.h"

namespace ikegate::crypto {

// One direction's protection: (SK_ei, SK_ai) for what the initiator sends, (SK_er, SK_ar) for
// what the responder sends. For AES-GCM `integ` is IntegId::NONE, `integ_key` is empty and
// `encr_key` is the AES key followed by the 4-octet salt (RFC 5282 7.1). Returns nullptr if
// the suite is unsupported or a key has the wrong length. IVs come from OpenSSL's DRBG.
// The object keeps its cipher contexts: one thread at a time.
std::unique_ptr<SkProtection> make_sk_protection(EncrId encr, std::uint16_t key_bits, IntegId integ,
                                                 const SecretBytes& encr_key,
                                                 const SecretBytes& integ_key);
// The same with IVs from `rng`, which must outlive the object (tests and simulations).
std::unique_ptr<SkProtection> make_sk_protection(EncrId encr, std::uint16_t key_bits, IntegId integ,
                                                 const SecretBytes& encr_key,
                                                 const SecretBytes& integ_key, Random& rng);

}  // namespace ikegate::crypto
