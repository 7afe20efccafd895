#include "wire/isakmp_message.h"

#include <fmt/format.h>

namespace ikegate::wire::isakmp {

Attribute Attribute::number(std::uint16_t type, std::uint64_t value) {
  if (value <= 0xffff) return tv(type, static_cast<std::uint16_t>(value));
  Bytes b;
  if (value <= 0xffffffffu) {
    put_be32(b, static_cast<std::uint32_t>(value));
  } else {
    put_be64(b, value);
  }
  return tlv(type, std::move(b));
}

std::optional<std::uint64_t> Attribute::as_number() const {
  if (basic) return value;
  if (data.empty() || data.size() > 8) return std::nullopt;
  std::uint64_t v = 0;
  for (std::uint8_t o : data) v = (v << 8) | o;
  return v;
}

const Attribute* Transform::find(std::uint16_t type) const {
  for (const auto& a : attributes)
    if (a.type == type) return &a;
  return nullptr;
}

IdPayload IdPayload::address(const IpAddress& a, std::uint8_t protocol, std::uint16_t port) {
  auto b = a.bytes();
  return {a.is_v4() ? IdType::IPV4_ADDR : IdType::IPV6_ADDR, protocol, port, Bytes(b.begin(), b.end())};
}

IdPayload IdPayload::subnet(const IpAddress& net, const IpAddress& mask, std::uint8_t protocol,
                            std::uint16_t port) {
  Bytes d(net.bytes().begin(), net.bytes().end());
  put_bytes(d, mask.bytes());
  return {net.is_v4() ? IdType::IPV4_ADDR_SUBNET : IdType::IPV6_ADDR_SUBNET, protocol, port, std::move(d)};
}

IdPayload IdPayload::range(const IpAddress& start, const IpAddress& end, std::uint8_t protocol,
                           std::uint16_t port) {
  Bytes d(start.bytes().begin(), start.bytes().end());
  put_bytes(d, end.bytes());
  return {start.is_v4() ? IdType::IPV4_ADDR_RANGE : IdType::IPV6_ADDR_RANGE, protocol, port, std::move(d)};
}

IdPayload IdPayload::fqdn(std::string_view name) {
  auto b = as_bytes(name);
  return {IdType::FQDN, 0, 0, Bytes(b.begin(), b.end())};
}

std::string IdPayload::to_string() const {
  ByteView d = data;
  auto addr = [&](std::size_t off, std::size_t n) {
    auto a = IpAddress::from_bytes(d.subspan(off, n));
    return a ? a->to_string() : to_hex(d.subspan(off, n));
  };
  switch (type) {
    case IdType::IPV4_ADDR:
      if (d.size() == 4) return addr(0, 4);
      break;
    case IdType::IPV6_ADDR:
      if (d.size() == 16) return addr(0, 16);
      break;
    case IdType::IPV4_ADDR_SUBNET:
      if (d.size() == 8) return addr(0, 4) + "/" + addr(4, 4);
      break;
    case IdType::IPV6_ADDR_SUBNET:
      if (d.size() == 32) return addr(0, 16) + "/" + addr(16, 16);
      break;
    case IdType::IPV4_ADDR_RANGE:
      if (d.size() == 8) return addr(0, 4) + "-" + addr(4, 4);
      break;
    case IdType::IPV6_ADDR_RANGE:
      if (d.size() == 32) return addr(0, 16) + "-" + addr(16, 16);
      break;
    case IdType::FQDN:
    case IdType::USER_FQDN: {
      std::string s(d.begin(), d.end());
      bool printable = true;
      for (char c : s) printable = printable && c >= 0x20 && c < 0x7f;
      if (printable) return s;
      break;
    }
    default:
      break;
  }
  return to_hex(d);
}

Payload make(SaPayload b) { return {PayloadType::SA, std::move(b)}; }
Payload make(KePayload b) { return {PayloadType::KE, std::move(b)}; }
Payload make(IdPayload b) { return {PayloadType::ID, std::move(b)}; }
Payload make(CertPayload b) { return {PayloadType::CERT, std::move(b)}; }
Payload make(CertReqPayload b) { return {PayloadType::CERTREQ, std::move(b)}; }
Payload make(HashPayload b) { return {PayloadType::HASH, std::move(b)}; }
Payload make(SigPayload b) { return {PayloadType::SIG, std::move(b)}; }
Payload make(NoncePayload b) { return {PayloadType::NONCE, std::move(b)}; }
Payload make(NotifyPayload b) { return {PayloadType::NOTIFY, std::move(b)}; }
Payload make(DeletePayload b) { return {PayloadType::DELETE, std::move(b)}; }
Payload make(VendorPayload b) { return {PayloadType::VENDOR, std::move(b)}; }
Payload make(AttrPayload b) { return {PayloadType::ATTR, std::move(b)}; }
Payload make(NatDPayload b, bool draft) {
  return {draft ? PayloadType::NAT_D_DRAFT : PayloadType::NAT_D, std::move(b)};
}
Payload make(NatOaPayload b, bool draft) {
  return {draft ? PayloadType::NAT_OA_DRAFT : PayloadType::NAT_OA, std::move(b)};
}
Payload make(UnknownPayload b) {
  auto t = static_cast<PayloadType>(b.type);
  return {t, std::move(b)};
}

const NotifyPayload* find_notify(const std::vector<Payload>& payloads, NotifyType type) {
  for (const auto& p : payloads)
    if (const auto* n = p.get<NotifyPayload>(); n && n->type == type) return n;
  return nullptr;
}

}  // namespace ikegate::wire::isakmp
