// IKEv2 registries (RFC 7296 3.x and the IANA "IKEv2 Parameters" registry), one enum class per
// registry, each with one name table (ikev2_types.cpp) giving the RFC spelling. Cisco's spellings
// for the debug dump live in ikev2_dump.cpp, because they are a rendering, not a protocol fact.
//
// The enums are "open": a value received on the wire that the table does not list is still held
// (static_cast), so a decoder never has to reject what it merely does not name.
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>

namespace ikegate::wire {

// RFC 7296 3.1, Exchange Type.
enum class ExchangeType : std::uint8_t {
  IKE_SA_INIT = 34,
  IKE_AUTH = 35,
  CREATE_CHILD_SA = 36,
  INFORMATIONAL = 37,
};

// RFC 7296 3.2 (Next Payload values); SKF from RFC 7383 2.5.
enum class PayloadType : std::uint8_t {
  NONE = 0,
  SA = 33,
  KE = 34,
  IDi = 35,
  IDr = 36,
  CERT = 37,
  CERTREQ = 38,
  AUTH = 39,
  NONCE = 40,
  NOTIFY = 41,
  DELETE = 42,
  VENDOR_ID = 43,
  TSi = 44,
  TSr = 45,
  SK = 46,
  CP = 47,
  EAP = 48,
  SKF = 53,
};

// RFC 7296 3.3.1, Protocol ID. NONE (0) is what RFC 7296 3.10 puts in a Notify that concerns
// no particular SA, and what 3.11 never allows in a Delete.
enum class ProtocolId : std::uint8_t {
  NONE = 0,
  IKE = 1,
  AH = 2,
  ESP = 3,
};

// RFC 7296 3.3.2, Transform Type. The IDs within each type are the EncrId/PrfId/IntegId/DhGroup/
// EsnId enums of common/iana.h.
enum class TransformType : std::uint8_t {
  ENCR = 1,
  PRF = 2,
  INTEG = 3,
  DH = 4,
  ESN = 5,
};

// RFC 7296 3.10.1 error (< 16384) and status types, plus the later RFCs' status types that the
// seeds and the issue name.
enum class NotifyType : std::uint16_t {
  // Errors.
  UNSUPPORTED_CRITICAL_PAYLOAD = 1,
  INVALID_IKE_SPI = 4,
  INVALID_MAJOR_VERSION = 5,
  INVALID_SYNTAX = 7,
  INVALID_MESSAGE_ID = 9,
  INVALID_SPI = 11,
  NO_PROPOSAL_CHOSEN = 14,
  INVALID_KE_PAYLOAD = 17,
  AUTHENTICATION_FAILED = 24,
  SINGLE_PAIR_REQUIRED = 34,
  NO_ADDITIONAL_SAS = 35,
  INTERNAL_ADDRESS_FAILURE = 36,
  FAILED_CP_REQUIRED = 37,
  TS_UNACCEPTABLE = 38,
  INVALID_SELECTORS = 39,
  TEMPORARY_FAILURE = 43,  // RFC 7296 2.25
  CHILD_SA_NOT_FOUND = 44,
  // Status types.
  INITIAL_CONTACT = 16384,
  SET_WINDOW_SIZE = 16385,
  ADDITIONAL_TS_POSSIBLE = 16386,
  IPCOMP_SUPPORTED = 16387,
  NAT_DETECTION_SOURCE_IP = 16388,
  NAT_DETECTION_DESTINATION_IP = 16389,
  COOKIE = 16390,
  USE_TRANSPORT_MODE = 16391,
  HTTP_CERT_LOOKUP_SUPPORTED = 16392,
  REKEY_SA = 16393,
  ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
  NON_FIRST_FRAGMENTS_ALSO = 16395,
  MOBIKE_SUPPORTED = 16396,          // RFC 4555
  AUTH_LIFETIME = 16403,             // RFC 4478
  MULTIPLE_AUTH_SUPPORTED = 16404,   // RFC 4739
  REDIRECT_SUPPORTED = 16406,        // RFC 5685
  EAP_ONLY_AUTHENTICATION = 16417,   // RFC 5998
  CHILDLESS_IKEV2_SUPPORTED = 16418, // RFC 6023
  IKEV2_FRAGMENTATION_SUPPORTED = 16430,  // RFC 7383
  SIGNATURE_HASH_ALGORITHMS = 16431,      // RFC 7427
};

// RFC 7296 3.10.1: types below 16384 are errors; a response carrying one is an error response.
inline bool is_error(NotifyType t) { return static_cast<std::uint16_t>(t) < 16384; }

// RFC 7296 3.5, ID Type.
enum class IdType : std::uint8_t {
  ID_IPV4_ADDR = 1,
  ID_FQDN = 2,
  ID_RFC822_ADDR = 3,
  ID_IPV6_ADDR = 5,
  ID_DER_ASN1_DN = 9,
  ID_DER_ASN1_GN = 10,
  ID_KEY_ID = 11,
};

// RFC 7296 3.8 Auth Method; RFC 4754 (ECDSA), RFC 7427 (Digital Signature).
enum class AuthMethod : std::uint8_t {
  RSA_SIG = 1,
  SHARED_KEY_MIC = 2,
  DSS = 3,
  ECDSA_SHA256_P256 = 9,
  ECDSA_SHA384_P384 = 10,
  ECDSA_SHA512_P521 = 11,
  DIGITAL_SIGNATURE = 14,
};

// RFC 7296 3.13.1, TS Type.
enum class TsType : std::uint8_t {
  TS_IPV4_ADDR_RANGE = 7,
  TS_IPV6_ADDR_RANGE = 8,
};

// RFC 7296 3.15, CFG Type.
enum class CfgType : std::uint8_t {
  CFG_REQUEST = 1,
  CFG_REPLY = 2,
  CFG_SET = 3,
  CFG_ACK = 4,
};

// RFC 7296 3.15.1, Configuration Attribute types (15 bits).
enum class CfgAttr : std::uint16_t {
  INTERNAL_IP4_ADDRESS = 1,
  INTERNAL_IP4_NETMASK = 2,
  INTERNAL_IP4_DNS = 3,
  INTERNAL_IP4_NBNS = 4,
  INTERNAL_IP4_DHCP = 6,
  APPLICATION_VERSION = 7,
  INTERNAL_IP6_ADDRESS = 8,
  INTERNAL_IP6_DNS = 10,
  INTERNAL_IP6_DHCP = 12,
  INTERNAL_IP4_SUBNET = 13,
  SUPPORTED_ATTRIBUTES = 14,
  INTERNAL_IP6_SUBNET = 15,
};

// RFC 7296 3.6, Certificate Encoding.
enum class CertEncoding : std::uint8_t {
  PKCS7_WRAPPED_X509 = 1,
  PGP_CERTIFICATE = 2,
  DNS_SIGNED_KEY = 3,
  X509_CERTIFICATE_SIGNATURE = 4,
  KERBEROS_TOKEN = 6,
  CRL = 7,
  ARL = 8,
  SPKI_CERTIFICATE = 9,
  X509_CERTIFICATE_ATTRIBUTE = 10,
  RAW_RSA_KEY = 11,
  HASH_AND_URL_X509_CERTIFICATE = 12,
  HASH_AND_URL_X509_BUNDLE = 13,
};

// RFC 7296 3.1, Flags.
inline constexpr std::uint8_t kFlagInitiator = 0x08;
inline constexpr std::uint8_t kFlagVersion = 0x10;
inline constexpr std::uint8_t kFlagResponse = 0x20;

// RFC names ("IKE_SA_INIT", "NAT_DETECTION_SOURCE_IP", ...); an unlisted value gives "".
std::string_view name(ExchangeType v);
std::string_view name(PayloadType v);
std::string_view name(ProtocolId v);
std::string_view name(TransformType v);
std::string_view name(NotifyType v);
std::string_view name(IdType v);
std::string_view name(AuthMethod v);
std::string_view name(TsType v);
std::string_view name(CfgType v);
std::string_view name(CfgAttr v);
std::string_view name(CertEncoding v);

// Whether the payload type is one this codec parses (RFC 7296 2.5: an unknown payload with the
// critical bit set makes the message unacceptable).
bool is_known(PayloadType v);

template <class E>
constexpr auto to_underlying(E e) {
  return static_cast<std::underlying_type_t<E>>(e);
}

}  // namespace ikegate::wire
