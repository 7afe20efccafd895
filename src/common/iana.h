// IANA registries shared by the configuration, the codecs, the crypto and the data plane.
// Values are the IKEv2 registry numbers (RFC 7296 3.3.2 and the IANA "IKEv2 Parameters"),
// so a configured algorithm, a wire transform ID and an OpenSSL suite meet in one type.
// Human-readable names (Cisco's and the RFCs') live with the code that prints them.
#pragma once

#include <cstdint>

namespace ikegate {

// Transform Type 1 - Encryption Algorithm Transform IDs.
enum class EncrId : std::uint16_t {
  DES_IV64 = 1,
  DES = 2,
  TRIPLE_DES = 3,
  NULL_ENCR = 11,
  AES_CBC = 12,
  AES_CTR = 13,
  AES_GCM_8 = 18,
  AES_GCM_12 = 19,
  AES_GCM_16 = 20,
};

// Transform Type 2 - Pseudorandom Function Transform IDs.
enum class PrfId : std::uint16_t {
  HMAC_MD5 = 1,
  HMAC_SHA1 = 2,
  HMAC_SHA2_256 = 5,
  HMAC_SHA2_384 = 6,
  HMAC_SHA2_512 = 7,
};

// Transform Type 3 - Integrity Algorithm Transform IDs.
enum class IntegId : std::uint16_t {
  NONE = 0,
  HMAC_MD5_96 = 1,
  HMAC_SHA1_96 = 2,
  HMAC_SHA2_256_128 = 12,
  HMAC_SHA2_384_192 = 13,
  HMAC_SHA2_512_256 = 14,
};

// Transform Type 4 - Diffie-Hellman Group Transform IDs (also IKEv1 group numbers).
enum class DhGroup : std::uint16_t {
  NONE = 0,
  MODP_768 = 1,
  MODP_1024 = 2,
  MODP_1536 = 5,
  MODP_2048 = 14,
  MODP_3072 = 15,
  MODP_4096 = 16,
  ECP_256 = 19,
  ECP_384 = 20,
  ECP_521 = 21,
  CURVE25519 = 31,
};

// Transform Type 5 - Extended Sequence Numbers.
enum class EsnId : std::uint16_t { NO_ESN = 0, ESN = 1 };

// A negotiated IPsec/IKE cipher suite: what the crypto module needs to build primitives.
struct CipherSuite {
  EncrId encr = EncrId::AES_CBC;
  std::uint16_t key_bits = 128;  // for AES; 0 means "the algorithm's fixed size"
  IntegId integ = IntegId::HMAC_SHA1_96;  // NONE for AEAD ciphers
  PrfId prf = PrfId::HMAC_SHA1;           // IKE SAs only
  DhGroup dh = DhGroup::NONE;
  friend bool operator==(const CipherSuite&, const CipherSuite&) = default;
};

inline bool is_aead(EncrId e) {
  return e == EncrId::AES_GCM_8 || e == EncrId::AES_GCM_12 || e == EncrId::AES_GCM_16;
}

}  // namespace ikegate
