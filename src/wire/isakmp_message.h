// ISAKMP / IKEv1 messages as values (RFC 2408 3, RFC 2407 4.6, RFC 2409, RFC 3947): a header and
// a list of payloads, each a plain struct. As in ikev2_message.h, lengths, Next Payload chains
// and counts are not stored: the encoder (isakmp_codec.h) computes them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/ip.h"
#include "wire/isakmp_types.h"

namespace ikegate::wire::isakmp {

// RFC 2408 3.3 Data Attribute: basic (TV, AF bit set, 16-bit value) or variable (TLV). A life
// duration that does not fit 16 bits travels in the variable form (RFC 2409 appendix A).
struct Attribute {
  std::uint16_t type = 0;  // without the AF bit
  bool basic = true;
  std::uint16_t value = 0;  // basic form
  Bytes data;               // variable form

  static Attribute tv(std::uint16_t type, std::uint16_t value) { return {type, true, value, {}}; }
  static Attribute tlv(std::uint16_t type, Bytes data) { return {type, false, 0, std::move(data)}; }
  // The basic form when the value fits 16 bits, else the variable form in 4 octets (8 above
  // 32 bits), as Cisco and strongSwan send life durations.
  static Attribute number(std::uint16_t type, std::uint64_t value);
  // The value of a basic attribute, or of a variable one of 1..8 octets (big-endian).
  std::optional<std::uint64_t> as_number() const;
  friend bool operator==(const Attribute&, const Attribute&) = default;
};

// RFC 2408 3.6. number is the Transform # (unique within the proposal); id a KEY_IKE (1) for
// ISAKMP or an EspTransform for ESP.
struct Transform {
  std::uint8_t number = 1;
  std::uint8_t id = kKeyIke;
  std::vector<Attribute> attributes;

  const Attribute* find(std::uint16_t type) const;
  friend bool operator==(const Transform&, const Transform&) = default;
};

// RFC 2408 3.5. Two proposals with the same number are one offer of both protocols (e.g. AH and
// ESP together); distinct numbers are alternatives.
struct Proposal {
  std::uint8_t number = 1;
  ProtocolId protocol = ProtocolId::ISAKMP;
  Bytes spi;  // empty in phase 1 (RFC 2409 5), 4 octets for ESP/AH
  std::vector<Transform> transforms;
  friend bool operator==(const Proposal&, const Proposal&) = default;
};

// RFC 2408 3.4 with the IPsec DOI's situation (RFC 2407 4.6.1). Only SIT_IDENTITY_ONLY is
// supported: the labeled-domain fields that SECRECY and INTEGRITY add are refused.
struct SaPayload {
  std::uint32_t doi = kDoiIpsec;
  std::uint32_t situation = kSituationIdentity;
  std::vector<Proposal> proposals;
  friend bool operator==(const SaPayload&, const SaPayload&) = default;
};

// RFC 2408 3.7: the group comes from the SA, not from the payload.
struct KePayload {
  Bytes data;
  friend bool operator==(const KePayload&, const KePayload&) = default;
};

// RFC 2407 4.6.2. Phase 1 identities carry protocol/port 0 or 17/500 (RFC 2407 4.6.2); Quick
// Mode client identities carry the protected subnet, protocol and port.
struct IdPayload {
  IdType type = IdType::IPV4_ADDR;
  std::uint8_t protocol = 0;
  std::uint16_t port = 0;
  Bytes data;

  static IdPayload address(const IpAddress& a, std::uint8_t protocol = 0, std::uint16_t port = 0);
  static IdPayload subnet(const IpAddress& net, const IpAddress& mask, std::uint8_t protocol = 0,
                          std::uint16_t port = 0);
  static IdPayload range(const IpAddress& start, const IpAddress& end, std::uint8_t protocol = 0,
                         std::uint16_t port = 0);
  static IdPayload fqdn(std::string_view name);
  // "10.0.0.1", "10.1.1.0/255.255.255.0", "10.0.0.1-10.0.0.9", "vpn.example.com"; others hex.
  std::string to_string() const;
  friend bool operator==(const IdPayload&, const IdPayload&) = default;
};

// RFC 2408 3.9 / 3.10. encoding is RFC 2408's Certificate Encoding (4: X.509 signature).
struct CertPayload {
  std::uint8_t encoding = 4;
  Bytes data;
  friend bool operator==(const CertPayload&, const CertPayload&) = default;
};
struct CertReqPayload {
  std::uint8_t type = 4;
  Bytes authority;
  friend bool operator==(const CertReqPayload&, const CertReqPayload&) = default;
};

// RFC 2408 3.11, 3.12, 3.13; RFC 3947 3.2 (NAT-D: a hash); draft VENDOR (3.16).
struct HashPayload {
  Bytes data;
  friend bool operator==(const HashPayload&, const HashPayload&) = default;
};
struct SigPayload {
  Bytes data;
  friend bool operator==(const SigPayload&, const SigPayload&) = default;
};
struct NoncePayload {
  Bytes data;
  friend bool operator==(const NoncePayload&, const NoncePayload&) = default;
};
struct VendorPayload {
  Bytes data;
  friend bool operator==(const VendorPayload&, const VendorPayload&) = default;
};
// Payload type NAT_D (RFC 3947) or NAT_D_DRAFT (130): the Payload says which.
struct NatDPayload {
  Bytes hash;
  friend bool operator==(const NatDPayload&, const NatDPayload&) = default;
};

// RFC 3947 5.2 NAT-OA (type NAT_OA or NAT_OA_DRAFT): the original address of one side.
struct NatOaPayload {
  IdType type = IdType::IPV4_ADDR;
  Bytes address;  // 4 octets (IPV4_ADDR) or 16 (IPV6_ADDR)
  friend bool operator==(const NatOaPayload&, const NatOaPayload&) = default;
};

// RFC 2408 3.14 with the IPsec DOI. spi: empty, 16 octets (the two cookies, for ISAKMP SA
// notifications such as DPD, RFC 3706 5) or 4 (an ESP SPI, RFC 2407 4.6.3.1).
struct NotifyPayload {
  std::uint32_t doi = kDoiIpsec;
  ProtocolId protocol = ProtocolId::ISAKMP;
  Bytes spi;
  NotifyType type = NotifyType::INITIAL_CONTACT;
  Bytes data;
  friend bool operator==(const NotifyPayload&, const NotifyPayload&) = default;
};

// RFC 2408 3.15. ISAKMP SAs are named by 16 octets (both cookies), ESP SAs by 4.
struct DeletePayload {
  std::uint32_t doi = kDoiIpsec;
  ProtocolId protocol = ProtocolId::ESP;
  std::uint8_t spi_size = 4;
  std::vector<Bytes> spis;
  friend bool operator==(const DeletePayload&, const DeletePayload&) = default;
};

// draft-dukes-ike-mode-cfg 3.2 (mode config / XAUTH transactions).
struct AttrPayload {
  CfgType type = CfgType::REQUEST;
  std::uint16_t identifier = 0;
  std::vector<Attribute> attributes;
  friend bool operator==(const AttrPayload&, const AttrPayload&) = default;
};

// A private-use payload (128..255) the codec does not parse (Cisco's IOS KEEPALIVE 128, the
// FRAGMENT 132), kept whole.
struct UnknownPayload {
  std::uint8_t type = 0;
  Bytes body;
  friend bool operator==(const UnknownPayload&, const UnknownPayload&) = default;
};

using PayloadBody =
    std::variant<SaPayload, KePayload, IdPayload, CertPayload, CertReqPayload, HashPayload,
                 SigPayload, NoncePayload, NotifyPayload, DeletePayload, VendorPayload,
                 AttrPayload, NatDPayload, NatOaPayload, UnknownPayload>;

struct Payload {
  PayloadType type = PayloadType::NONE;
  PayloadBody body;

  template <class T>
  const T* get() const {
    return std::get_if<T>(&body);
  }
  friend bool operator==(const Payload&, const Payload&) = default;
};

// The payload type a body implies (NAT_D / NAT_OA for the NAT-T bodies: pass draft = true for the
// draft numbers 130/131).
Payload make(SaPayload b);
Payload make(KePayload b);
Payload make(IdPayload b);
Payload make(CertPayload b);
Payload make(CertReqPayload b);
Payload make(HashPayload b);
Payload make(SigPayload b);
Payload make(NoncePayload b);
Payload make(NotifyPayload b);
Payload make(DeletePayload b);
Payload make(VendorPayload b);
Payload make(AttrPayload b);
Payload make(NatDPayload b, bool draft = false);
Payload make(NatOaPayload b, bool draft = false);
Payload make(UnknownPayload b);

// RFC 2408 3.1.
struct Header {
  std::uint64_t cookie_i = 0;
  std::uint64_t cookie_r = 0;
  PayloadType next_payload = PayloadType::NONE;  // computed by encode(), recorded by decode()
  std::uint8_t major_version = 1;
  std::uint8_t minor_version = 0;
  ExchangeType exchange = ExchangeType::MAIN;
  std::uint8_t flags = 0;
  std::uint32_t message_id = 0;
  std::uint32_t length = 0;  // computed by encode(), recorded by decode()
  friend bool operator==(const Header&, const Header&) = default;
};

inline constexpr std::size_t kHeaderSize = 28;
inline constexpr std::size_t kGenericHeaderSize = 4;

// Where a decoded payload lay, generic header included: an offset into the datagram (clear) or
// into the plaintext (encrypted). The hashes of RFC 2409 are computed over these octets.
struct Span {
  std::size_t offset = 0;
  std::size_t length = 0;
};

// A whole message. encrypted mirrors the E flag: decode() then leaves payloads empty and
// records where the ciphertext is; decode_plaintext() parses it once opened.
struct Message {
  Header header;
  std::vector<Payload> payloads;
  bool encrypted = false;
  std::vector<Span> spans;  // one per payload, from the decoder; ignored by the encoder
  friend bool operator==(const Message& a, const Message& b) {
    return a.header == b.header && a.payloads == b.payloads && a.encrypted == b.encrypted;
  }
};

template <class T>
const T* find(const std::vector<Payload>& payloads) {
  for (const auto& p : payloads)
    if (const T* b = p.get<T>()) return b;
  return nullptr;
}
// Every payload of a body type, in order (the two Quick Mode IDs, the VENDOR list).
template <class T>
std::vector<const T*> find_all(const std::vector<Payload>& payloads) {
  std::vector<const T*> out;
  for (const auto& p : payloads)
    if (const T* b = p.get<T>()) out.push_back(b);
  return out;
}
const NotifyPayload* find_notify(const std::vector<Payload>& payloads, NotifyType type);

}  // namespace ikegate::wire::isakmp
