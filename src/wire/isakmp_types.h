// ISAKMP / IKEv1 registries (RFC 2408 3.x, RFC 2407 4.x, RFC 2409 appendix A, RFC 3947, RFC 3706
// and the IANA "ISAKMP" and "IPsec DOI" registries), one enum class per registry, each with one
// name table (isakmp_types.cpp). They live in wire::isakmp so that they never meet the IKEv2
// registries of the same names (ikev2_types.h).
//
// The enums are "open", as in ikev2_types.h: an unlisted value received on the wire is held.
#pragma once

#include <cstdint>
#include <string_view>

namespace ikegate::wire::isakmp {

// RFC 2408 3.1 Exchange Type; RFC 2409 5 (Main = Identity Protection), 5.5 (Quick Mode), 5.6.
enum class ExchangeType : std::uint8_t {
  NONE = 0,
  BASE = 1,
  MAIN = 2,  // Identity Protection
  AUTH_ONLY = 3,
  AGGRESSIVE = 4,
  INFORMATIONAL = 5,
  TRANSACTION = 6,  // draft-dukes-ike-mode-cfg
  QUICK = 32,
  NEW_GROUP = 33,
};

// RFC 2408 3.1 Next Payload; 14 from draft-dukes-ike-mode-cfg; 20/21 from RFC 3947; 130/131 the
// NAT-T drafts' private numbers; 132 Cisco's IKE fragment.
enum class PayloadType : std::uint8_t {
  NONE = 0,
  SA = 1,
  PROPOSAL = 2,
  TRANSFORM = 3,
  KE = 4,
  ID = 5,
  CERT = 6,
  CERTREQ = 7,
  HASH = 8,
  SIG = 9,
  NONCE = 10,
  NOTIFY = 11,
  DELETE = 12,
  VENDOR = 13,
  ATTR = 14,
  NAT_D = 20,
  NAT_OA = 21,
  NAT_D_DRAFT = 130,
  NAT_OA_DRAFT = 131,
  FRAGMENT = 132,
};

// RFC 2408 3.1 Flags.
inline constexpr std::uint8_t kFlagEncryption = 0x01;
inline constexpr std::uint8_t kFlagCommit = 0x02;
inline constexpr std::uint8_t kFlagAuthOnly = 0x04;

inline constexpr std::uint32_t kDoiIpsec = 1;           // RFC 2407 4.2
inline constexpr std::uint32_t kSituationIdentity = 1;  // SIT_IDENTITY_ONLY, RFC 2407 4.2

// RFC 2407 4.4.1 Protocol Identifier.
enum class ProtocolId : std::uint8_t {
  RESERVED = 0,
  ISAKMP = 1,
  AH = 2,
  ESP = 3,
  IPCOMP = 4,
};

// RFC 2407 4.4.2 (ISAKMP: KEY_IKE) and 4.4.4 (ESP transform IDs).
inline constexpr std::uint8_t kKeyIke = 1;
enum class EspTransform : std::uint8_t {
  DES_IV64 = 1,
  DES = 2,
  TRIPLE_DES = 3,
  NULL_ENCR = 11,
  AES = 12,  // RFC 3602
};

// RFC 2409 appendix A: phase-1 attribute classes.
enum class Phase1Attr : std::uint16_t {
  ENCRYPTION = 1,
  HASH = 2,
  AUTH_METHOD = 3,
  GROUP_DESCRIPTION = 4,
  GROUP_TYPE = 5,
  LIFE_TYPE = 11,
  LIFE_DURATION = 12,
  PRF = 13,
  KEY_LENGTH = 14,
  FIELD_SIZE = 15,
  GROUP_ORDER = 16,
};

// RFC 2409 appendix A values.
enum class Phase1Encr : std::uint16_t { DES_CBC = 1, IDEA_CBC = 2, BLOWFISH_CBC = 3, TRIPLE_DES_CBC = 5, AES_CBC = 7 };
enum class HashAlg : std::uint16_t { MD5 = 1, SHA = 2, TIGER = 3, SHA2_256 = 4, SHA2_384 = 5, SHA2_512 = 6 };
enum class AuthMethod : std::uint16_t {
  PRE_SHARED = 1,
  DSS_SIG = 2,
  RSA_SIG = 3,
  RSA_ENC = 4,
  RSA_ENC_REVISED = 5,
  XAUTH_INIT_PRE_SHARED = 65001,  // draft-beaulieu-ike-xauth
};
enum class LifeType : std::uint16_t { SECONDS = 1, KILOBYTES = 2 };

// RFC 2407 4.5: IPsec SA (phase-2) attribute classes.
enum class Phase2Attr : std::uint16_t {
  LIFE_TYPE = 1,
  LIFE_DURATION = 2,
  GROUP_DESCRIPTION = 3,
  ENCAPSULATION_MODE = 4,
  AUTH_ALGORITHM = 5,
  KEY_LENGTH = 6,
  KEY_ROUNDS = 7,
  COMPRESS_DICT_SIZE = 8,
  COMPRESS_PRIVATE_ALG = 9,
};

// RFC 2407 4.5 Encapsulation Mode; RFC 3947 5.2 (3, 4); the drafts' private values.
enum class EncapMode : std::uint16_t {
  TUNNEL = 1,
  TRANSPORT = 2,
  UDP_TUNNEL = 3,
  UDP_TRANSPORT = 4,
  UDP_TUNNEL_DRAFT = 61443,
  UDP_TRANSPORT_DRAFT = 61444,
};

// RFC 2407 4.5 Authentication Algorithm (and RFC 4868 for SHA-2).
enum class AuthAlg : std::uint16_t {
  NONE = 0,
  HMAC_MD5 = 1,
  HMAC_SHA = 2,
  HMAC_SHA2_256 = 5,
  HMAC_SHA2_384 = 6,
  HMAC_SHA2_512 = 7,
};

// RFC 2408 3.14.1 notify types (errors below 8192), RFC 2407 4.6.3 status types, RFC 3706.
enum class NotifyType : std::uint16_t {
  INVALID_PAYLOAD_TYPE = 1,
  DOI_NOT_SUPPORTED = 2,
  SITUATION_NOT_SUPPORTED = 3,
  INVALID_COOKIE = 4,
  INVALID_MAJOR_VERSION = 5,
  INVALID_MINOR_VERSION = 6,
  INVALID_EXCHANGE_TYPE = 7,
  INVALID_FLAGS = 8,
  INVALID_MESSAGE_ID = 9,
  INVALID_PROTOCOL_ID = 10,
  INVALID_SPI = 11,
  INVALID_TRANSFORM_ID = 12,
  ATTRIBUTES_NOT_SUPPORTED = 13,
  NO_PROPOSAL_CHOSEN = 14,
  BAD_PROPOSAL_SYNTAX = 15,
  PAYLOAD_MALFORMED = 16,
  INVALID_KEY_INFORMATION = 17,
  INVALID_ID_INFORMATION = 18,
  INVALID_CERT_ENCODING = 19,
  INVALID_CERTIFICATE = 20,
  CERT_TYPE_UNSUPPORTED = 21,
  INVALID_CERT_AUTHORITY = 22,
  INVALID_HASH_INFORMATION = 23,
  AUTHENTICATION_FAILED = 24,
  INVALID_SIGNATURE = 25,
  ADDRESS_NOTIFICATION = 26,
  NOTIFY_SA_LIFETIME = 27,
  CERTIFICATE_UNAVAILABLE = 28,
  UNSUPPORTED_EXCHANGE_TYPE = 29,
  UNEQUAL_PAYLOAD_LENGTHS = 30,
  CONNECTED = 16384,
  RESPONDER_LIFETIME = 24576,  // RFC 2407 4.6.3.1
  REPLAY_STATUS = 24577,
  INITIAL_CONTACT = 24578,
  R_U_THERE = 36136,      // RFC 3706 5
  R_U_THERE_ACK = 36137,  // RFC 3706 5
};

inline bool is_error(NotifyType t) { return static_cast<std::uint16_t>(t) < 8192; }

// RFC 2407 4.6.2.1 Identification Type.
enum class IdType : std::uint8_t {
  IPV4_ADDR = 1,
  FQDN = 2,
  USER_FQDN = 3,
  IPV4_ADDR_SUBNET = 4,
  IPV6_ADDR = 5,
  IPV6_ADDR_SUBNET = 6,
  IPV4_ADDR_RANGE = 7,
  IPV6_ADDR_RANGE = 8,
  DER_ASN1_DN = 9,
  DER_ASN1_GN = 10,
  KEY_ID = 11,
};

// draft-dukes-ike-mode-cfg 3.2: ATTR payload types.
enum class CfgType : std::uint8_t { REQUEST = 1, REPLY = 2, SET = 3, ACK = 4 };

std::string_view name(ExchangeType v);
std::string_view name(PayloadType v);
std::string_view name(ProtocolId v);
std::string_view name(NotifyType v);
std::string_view name(IdType v);
std::string_view name(EncapMode v);

// Whether the decoder parses the payload type (the rest are refused with INVALID-PAYLOAD-TYPE
// below 128, and kept whole from the private range 128..255, RFC 2408 3.1).
bool is_known(PayloadType v);

}  // namespace ikegate::wire::isakmp
