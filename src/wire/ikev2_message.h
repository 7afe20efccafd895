// IKEv2 messages as values (RFC 7296 3): a header and a list of payloads, each payload a plain
// struct. Lengths, Next Payload chains, "last proposal"/"last transform" markers and counts are
// not stored: the encoder computes them (ikev2_codec.h), so a value cannot disagree with itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/iana.h"
#include "common/ip.h"
#include "wire/ikev2_types.h"

namespace ikegate::wire {

// RFC 7296 3.3.2/3.3.5. key_length is the Key Length attribute (bits), present for AES.
struct Transform {
  TransformType type = TransformType::ENCR;
  std::uint16_t id = 0;
  std::optional<std::uint16_t> key_length;
  // Set by the decoder when the transform carried an attribute other than Key Length: RFC 7296
  // 3.3.6 says such a transform must not be selected. The encoder ignores it.
  bool unknown_attributes = false;

  static Transform encr(EncrId id, std::optional<std::uint16_t> key_bits = std::nullopt) {
    return {TransformType::ENCR, static_cast<std::uint16_t>(id), key_bits};
  }
  static Transform prf(PrfId id) { return {TransformType::PRF, static_cast<std::uint16_t>(id)}; }
  static Transform integ(IntegId id) {
    return {TransformType::INTEG, static_cast<std::uint16_t>(id)};
  }
  static Transform dh(DhGroup id) { return {TransformType::DH, static_cast<std::uint16_t>(id)}; }
  static Transform esn(EsnId id) { return {TransformType::ESN, static_cast<std::uint16_t>(id)}; }
  friend bool operator==(const Transform&, const Transform&) = default;
};

// RFC 7296 3.3.1. spi is empty for an IKE SA's first negotiation, 8 octets for an IKE SA rekey,
// 4 octets for ESP/AH.
struct Proposal {
  std::uint8_t number = 1;
  ProtocolId protocol = ProtocolId::IKE;
  Bytes spi;
  std::vector<Transform> transforms;
  friend bool operator==(const Proposal&, const Proposal&) = default;
};

struct SaPayload {
  std::vector<Proposal> proposals;
  friend bool operator==(const SaPayload&, const SaPayload&) = default;
};

// RFC 7296 3.4.
struct KePayload {
  DhGroup group = DhGroup::NONE;
  Bytes data;
  friend bool operator==(const KePayload&, const KePayload&) = default;
};

// RFC 7296 3.5. Used for IDi and IDr: the Payload carries which.
struct IdPayload {
  IdType type = IdType::ID_IPV4_ADDR;
  Bytes data;

  static IdPayload from_address(const IpAddress& a);
  static IdPayload from_fqdn(std::string_view fqdn);
  static IdPayload from_rfc822(std::string_view email);
  static IdPayload from_key_id(ByteView key_id);
  // The address of an ID_IPV4_ADDR/ID_IPV6_ADDR of the right size, else nullopt.
  std::optional<IpAddress> address() const;
  // "10.0.0.1", "vpn.example.com", "user@example.com"; other types (DN, GN, KEY_ID) as hex.
  std::string to_string() const;
  friend bool operator==(const IdPayload&, const IdPayload&) = default;
};

// RFC 7296 3.6. encoding is a CertEncoding value.
struct CertPayload {
  std::uint8_t encoding = static_cast<std::uint8_t>(CertEncoding::X509_CERTIFICATE_SIGNATURE);
  Bytes data;
  friend bool operator==(const CertPayload&, const CertPayload&) = default;
};

// RFC 7296 3.7. authorities: concatenated 20-octet SHA-1 hashes of trusted CAs' public keys.
struct CertReqPayload {
  std::uint8_t encoding = static_cast<std::uint8_t>(CertEncoding::X509_CERTIFICATE_SIGNATURE);
  Bytes authorities;
  friend bool operator==(const CertReqPayload&, const CertReqPayload&) = default;
};

// RFC 7296 3.8.
struct AuthPayload {
  AuthMethod method = AuthMethod::SHARED_KEY_MIC;
  Bytes data;
  friend bool operator==(const AuthPayload&, const AuthPayload&) = default;
};

// RFC 7296 3.9.
struct NoncePayload {
  Bytes data;
  friend bool operator==(const NoncePayload&, const NoncePayload&) = default;
};

// RFC 7296 3.10. protocol is NONE (0) when the notification concerns no particular SA.
struct NotifyPayload {
  ProtocolId protocol = ProtocolId::NONE;
  Bytes spi;
  NotifyType type = NotifyType::INITIAL_CONTACT;
  Bytes data;
  friend bool operator==(const NotifyPayload&, const NotifyPayload&) = default;
};

// RFC 7296 3.11. For IKE, spis is empty (the SA is the one the message travels on).
struct DeletePayload {
  ProtocolId protocol = ProtocolId::ESP;
  std::vector<Bytes> spis;
  friend bool operator==(const DeletePayload&, const DeletePayload&) = default;
};

// RFC 7296 3.12.
struct VendorIdPayload {
  Bytes data;
  friend bool operator==(const VendorIdPayload&, const VendorIdPayload&) = default;
};

// RFC 7296 3.13.1. The TS Type follows the addresses' family: the encoder writes 7 for IPv4 and
// 8 for IPv6; the decoder rejects a selector whose type and address length disagree.
struct TrafficSelector {
  TsType type = TsType::TS_IPV4_ADDR_RANGE;
  std::uint8_t ip_protocol = 0;  // 0: any
  std::uint16_t start_port = 0;
  std::uint16_t end_port = 65535;
  IpAddress start;
  IpAddress end;

  // A range of addresses, all protocols and ports unless given.
  static TrafficSelector range(const IpAddress& start, const IpAddress& end,
                               std::uint8_t ip_protocol = 0, std::uint16_t start_port = 0,
                               std::uint16_t end_port = 65535);
  friend bool operator==(const TrafficSelector&, const TrafficSelector&) = default;
};

// RFC 7296 3.13. Used for TSi and TSr: the Payload carries which.
struct TsPayload {
  std::vector<TrafficSelector> selectors;
  friend bool operator==(const TsPayload&, const TsPayload&) = default;
};

// RFC 7296 3.15.1. type holds the 15-bit Attribute Type (a CfgAttr value or an unlisted one,
// e.g. Cisco's 28672+ private attributes).
struct CfgAttribute {
  std::uint16_t type = 0;
  Bytes value;
  friend bool operator==(const CfgAttribute&, const CfgAttribute&) = default;
};

// RFC 7296 3.15.
struct CpPayload {
  CfgType type = CfgType::CFG_REQUEST;
  std::vector<CfgAttribute> attributes;
  friend bool operator==(const CpPayload&, const CpPayload&) = default;
};

// RFC 7296 3.16: the EAP message (RFC 3748), octet for octet.
struct EapPayload {
  Bytes data;
  friend bool operator==(const EapPayload&, const EapPayload&) = default;
};

// A payload type this codec does not parse, kept whole (RFC 7296 2.5: skip what you do not
// know unless it is critical).
struct UnknownPayload {
  std::uint8_t type = 0;
  bool critical = false;
  Bytes body;
  friend bool operator==(const UnknownPayload&, const UnknownPayload&) = default;
};

using PayloadBody =
    std::variant<SaPayload, KePayload, IdPayload, CertPayload, CertReqPayload, AuthPayload,
                 NoncePayload, NotifyPayload, DeletePayload, VendorIdPayload, TsPayload,
                 CpPayload, EapPayload, UnknownPayload>;

// One payload. The type says how the body is used: IdPayload is IDi or IDr, TsPayload is TSi or
// TSr; for the other bodies the type is fixed (make() fills it). For an UnknownPayload, type is
// its wire type. critical is the Critical bit (RFC 7296 3.2), which senders leave clear for
// payloads defined in RFC 7296.
struct Payload {
  PayloadType type = PayloadType::NONE;
  bool critical = false;
  PayloadBody body;

  template <class T>
  const T* get() const {
    return std::get_if<T>(&body);
  }
  template <class T>
  T* get() {
    return std::get_if<T>(&body);
  }
  friend bool operator==(const Payload&, const Payload&) = default;
};

// The payload type a body implies (IDi for IdPayload and TSi for TsPayload: use make_id/make_ts
// for the responder's).
Payload make(SaPayload b);
Payload make(KePayload b);
Payload make(CertPayload b);
Payload make(CertReqPayload b);
Payload make(AuthPayload b);
Payload make(NoncePayload b);
Payload make(NotifyPayload b);
Payload make(DeletePayload b);
Payload make(VendorIdPayload b);
Payload make(CpPayload b);
Payload make(EapPayload b);
Payload make(UnknownPayload b);
Payload make_id(PayloadType which /* IDi or IDr */, IdPayload b);
Payload make_ts(PayloadType which /* TSi or TSr */, TsPayload b);
// A Notify with no SPI and protocol NONE, as RFC 7296 3.10 has for IKE SA notifications.
Payload make_notify(NotifyType type, Bytes data = {});

// RFC 7296 3.1.
struct Header {
  std::uint64_t spi_i = 0;
  std::uint64_t spi_r = 0;
  PayloadType next_payload = PayloadType::NONE;  // computed by encode(), recorded by decode()
  std::uint8_t major_version = 2;
  std::uint8_t minor_version = 0;
  ExchangeType exchange = ExchangeType::IKE_SA_INIT;
  std::uint8_t flags = 0;
  std::uint32_t message_id = 0;
  std::uint32_t length = 0;  // computed by encode(), recorded by decode()

  bool is_initiator() const { return (flags & kFlagInitiator) != 0; }
  bool is_response() const { return (flags & kFlagResponse) != 0; }
  friend bool operator==(const Header&, const Header&) = default;
};

inline constexpr std::size_t kHeaderSize = 28;       // RFC 7296 3.1
inline constexpr std::size_t kGenericHeaderSize = 4;  // RFC 7296 3.2
inline constexpr std::size_t kSkfHeaderSize = 8;      // RFC 7383 2.5: generic header + 2 + 2

// What decode() saw of the SK or SKF payload (RFC 7296 3.14, RFC 7383 2.5), so decrypt() and the
// dump need not parse the datagram again.
struct SkInfo {
  std::size_t offset = 0;                     // of the SK/SKF generic payload header
  PayloadType first_inner = PayloadType::NONE;  // its Next Payload field
  std::uint16_t length = 0;                   // its Payload Length (whole payload)
  bool fragment = false;                      // SKF rather than SK
  std::uint16_t fragment_number = 0;          // SKF only, 1-based
  std::uint16_t total_fragments = 0;          // SKF only
  friend bool operator==(const SkInfo&, const SkInfo&) = default;
};

// A whole message. When encrypted is false, payloads travel in clear (IKE_SA_INIT). When it is
// true, payloads travel inside an SK payload: encode() seals them; decode() leaves payloads
// empty (holding only clear payloads that preceded SK, which decrypt() refuses) and fills sk;
// decrypt() returns the message with the inner payloads.
struct Message {
  Header header;
  std::vector<Payload> payloads;
  bool encrypted = false;
  SkInfo sk;  // meaningful only when encrypted and the message came from decode()
  friend bool operator==(const Message&, const Message&) = default;
};

// Typed look-ups in a payload list.
template <class T>
const T* find(const std::vector<Payload>& payloads) {
  for (const auto& p : payloads) {
    if (const T* b = p.get<T>()) return b;
  }
  return nullptr;
}
// The first payload of a given type (needed for IDi/IDr and TSi/TSr).
const Payload* find(const std::vector<Payload>& payloads, PayloadType type);
const NotifyPayload* find_notify(const std::vector<Payload>& payloads, NotifyType type);
const IdPayload* find_id(const std::vector<Payload>& payloads, PayloadType which);
const TsPayload* find_ts(const std::vector<Payload>& payloads, PayloadType which);
// The first error notify (RFC 7296 3.10.1: type < 16384), if any.
const NotifyPayload* find_error_notify(const std::vector<Payload>& payloads);

}  // namespace ikegate::wire
