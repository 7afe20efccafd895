#include "wire/isakmp_types.h"

#include "wire/name_table.h"

namespace ikegate::wire::isakmp {

namespace {

using detail::find_name;
using detail::Named;

constexpr Named<ExchangeType> kExchangeNames[] = {
    {ExchangeType::NONE, "NONE"},
    {ExchangeType::BASE, "BASE"},
    {ExchangeType::MAIN, "MAIN_MODE"},
    {ExchangeType::AUTH_ONLY, "AUTH_ONLY"},
    {ExchangeType::AGGRESSIVE, "AGGRESSIVE"},
    {ExchangeType::INFORMATIONAL, "INFORMATIONAL"},
    {ExchangeType::TRANSACTION, "TRANSACTION"},
    {ExchangeType::QUICK, "QUICK_MODE"},
    {ExchangeType::NEW_GROUP, "NEW_GROUP_MODE"},
};

// The spellings of ASA's "IKE_DECODE ... with payloads : HDR + SA (1) + ..." line.
constexpr Named<PayloadType> kPayloadNames[] = {
    {PayloadType::NONE, "NONE"},         {PayloadType::SA, "SA"},
    {PayloadType::PROPOSAL, "PROPOSAL"}, {PayloadType::TRANSFORM, "TRANSFORM"},
    {PayloadType::KE, "KE"},             {PayloadType::ID, "ID"},
    {PayloadType::CERT, "CERT"},         {PayloadType::CERTREQ, "CERT_REQ"},
    {PayloadType::HASH, "HASH"},         {PayloadType::SIG, "SIG"},
    {PayloadType::NONCE, "NONCE"},       {PayloadType::NOTIFY, "NOTIFY"},
    {PayloadType::DELETE, "DELETE"},     {PayloadType::VENDOR, "VENDOR"},
    {PayloadType::ATTR, "ATTR"},         {PayloadType::NAT_D, "NAT-D"},
    {PayloadType::NAT_OA, "NAT-OA"},     {PayloadType::NAT_D_DRAFT, "NAT-D"},
    {PayloadType::NAT_OA_DRAFT, "NAT-OA"}, {PayloadType::FRAGMENT, "FRAGMENT"},
};

constexpr Named<ProtocolId> kProtocolNames[] = {
    {ProtocolId::RESERVED, "RESERVED"}, {ProtocolId::ISAKMP, "PROTO_ISAKMP"},
    {ProtocolId::AH, "PROTO_IPSEC_AH"}, {ProtocolId::ESP, "PROTO_IPSEC_ESP"},
    {ProtocolId::IPCOMP, "PROTO_IPCOMP"},
};

constexpr Named<NotifyType> kNotifyNames[] = {
    {NotifyType::INVALID_PAYLOAD_TYPE, "INVALID-PAYLOAD-TYPE"},
    {NotifyType::DOI_NOT_SUPPORTED, "DOI-NOT-SUPPORTED"},
    {NotifyType::SITUATION_NOT_SUPPORTED, "SITUATION-NOT-SUPPORTED"},
    {NotifyType::INVALID_COOKIE, "INVALID-COOKIE"},
    {NotifyType::INVALID_MAJOR_VERSION, "INVALID-MAJOR-VERSION"},
    {NotifyType::INVALID_MINOR_VERSION, "INVALID-MINOR-VERSION"},
    {NotifyType::INVALID_EXCHANGE_TYPE, "INVALID-EXCHANGE-TYPE"},
    {NotifyType::INVALID_FLAGS, "INVALID-FLAGS"},
    {NotifyType::INVALID_MESSAGE_ID, "INVALID-MESSAGE-ID"},
    {NotifyType::INVALID_PROTOCOL_ID, "INVALID-PROTOCOL-ID"},
    {NotifyType::INVALID_SPI, "INVALID-SPI"},
    {NotifyType::INVALID_TRANSFORM_ID, "INVALID-TRANSFORM-ID"},
    {NotifyType::ATTRIBUTES_NOT_SUPPORTED, "ATTRIBUTES-NOT-SUPPORTED"},
    {NotifyType::NO_PROPOSAL_CHOSEN, "NO-PROPOSAL-CHOSEN"},
    {NotifyType::BAD_PROPOSAL_SYNTAX, "BAD-PROPOSAL-SYNTAX"},
    {NotifyType::PAYLOAD_MALFORMED, "PAYLOAD-MALFORMED"},
    {NotifyType::INVALID_KEY_INFORMATION, "INVALID-KEY-INFORMATION"},
    {NotifyType::INVALID_ID_INFORMATION, "INVALID-ID-INFORMATION"},
    {NotifyType::INVALID_CERT_ENCODING, "INVALID-CERT-ENCODING"},
    {NotifyType::INVALID_CERTIFICATE, "INVALID-CERTIFICATE"},
    {NotifyType::CERT_TYPE_UNSUPPORTED, "CERT-TYPE-UNSUPPORTED"},
    {NotifyType::INVALID_CERT_AUTHORITY, "INVALID-CERT-AUTHORITY"},
    {NotifyType::INVALID_HASH_INFORMATION, "INVALID-HASH-INFORMATION"},
    {NotifyType::AUTHENTICATION_FAILED, "AUTHENTICATION-FAILED"},
    {NotifyType::INVALID_SIGNATURE, "INVALID-SIGNATURE"},
    {NotifyType::ADDRESS_NOTIFICATION, "ADDRESS-NOTIFICATION"},
    {NotifyType::NOTIFY_SA_LIFETIME, "NOTIFY-SA-LIFETIME"},
    {NotifyType::CERTIFICATE_UNAVAILABLE, "CERTIFICATE-UNAVAILABLE"},
    {NotifyType::UNSUPPORTED_EXCHANGE_TYPE, "UNSUPPORTED-EXCHANGE-TYPE"},
    {NotifyType::UNEQUAL_PAYLOAD_LENGTHS, "UNEQUAL-PAYLOAD-LENGTHS"},
    {NotifyType::CONNECTED, "CONNECTED"},
    {NotifyType::RESPONDER_LIFETIME, "RESPONDER-LIFETIME"},
    {NotifyType::REPLAY_STATUS, "REPLAY-STATUS"},
    {NotifyType::INITIAL_CONTACT, "INITIAL-CONTACT"},
    {NotifyType::R_U_THERE, "R-U-THERE"},
    {NotifyType::R_U_THERE_ACK, "R-U-THERE-ACK"},
};

constexpr Named<IdType> kIdNames[] = {
    {IdType::IPV4_ADDR, "ID_IPV4_ADDR"},
    {IdType::FQDN, "ID_FQDN"},
    {IdType::USER_FQDN, "ID_USER_FQDN"},
    {IdType::IPV4_ADDR_SUBNET, "ID_IPV4_ADDR_SUBNET"},
    {IdType::IPV6_ADDR, "ID_IPV6_ADDR"},
    {IdType::IPV6_ADDR_SUBNET, "ID_IPV6_ADDR_SUBNET"},
    {IdType::IPV4_ADDR_RANGE, "ID_IPV4_ADDR_RANGE"},
    {IdType::IPV6_ADDR_RANGE, "ID_IPV6_ADDR_RANGE"},
    {IdType::DER_ASN1_DN, "ID_DER_ASN1_DN"},
    {IdType::DER_ASN1_GN, "ID_DER_ASN1_GN"},
    {IdType::KEY_ID, "ID_KEY_ID"},
};

constexpr Named<EncapMode> kEncapNames[] = {
    {EncapMode::TUNNEL, "Tunnel"},
    {EncapMode::TRANSPORT, "Transport"},
    {EncapMode::UDP_TUNNEL, "UDP-Encapsulated-Tunnel"},
    {EncapMode::UDP_TRANSPORT, "UDP-Encapsulated-Transport"},
    {EncapMode::UDP_TUNNEL_DRAFT, "UDP-Encapsulated-Tunnel (draft)"},
    {EncapMode::UDP_TRANSPORT_DRAFT, "UDP-Encapsulated-Transport (draft)"},
};

}  // namespace

std::string_view name(ExchangeType v) { return find_name(kExchangeNames, v); }
std::string_view name(PayloadType v) { return find_name(kPayloadNames, v); }
std::string_view name(ProtocolId v) { return find_name(kProtocolNames, v); }
std::string_view name(NotifyType v) { return find_name(kNotifyNames, v); }
std::string_view name(IdType v) { return find_name(kIdNames, v); }
std::string_view name(EncapMode v) { return find_name(kEncapNames, v); }

bool is_known(PayloadType v) {
  switch (v) {
    case PayloadType::SA:
    case PayloadType::KE:
    case PayloadType::ID:
    case PayloadType::CERT:
    case PayloadType::CERTREQ:
    case PayloadType::HASH:
    case PayloadType::SIG:
    case PayloadType::NONCE:
    case PayloadType::NOTIFY:
    case PayloadType::DELETE:
    case PayloadType::VENDOR:
    case PayloadType::ATTR:
    case PayloadType::NAT_D:
    case PayloadType::NAT_OA:
    case PayloadType::NAT_D_DRAFT:
    case PayloadType::NAT_OA_DRAFT:
      return true;
    default:
      return false;
  }
}

}  // namespace ikegate::wire::isakmp
