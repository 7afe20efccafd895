#include "wire/ikev2_message.h"

#include <array>
#include <utility>

namespace ikegate::wire {

IdPayload IdPayload::from_address(const IpAddress& a) {
  auto octets = a.bytes();
  return {a.is_v4() ? IdType::ID_IPV4_ADDR : IdType::ID_IPV6_ADDR,
          Bytes(octets.begin(), octets.end())};
}

IdPayload IdPayload::from_fqdn(std::string_view fqdn) {
  auto v = as_bytes(fqdn);
  return {IdType::ID_FQDN, Bytes(v.begin(), v.end())};
}

IdPayload IdPayload::from_rfc822(std::string_view email) {
  auto v = as_bytes(email);
  return {IdType::ID_RFC822_ADDR, Bytes(v.begin(), v.end())};
}

IdPayload IdPayload::from_key_id(ByteView key_id) {
  return {IdType::ID_KEY_ID, Bytes(key_id.begin(), key_id.end())};
}

std::optional<IpAddress> IdPayload::address() const {
  if ((type == IdType::ID_IPV4_ADDR && data.size() == 4) ||
      (type == IdType::ID_IPV6_ADDR && data.size() == 16)) {
    return IpAddress::from_bytes(data);
  }
  return std::nullopt;
}

std::string IdPayload::to_string() const {
  switch (type) {
    case IdType::ID_IPV4_ADDR:
    case IdType::ID_IPV6_ADDR:
      if (auto a = address()) return a->to_string();
      break;
    case IdType::ID_FQDN:
    case IdType::ID_RFC822_ADDR:
      return std::string(data.begin(), data.end());
    default:
      break;
  }
  return to_hex(data);
}

TrafficSelector TrafficSelector::range(const IpAddress& start, const IpAddress& end,
                                       std::uint8_t ip_protocol, std::uint16_t start_port,
                                       std::uint16_t end_port) {
  return {start.is_v4() ? TsType::TS_IPV4_ADDR_RANGE : TsType::TS_IPV6_ADDR_RANGE,
          ip_protocol, start_port, end_port, start, end};
}

Payload make(SaPayload b) { return {PayloadType::SA, false, std::move(b)}; }
Payload make(KePayload b) { return {PayloadType::KE, false, std::move(b)}; }
Payload make(CertPayload b) { return {PayloadType::CERT, false, std::move(b)}; }
Payload make(CertReqPayload b) { return {PayloadType::CERTREQ, false, std::move(b)}; }
Payload make(AuthPayload b) { return {PayloadType::AUTH, false, std::move(b)}; }
Payload make(NoncePayload b) { return {PayloadType::NONCE, false, std::move(b)}; }
Payload make(NotifyPayload b) { return {PayloadType::NOTIFY, false, std::move(b)}; }
Payload make(DeletePayload b) { return {PayloadType::DELETE, false, std::move(b)}; }
Payload make(VendorIdPayload b) { return {PayloadType::VENDOR_ID, false, std::move(b)}; }
Payload make(CpPayload b) { return {PayloadType::CP, false, std::move(b)}; }
Payload make(EapPayload b) { return {PayloadType::EAP, false, std::move(b)}; }
Payload make(UnknownPayload b) {
  auto type = static_cast<PayloadType>(b.type);
  bool critical = b.critical;
  return {type, critical, std::move(b)};
}
Payload make_id(PayloadType which, IdPayload b) { return {which, false, std::move(b)}; }
Payload make_ts(PayloadType which, TsPayload b) { return {which, false, std::move(b)}; }
Payload make_notify(NotifyType type, Bytes data) {
  return make(NotifyPayload{ProtocolId::NONE, {}, type, std::move(data)});
}

const Payload* find(const std::vector<Payload>& payloads, PayloadType type) {
  for (const auto& p : payloads) {
    if (p.type == type) return &p;
  }
  return nullptr;
}

const NotifyPayload* find_notify(const std::vector<Payload>& payloads, NotifyType type) {
  for (const auto& p : payloads) {
    if (const auto* n = p.get<NotifyPayload>(); n && n->type == type) return n;
  }
  return nullptr;
}

const IdPayload* find_id(const std::vector<Payload>& payloads, PayloadType which) {
  const Payload* p = find(payloads, which);
  return p ? p->get<IdPayload>() : nullptr;
}

const TsPayload* find_ts(const std::vector<Payload>& payloads, PayloadType which) {
  const Payload* p = find(payloads, which);
  return p ? p->get<TsPayload>() : nullptr;
}

const NotifyPayload* find_error_notify(const std::vector<Payload>& payloads) {
  for (const auto& p : payloads) {
    if (const auto* n = p.get<NotifyPayload>(); n && is_error(n->type)) return n;
  }
  return nullptr;
}

}  // namespace ikegate::wire
