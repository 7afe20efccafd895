#include "wire/ikev2_codec.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <utility>

namespace ikegate::wire {

namespace {

// ---------------------------------------------------------------------------------------------
// Encoding

constexpr std::uint16_t kAttrFormatTv = 0x8000;  // RFC 7296 3.3.5: AF bit, TV format
constexpr std::uint16_t kAttrKeyLength = 14;     // RFC 7296 3.3.5: Key Length attribute
constexpr std::uint8_t kLastMore = 2;            // RFC 7296 3.3.1: more proposals follow
constexpr std::uint8_t kLastMoreTransforms = 3;  // RFC 7296 3.3.2: more transforms follow

std::uint8_t type_octet(PayloadType t) { return static_cast<std::uint8_t>(t); }

Result<void> check_u8(std::size_t n, const char* what) {
  if (n > 0xff) return fail(fmt::format("{} {} does not fit in one octet", what, n));
  return {};
}

Result<void> encode_sa(const SaPayload& sa, Bytes& out) {
  if (sa.proposals.empty()) return fail("SA payload without proposals");
  for (std::size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& p = sa.proposals[i];
    if (auto r = check_u8(p.spi.size(), "proposal SPI size"); !r) return r;
    if (auto r = check_u8(p.transforms.size(), "number of transforms"); !r) return r;
    std::size_t start = out.size();
    put_u8(out, i + 1 == sa.proposals.size() ? 0 : kLastMore);
    put_u8(out, 0);
    put_be16(out, 0);  // Proposal Length, patched below
    put_u8(out, p.number);
    put_u8(out, static_cast<std::uint8_t>(p.protocol));
    put_u8(out, static_cast<std::uint8_t>(p.spi.size()));
    put_u8(out, static_cast<std::uint8_t>(p.transforms.size()));
    put_bytes(out, p.spi);
    for (std::size_t t = 0; t < p.transforms.size(); ++t) {
      const Transform& tr = p.transforms[t];
      put_u8(out, t + 1 == p.transforms.size() ? 0 : kLastMoreTransforms);
      put_u8(out, 0);
      put_be16(out, tr.key_length ? 12 : 8);
      put_u8(out, static_cast<std::uint8_t>(tr.type));
      put_u8(out, 0);
      put_be16(out, tr.id);
      if (tr.key_length) {
        put_be16(out, kAttrFormatTv | kAttrKeyLength);
        put_be16(out, *tr.key_length);
      }
    }
    std::size_t len = out.size() - start;
    if (len > 0xffff) return fail("proposal longer than 65535 octets");
    store_be16(out.data() + start + 2, static_cast<std::uint16_t>(len));
  }
  return {};
}

Result<void> encode_ts(const TsPayload& ts, Bytes& out) {
  if (auto r = check_u8(ts.selectors.size(), "number of traffic selectors"); !r) return r;
  put_u8(out, static_cast<std::uint8_t>(ts.selectors.size()));
  put_u8(out, 0);
  put_be16(out, 0);
  for (const TrafficSelector& s : ts.selectors) {
    if (s.start.family() != s.end.family()) {
      return fail("traffic selector mixes IPv4 and IPv6 addresses");
    }
    // RFC 7296 3.13.1: the type follows the address family; it is derived, not trusted.
    bool v4 = s.start.is_v4();
    put_u8(out, static_cast<std::uint8_t>(v4 ? TsType::TS_IPV4_ADDR_RANGE
                                             : TsType::TS_IPV6_ADDR_RANGE));
    put_u8(out, s.ip_protocol);
    put_be16(out, v4 ? 16 : 40);
    put_be16(out, s.start_port);
    put_be16(out, s.end_port);
    put_bytes(out, s.start.bytes());
    put_bytes(out, s.end.bytes());
  }
  return {};
}

// The expected payload type(s) of a body, to refuse a Payload whose type and body disagree.
bool type_matches(const Payload& p) {
  return std::visit(
      [&](const auto& b) -> bool {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, SaPayload>) return p.type == PayloadType::SA;
        if constexpr (std::is_same_v<T, KePayload>) return p.type == PayloadType::KE;
        if constexpr (std::is_same_v<T, IdPayload>)
          return p.type == PayloadType::IDi || p.type == PayloadType::IDr;
        if constexpr (std::is_same_v<T, CertPayload>) return p.type == PayloadType::CERT;
        if constexpr (std::is_same_v<T, CertReqPayload>) return p.type == PayloadType::CERTREQ;
        if constexpr (std::is_same_v<T, AuthPayload>) return p.type == PayloadType::AUTH;
        if constexpr (std::is_same_v<T, NoncePayload>) return p.type == PayloadType::NONCE;
        if constexpr (std::is_same_v<T, NotifyPayload>) return p.type == PayloadType::NOTIFY;
        if constexpr (std::is_same_v<T, DeletePayload>) return p.type == PayloadType::DELETE;
        if constexpr (std::is_same_v<T, VendorIdPayload>) return p.type == PayloadType::VENDOR_ID;
        if constexpr (std::is_same_v<T, TsPayload>)
          return p.type == PayloadType::TSi || p.type == PayloadType::TSr;
        if constexpr (std::is_same_v<T, CpPayload>) return p.type == PayloadType::CP;
        if constexpr (std::is_same_v<T, EapPayload>) return p.type == PayloadType::EAP;
        if constexpr (std::is_same_v<T, UnknownPayload>)
          return static_cast<std::uint8_t>(p.type) == b.type && !is_known(p.type);
        return false;
      },
      p.body);
}

Result<void> encode_body(const Payload& p, Bytes& out) {
  return std::visit(
      [&](const auto& b) -> Result<void> {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, SaPayload>) {
          return encode_sa(b, out);
        } else if constexpr (std::is_same_v<T, KePayload>) {
          put_be16(out, static_cast<std::uint16_t>(b.group));
          put_be16(out, 0);
          put_bytes(out, b.data);
        } else if constexpr (std::is_same_v<T, IdPayload>) {
          put_u8(out, static_cast<std::uint8_t>(b.type));
          put_u8(out, 0);
          put_be16(out, 0);
          put_bytes(out, b.data);
        } else if constexpr (std::is_same_v<T, CertPayload>) {
          put_u8(out, b.encoding);
          put_bytes(out, b.data);
        } else if constexpr (std::is_same_v<T, CertReqPayload>) {
          put_u8(out, b.encoding);
          put_bytes(out, b.authorities);
        } else if constexpr (std::is_same_v<T, AuthPayload>) {
          put_u8(out, static_cast<std::uint8_t>(b.method));
          put_u8(out, 0);
          put_be16(out, 0);
          put_bytes(out, b.data);
        } else if constexpr (std::is_same_v<T, NoncePayload>) {
          put_bytes(out, b.data);
        } else if constexpr (std::is_same_v<T, NotifyPayload>) {
          if (auto r = check_u8(b.spi.size(), "notify SPI size"); !r) return r;
          put_u8(out, static_cast<std::uint8_t>(b.protocol));
          put_u8(out, static_cast<std::uint8_t>(b.spi.size()));
          put_be16(out, static_cast<std::uint16_t>(b.type));
          put_bytes(out, b.spi);
          put_bytes(out, b.data);
        } else if constexpr (std::is_same_v<T, DeletePayload>) {
          std::size_t spi_size = b.spis.empty() ? 0 : b.spis.front().size();
          for (const Bytes& s : b.spis) {
            if (s.size() != spi_size) return fail("Delete payload SPIs of different sizes");
          }
          if (auto r = check_u8(spi_size, "delete SPI size"); !r) return r;
          if (b.spis.size() > 0xffff) return fail("too many SPIs in a Delete payload");
          put_u8(out, static_cast<std::uint8_t>(b.protocol));
          put_u8(out, static_cast<std::uint8_t>(spi_size));
          put_be16(out, static_cast<std::uint16_t>(b.spis.size()));
          for (const Bytes& s : b.spis) put_bytes(out, s);
        } else if constexpr (std::is_same_v<T, VendorIdPayload>) {
          put_bytes(out, b.data);
        } else if constexpr (std::is_same_v<T, TsPayload>) {
          return encode_ts(b, out);
        } else if constexpr (std::is_same_v<T, CpPayload>) {
          put_u8(out, static_cast<std::uint8_t>(b.type));
          put_u8(out, 0);
          put_be16(out, 0);
          for (const CfgAttribute& a : b.attributes) {
            if (a.type > 0x7fff) return fail("configuration attribute type above 15 bits");
            if (a.value.size() > 0xffff) return fail("configuration attribute too long");
            put_be16(out, a.type);
            put_be16(out, static_cast<std::uint16_t>(a.value.size()));
            put_bytes(out, a.value);
          }
        } else if constexpr (std::is_same_v<T, EapPayload>) {
          put_bytes(out, b.data);
        } else if constexpr (std::is_same_v<T, UnknownPayload>) {
          put_bytes(out, b.body);
        }
        return {};
      },
      p.body);
}

void write_header(Bytes& out, const Header& h, PayloadType next, std::uint32_t length) {
  put_be64(out, h.spi_i);
  put_be64(out, h.spi_r);
  put_u8(out, type_octet(next));
  put_u8(out, static_cast<std::uint8_t>((h.major_version << 4) | (h.minor_version & 0x0f)));
  put_u8(out, static_cast<std::uint8_t>(h.exchange));
  put_u8(out, h.flags);
  put_be32(out, h.message_id);
  put_be32(out, length);
}

// ---------------------------------------------------------------------------------------------
// Decoding

std::unexpected<DecodeError> syntax(std::string what, std::size_t offset) {
  return std::unexpected(DecodeError{std::move(what), offset, NotifyType::INVALID_SYNTAX, {}});
}

std::unexpected<DecodeError> dropped(std::string what, std::size_t offset) {
  return std::unexpected(DecodeError{std::move(what), offset, std::nullopt, {}});
}

// A bounds-checked reader over one structure; `base` is the absolute offset of data[0].
struct Reader {
  ByteView data;
  std::size_t base = 0;
  std::size_t pos = 0;

  std::size_t left() const { return data.size() - pos; }
  std::size_t where() const { return base + pos; }
  bool has(std::size_t n) const { return left() >= n; }
  std::uint8_t u8() { return data[pos++]; }
  std::uint16_t u16() {
    auto v = load_be16(data.data() + pos);
    pos += 2;
    return v;
  }
  ByteView take(std::size_t n) {
    auto v = data.subspan(pos, n);
    pos += n;
    return v;
  }
  Bytes bytes(std::size_t n) {
    auto v = take(n);
    return Bytes(v.begin(), v.end());
  }
  Bytes rest() { return bytes(left()); }
};

using BodyResult = std::expected<PayloadBody, DecodeError>;

std::expected<Transform, DecodeError> decode_transform(Reader& r, bool last_expected) {
  std::size_t at = r.where();
  if (!r.has(8)) return syntax("transform truncated", at);
  std::uint8_t last = r.u8();
  r.u8();
  std::uint16_t len = r.u16();
  if (len < 8 || std::size_t{len} - 4 > r.left()) return syntax("transform length out of bounds", at + 2);
  if (last != (last_expected ? 0 : kLastMoreTransforms)) {
    return syntax("transform 'last' marker disagrees with the transform count", at);
  }
  Transform t;
  t.type = static_cast<TransformType>(r.u8());
  r.u8();
  t.id = r.u16();
  Reader attrs{r.take(len - 8), r.where() - (len - 8)};
  while (attrs.left() > 0) {
    std::size_t aat = attrs.where();
    if (!attrs.has(4)) return syntax("transform attribute truncated", aat);
    std::uint16_t type = attrs.u16();
    if (type & kAttrFormatTv) {
      std::uint16_t value = attrs.u16();
      if ((type & 0x7fff) == kAttrKeyLength && !t.key_length) {
        t.key_length = value;
      } else {
        t.unknown_attributes = true;
      }
    } else {
      std::uint16_t alen = attrs.u16();
      if (!attrs.has(alen)) return syntax("transform attribute length out of bounds", aat + 2);
      attrs.take(alen);
      t.unknown_attributes = true;
    }
  }
  return t;
}

BodyResult decode_sa(Reader r) {
  SaPayload sa;
  if (r.left() == 0) return syntax("SA payload without proposals", r.where());
  while (r.left() > 0) {
    std::size_t at = r.where();
    if (!r.has(8)) return syntax("proposal truncated", at);
    std::uint8_t last = r.u8();
    r.u8();
    std::uint16_t len = r.u16();
    if (len < 8 || std::size_t{len} - 4 > r.left()) return syntax("proposal length out of bounds", at + 2);
    Reader pr{r.take(len - 4), at + 4};
    bool is_last = r.left() == 0;
    if (last != (is_last ? 0 : kLastMore)) {
      return syntax("proposal 'last' marker disagrees with the SA payload length", at);
    }
    Proposal p;
    p.number = pr.u8();
    p.protocol = static_cast<ProtocolId>(pr.u8());
    std::uint8_t spi_size = pr.u8();
    std::uint8_t count = pr.u8();
    if (!pr.has(spi_size)) return syntax("proposal SPI beyond the proposal", at + 6);
    p.spi = pr.bytes(spi_size);
    for (std::uint8_t i = 0; i < count; ++i) {
      auto t = decode_transform(pr, i + 1 == count);
      if (!t) return std::unexpected(t.error());
      p.transforms.push_back(*t);
    }
    if (pr.left() != 0) return syntax("octets after the last transform of a proposal", pr.where());
    sa.proposals.push_back(std::move(p));
  }
  return sa;
}

BodyResult decode_ts(Reader r) {
  std::size_t at = r.where();
  if (!r.has(4)) return syntax("TS payload truncated", at);
  std::uint8_t count = r.u8();
  r.take(3);
  TsPayload ts;
  for (std::uint8_t i = 0; i < count; ++i) {
    std::size_t sat = r.where();
    if (!r.has(8)) return syntax("traffic selector truncated", sat);
    TrafficSelector s;
    std::uint8_t type = r.u8();
    s.ip_protocol = r.u8();
    std::uint16_t len = r.u16();
    s.start_port = r.u16();
    s.end_port = r.u16();
    std::size_t alen;
    if (type == static_cast<std::uint8_t>(TsType::TS_IPV4_ADDR_RANGE)) {
      alen = 4;
    } else if (type == static_cast<std::uint8_t>(TsType::TS_IPV6_ADDR_RANGE)) {
      alen = 16;
    } else {
      return syntax(fmt::format("unsupported traffic selector type {}", type), sat);
    }
    s.type = static_cast<TsType>(type);
    if (len != 8 + 2 * alen) return syntax("traffic selector length disagrees with its type", sat + 2);
    if (!r.has(2 * alen)) return syntax("traffic selector truncated", sat);
    s.start = *IpAddress::from_bytes(r.take(alen));
    s.end = *IpAddress::from_bytes(r.take(alen));
    ts.selectors.push_back(s);
  }
  if (r.left() != 0) return syntax("octets after the last traffic selector", r.where());
  return ts;
}

BodyResult decode_cp(Reader r) {
  if (!r.has(4)) return syntax("CP payload truncated", r.where());
  CpPayload cp;
  cp.type = static_cast<CfgType>(r.u8());
  r.take(3);
  while (r.left() > 0) {
    std::size_t at = r.where();
    if (!r.has(4)) return syntax("configuration attribute truncated", at);
    CfgAttribute a;
    a.type = r.u16() & 0x7fff;  // RFC 7296 3.15.1: the reserved bit is ignored on receipt
    std::uint16_t len = r.u16();
    if (!r.has(len)) return syntax("configuration attribute length out of bounds", at + 2);
    a.value = r.bytes(len);
    cp.attributes.push_back(std::move(a));
  }
  return cp;
}

BodyResult decode_body(PayloadType type, Reader r) {
  std::size_t at = r.where();
  switch (type) {
    case PayloadType::SA:
      return decode_sa(r);
    case PayloadType::KE: {
      if (!r.has(4)) return syntax("KE payload truncated", at);
      KePayload ke;
      ke.group = static_cast<DhGroup>(r.u16());
      r.u16();
      ke.data = r.rest();
      return ke;
    }
    case PayloadType::IDi:
    case PayloadType::IDr: {
      if (!r.has(4)) return syntax("ID payload truncated", at);
      IdPayload id;
      id.type = static_cast<IdType>(r.u8());
      r.take(3);
      id.data = r.rest();
      if ((id.type == IdType::ID_IPV4_ADDR && id.data.size() != 4) ||
          (id.type == IdType::ID_IPV6_ADDR && id.data.size() != 16)) {
        return syntax("ID address length disagrees with the ID type", at + 4);
      }
      return id;
    }
    case PayloadType::CERT: {
      if (!r.has(1)) return syntax("CERT payload truncated", at);
      CertPayload c;
      c.encoding = r.u8();
      c.data = r.rest();
      return c;
    }
    case PayloadType::CERTREQ: {
      if (!r.has(1)) return syntax("CERTREQ payload truncated", at);
      CertReqPayload c;
      c.encoding = r.u8();
      c.authorities = r.rest();
      return c;
    }
    case PayloadType::AUTH: {
      if (!r.has(4)) return syntax("AUTH payload truncated", at);
      AuthPayload a;
      a.method = static_cast<AuthMethod>(r.u8());
      r.take(3);
      a.data = r.rest();
      return a;
    }
    case PayloadType::NONCE:
      return NoncePayload{r.rest()};
    case PayloadType::NOTIFY: {
      if (!r.has(4)) return syntax("Notify payload truncated", at);
      NotifyPayload n;
      n.protocol = static_cast<ProtocolId>(r.u8());
      std::uint8_t spi_size = r.u8();
      n.type = static_cast<NotifyType>(r.u16());
      if (!r.has(spi_size)) return syntax("Notify SPI beyond the payload", at + 1);
      n.spi = r.bytes(spi_size);
      n.data = r.rest();
      return n;
    }
    case PayloadType::DELETE: {
      if (!r.has(4)) return syntax("Delete payload truncated", at);
      DeletePayload d;
      d.protocol = static_cast<ProtocolId>(r.u8());
      std::uint8_t spi_size = r.u8();
      std::uint16_t count = r.u16();
      if (std::size_t{spi_size} * count != r.left() || (spi_size == 0 && count != 0)) {
        return syntax("Delete SPI size and count disagree with the payload length", at + 1);
      }
      for (std::uint16_t i = 0; i < count; ++i) d.spis.push_back(r.bytes(spi_size));
      return d;
    }
    case PayloadType::VENDOR_ID:
      return VendorIdPayload{r.rest()};
    case PayloadType::TSi:
    case PayloadType::TSr:
      return decode_ts(r);
    case PayloadType::CP:
      return decode_cp(r);
    case PayloadType::EAP: {
      // RFC 3748 4: Code, Identifier, Length (of the whole EAP packet).
      if (!r.has(4)) return syntax("EAP payload truncated", at);
      if (load_be16(r.data.data() + 2) != r.left()) {
        return syntax("EAP length disagrees with the payload length", at + 2);
      }
      return EapPayload{r.rest()};
    }
    default:
      break;
  }
  return syntax("payload type without a body parser", at);
}

// Walks a Next Payload chain over `data` (absolute offset `base`). With `sk` non-null, an SK or
// SKF payload ends the walk and is recorded there; without, it is an error.
std::expected<std::vector<Payload>, DecodeError> walk_chain(PayloadType first, ByteView data,
                                                            std::size_t base, Message* sk) {
  std::vector<Payload> out;
  Reader r{data, base};
  PayloadType next = first;
  while (next != PayloadType::NONE) {
    std::size_t at = r.where();
    if (out.size() >= kMaxPayloads) {
      return syntax(fmt::format("more than {} payloads", kMaxPayloads), at);
    }
    if (!r.has(kGenericHeaderSize)) {
      return syntax(fmt::format("payload {} announced but the data ends", to_underlying(next)),
                    at);
    }
    PayloadType type = next;
    next = static_cast<PayloadType>(r.u8());
    bool critical = (r.u8() & 0x80) != 0;
    std::uint16_t len = r.u16();
    if (len < kGenericHeaderSize) return syntax("payload length below 4", at + 2);
    if (len - kGenericHeaderSize > r.left()) return syntax("payload length beyond the data", at + 2);
    Reader body{r.take(len - kGenericHeaderSize), at + kGenericHeaderSize};

    if (type == PayloadType::SK || type == PayloadType::SKF) {
      if (!sk) return syntax("SK payload inside an SK payload", at);
      // RFC 7296 3.14: SK is the last payload; its Next Payload names the first inner one.
      if (r.left() != 0) return syntax("SK payload is not the last payload", at);
      Message& m = *sk;
      m.encrypted = true;
      m.sk = SkInfo{at, next, len, type == PayloadType::SKF, 0, 0};
      if (type == PayloadType::SKF) {
        if (!body.has(4)) return syntax("SKF payload truncated", at);
        m.sk.fragment_number = body.u16();
        m.sk.total_fragments = body.u16();
        // RFC 7383 2.5: numbering starts at 1 and never exceeds the total.
        if (m.sk.fragment_number == 0 || m.sk.fragment_number > m.sk.total_fragments) {
          return syntax("SKF fragment number out of range", at + 4);
        }
      }
      return out;
    }
    if (!is_known(type) || type == PayloadType::NONE) {
      if (critical) {
        // RFC 7296 2.5 and 3.10.1: the notify carries the one-octet payload type.
        return std::unexpected(DecodeError{
            fmt::format("unsupported critical payload type {}", to_underlying(type)), at,
            NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD, Bytes{type_octet(type)}});
      }
      out.push_back({type, critical,
                     UnknownPayload{type_octet(type), critical, body.rest()}});
      continue;
    }
    auto b = decode_body(type, body);
    if (!b) return std::unexpected(b.error());
    out.push_back({type, critical, std::move(*b)});
  }
  if (r.left() != 0) return syntax("octets after the last payload", r.where());
  return out;
}

Header parse_header(ByteView d) {
  Header h;
  h.spi_i = load_be64(d.data());
  h.spi_r = load_be64(d.data() + 8);
  h.next_payload = static_cast<PayloadType>(d[16]);
  h.major_version = d[17] >> 4;
  h.minor_version = d[17] & 0x0f;
  h.exchange = static_cast<ExchangeType>(d[18]);
  h.flags = d[19];
  h.message_id = load_be32(d.data() + 20);
  h.length = load_be32(d.data() + 24);
  return h;
}

// The largest plaintext whose sealed form fits `budget` octets (sealed_size is monotonic).
std::size_t largest_fitting(const SkProtection& p, std::size_t budget) {
  std::size_t lo = 0, hi = budget;
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo + 1) / 2;
    if (p.sealed_size(mid) <= budget) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Result<Bytes> encode_payloads(const std::vector<Payload>& payloads) {
  Bytes out;
  out.reserve(256);
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const Payload& p = payloads[i];
    if (!type_matches(p)) {
      return fail(fmt::format("payload {} has a body of another type", to_underlying(p.type)));
    }
    if (p.type == PayloadType::SK || p.type == PayloadType::SKF) {
      return fail("SK/SKF are built by encode(), not given as payloads");
    }
    std::size_t start = out.size();
    put_u8(out, i + 1 < payloads.size() ? type_octet(payloads[i + 1].type) : 0);
    put_u8(out, p.critical ? 0x80 : 0);
    put_be16(out, 0);
    if (auto r = encode_body(p, out); !r) return std::unexpected(r.error());
    std::size_t len = out.size() - start;
    if (len > 0xffff) {
      return fail(fmt::format("payload {} longer than 65535 octets", name(p.type)));
    }
    store_be16(out.data() + start + 2, static_cast<std::uint16_t>(len));
  }
  return out;
}

std::size_t encoded_length(const Payload& p) {
  Bytes body;
  if (!type_matches(p) || !encode_body(p, body)) return 0;
  return kGenericHeaderSize + body.size();
}

Result<Bytes> encode(const Message& m, SkProtection* protection) {
  auto inner = encode_payloads(m.payloads);
  if (!inner) return inner;
  PayloadType first = m.payloads.empty() ? PayloadType::NONE : m.payloads.front().type;
  Bytes out;
  if (!m.encrypted) {
    std::size_t total = kHeaderSize + inner->size();
    out.reserve(total);
    write_header(out, m.header, first, static_cast<std::uint32_t>(total));
    put_bytes(out, *inner);
    return out;
  }
  if (!protection) return fail("encrypted message without SK protection");
  std::size_t sealed = protection->sealed_size(inner->size());
  if (kGenericHeaderSize + sealed > 0xffff) return fail("SK payload longer than 65535 octets");
  std::size_t total = kHeaderSize + kGenericHeaderSize + sealed;
  out.reserve(total);
  write_header(out, m.header, PayloadType::SK, static_cast<std::uint32_t>(total));
  put_u8(out, type_octet(first));
  put_u8(out, 0);
  put_be16(out, static_cast<std::uint16_t>(kGenericHeaderSize + sealed));
  out.resize(total);
  if (!protection->seal(out, kHeaderSize + kGenericHeaderSize, *inner)) {
    return fail("SK payload sealing failed");
  }
  return out;
}

std::optional<Header> peek_header(ByteView datagram) {
  if (datagram.size() < kHeaderSize) return std::nullopt;
  return parse_header(datagram);
}

std::expected<Message, DecodeError> decode(ByteView datagram) {
  if (datagram.size() < kHeaderSize) return dropped("shorter than an IKE header", datagram.size());
  Message m;
  m.header = parse_header(datagram);
  if (m.header.major_version != 2) {
    // RFC 7296 3.1: a higher major version is answered with INVALID_MAJOR_VERSION.
    return std::unexpected(DecodeError{fmt::format("IKE major version {}", m.header.major_version),
                                       17, NotifyType::INVALID_MAJOR_VERSION, {}});
  }
  if (m.header.length != datagram.size()) {
    return dropped(fmt::format("header length {} but {} octets received", m.header.length,
                               datagram.size()),
                   24);
  }
  auto payloads = walk_chain(m.header.next_payload, datagram.subspan(kHeaderSize), kHeaderSize, &m);
  if (!payloads) return std::unexpected(payloads.error());
  m.payloads = std::move(*payloads);
  return m;
}

std::expected<Bytes, DecodeError> open_sk(const Message& outer, ByteView datagram,
                                          SkProtection& protection) {
  if (!outer.encrypted) return dropped("message has no SK payload", 0);
  if (!outer.payloads.empty()) {
    return syntax("clear payloads before the SK payload", kHeaderSize);
  }
  if (datagram.size() != outer.header.length ||
      outer.sk.offset + outer.sk.length != datagram.size()) {
    return dropped("datagram does not match the decoded message", 0);
  }
  std::size_t aad = outer.sk.offset + (outer.sk.fragment ? kSkfHeaderSize : kGenericHeaderSize);
  auto plain = protection.open(datagram, aad);
  // RFC 7296 2.21.2: an ICV failure is counted and dropped, never answered.
  if (!plain) return dropped("ICV check failed", outer.sk.offset);
  return std::move(*plain);
}

std::expected<Message, DecodeError> decrypt(const Message& outer, ByteView datagram,
                                            SkProtection& protection) {
  if (outer.sk.fragment) return dropped("SKF fragment: reassemble with FragmentReassembler", 0);
  auto plain = open_sk(outer, datagram, protection);
  if (!plain) return std::unexpected(plain.error());
  auto payloads = decode_payloads(outer.sk.first_inner, *plain, 0);
  if (!payloads) return std::unexpected(payloads.error());
  Message m{outer.header, std::move(*payloads), true, outer.sk};
  return m;
}

std::expected<std::vector<Payload>, DecodeError> decode_payloads(PayloadType first, ByteView chain,
                                                                 std::size_t base_offset) {
  return walk_chain(first, chain, base_offset, nullptr);
}

std::expected<std::vector<Bytes>, DecodeError> encode_fragments(const Message& m, SkProtection& p,
                                                                std::size_t max_datagram) {
  if (!m.encrypted) return dropped("only encrypted messages are fragmented (RFC 7383 2.5)", 0);
  auto inner = encode_payloads(m.payloads);
  if (!inner) return dropped(inner.error().message, 0);
  constexpr std::size_t overhead = kHeaderSize + kSkfHeaderSize;
  if (max_datagram <= overhead || max_datagram - overhead > 0xffff - kSkfHeaderSize) {
    return dropped("fragment size out of range", 0);
  }
  std::size_t budget = max_datagram - overhead;
  std::size_t chunk = largest_fitting(p, budget);
  if (chunk == 0) return dropped("fragment size leaves no room for data", 0);
  std::size_t count = std::max<std::size_t>(1, (inner->size() + chunk - 1) / chunk);
  if (count > 0xffff) return dropped("more than 65535 fragments", 0);
  PayloadType first = m.payloads.empty() ? PayloadType::NONE : m.payloads.front().type;

  std::vector<Bytes> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t from = i * chunk;
    std::size_t n = std::min(chunk, inner->size() - from);
    ByteView part = ByteView(*inner).subspan(from, n);
    std::size_t sealed = p.sealed_size(n);
    std::size_t total = overhead + sealed;
    Bytes d;
    d.reserve(total);
    write_header(d, m.header, PayloadType::SKF, static_cast<std::uint32_t>(total));
    put_u8(d, i == 0 ? type_octet(first) : 0);  // RFC 7383 2.5
    put_u8(d, 0);
    put_be16(d, static_cast<std::uint16_t>(kSkfHeaderSize + sealed));
    put_be16(d, static_cast<std::uint16_t>(i + 1));
    put_be16(d, static_cast<std::uint16_t>(count));
    d.resize(total);
    if (!p.seal(d, overhead, part)) return dropped("SKF payload sealing failed", 0);
    out.push_back(std::move(d));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

void FragmentReassembler::reset() {
  header_.reset();
  total_ = 0;
  first_inner_ = PayloadType::NONE;
  parts_.clear();
  count_ = 0;
  bytes_ = 0;
}

std::expected<std::optional<Message>, DecodeError> FragmentReassembler::add(const Message& outer,
                                                                            Bytes plaintext) {
  const SkInfo& sk = outer.sk;
  if (!outer.encrypted || !sk.fragment) return dropped("not an SKF fragment", 0);
  std::uint16_t num = sk.fragment_number;
  std::uint16_t total = sk.total_fragments;
  if (num == 0 || num > total) return dropped("fragment number out of range", sk.offset + 4);
  if (total > limits_.max_fragments) {
    return dropped(fmt::format("{} fragments announced, at most {} accepted", total,
                               limits_.max_fragments),
                   sk.offset + 6);
  }
  // Every check on the fragment itself comes first: a refused fragment changes nothing.
  if (num != 1 && sk.first_inner != PayloadType::NONE) {
    return dropped("Next Payload set in a fragment other than the first", sk.offset);
  }
  if (num == 1 && sk.first_inner == PayloadType::NONE) {
    return dropped("first fragment without a Next Payload", sk.offset);
  }
  bool restart = false;
  if (header_) {
    const Header& h = *header_;
    constexpr std::uint8_t kRole = kFlagInitiator | kFlagResponse;
    if (h.spi_i != outer.header.spi_i || h.spi_r != outer.header.spi_r ||
        h.message_id != outer.header.message_id || h.exchange != outer.header.exchange ||
        (h.flags & kRole) != (outer.header.flags & kRole)) {
      return dropped("fragment of another message", 0);
    }
    if (total < total_) return dropped("fewer total fragments than announced before", sk.offset + 6);
    // RFC 7383 2.6.1: more fragments than before means the sender re-fragmented with a
    // smaller size; what is held is dropped once this fragment is known to be acceptable.
    restart = total > total_;
    if (!restart && parts_[num - 1]) return dropped("duplicate fragment", sk.offset + 4);
  }
  if ((restart ? 0 : bytes_) + plaintext.size() > limits_.max_bytes) {
    return dropped("reassembly exceeds the memory bound", sk.offset);
  }
  if (restart) reset();
  if (!header_) {
    header_ = outer.header;
    total_ = total;
    parts_.assign(total, std::nullopt);
  }
  if (num == 1) first_inner_ = sk.first_inner;
  bytes_ += plaintext.size();
  parts_[num - 1] = std::move(plaintext);
  ++count_;
  if (count_ < total_) return std::optional<Message>{};

  Bytes whole;
  whole.reserve(bytes_);
  for (const auto& part : parts_) put_bytes(whole, *part);
  // The header and SkInfo of the fragment that completed the message, with fragment 1's
  // Next Payload.
  Message m{outer.header, {}, true, sk};
  m.sk.first_inner = first_inner_;
  PayloadType first = first_inner_;
  reset();
  auto payloads = decode_payloads(first, whole, 0);
  if (!payloads) return std::unexpected(payloads.error());
  m.payloads = std::move(*payloads);
  return std::optional<Message>{std::move(m)};
}

}  // namespace ikegate::wire
