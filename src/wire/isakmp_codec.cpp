#include "wire/isakmp_codec.h"

#include <fmt/format.h>

#include <type_traits>
#include <utility>

namespace ikegate::wire::isakmp {

namespace {

constexpr std::uint16_t kAttrBasic = 0x8000;  // RFC 2408 3.3: AF bit

std::uint8_t octet(PayloadType t) { return static_cast<std::uint8_t>(t); }

// ---------------------------------------------------------------------------------------------
// Encoding

Result<void> put_attributes(Bytes& out, const std::vector<Attribute>& attrs) {
  for (const Attribute& a : attrs) {
    if (a.type & kAttrBasic) return fail(fmt::format("attribute type {} above 15 bits", a.type));
    if (a.basic) {
      put_be16(out, static_cast<std::uint16_t>(kAttrBasic | a.type));
      put_be16(out, a.value);
    } else {
      if (a.data.size() > 0xffff) return fail("variable attribute longer than 65535 octets");
      put_be16(out, a.type);
      put_be16(out, static_cast<std::uint16_t>(a.data.size()));
      put_bytes(out, a.data);
    }
  }
  return {};
}

// A generic payload header whose length is patched once the body is written.
struct Patch {
  Bytes& out;
  std::size_t start;
  Patch(Bytes& o, std::uint8_t next) : out(o), start(o.size()) {
    put_u8(out, next);
    put_u8(out, 0);
    put_be16(out, 0);
  }
  Result<void> close(const char* what) {
    std::size_t len = out.size() - start;
    if (len > 0xffff) return fail(fmt::format("{} longer than 65535 octets", what));
    store_be16(out.data() + start + 2, static_cast<std::uint16_t>(len));
    return {};
  }
};

Result<void> encode_sa(const SaPayload& sa, Bytes& out) {
  if (sa.proposals.empty()) return fail("SA payload without proposals");
  if (sa.situation != kSituationIdentity) return fail("only SIT_IDENTITY_ONLY is encoded");
  put_be32(out, sa.doi);
  put_be32(out, sa.situation);
  for (std::size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& p = sa.proposals[i];
    if (p.spi.size() > 0xff || p.transforms.size() > 0xff || p.transforms.empty())
      return fail("proposal SPI or transform count out of range");
    Patch prop(out, i + 1 < sa.proposals.size() ? octet(PayloadType::PROPOSAL) : 0);
    put_u8(out, p.number);
    put_u8(out, static_cast<std::uint8_t>(p.protocol));
    put_u8(out, static_cast<std::uint8_t>(p.spi.size()));
    put_u8(out, static_cast<std::uint8_t>(p.transforms.size()));
    put_bytes(out, p.spi);
    for (std::size_t t = 0; t < p.transforms.size(); ++t) {
      const Transform& tr = p.transforms[t];
      Patch tp(out, t + 1 < p.transforms.size() ? octet(PayloadType::TRANSFORM) : 0);
      put_u8(out, tr.number);
      put_u8(out, tr.id);
      put_be16(out, 0);
      if (auto r = put_attributes(out, tr.attributes); !r) return r;
      if (auto r = tp.close("transform"); !r) return r;
    }
    if (auto r = prop.close("proposal"); !r) return r;
  }
  return {};
}

Result<void> encode_body_into(const Payload& p, Bytes& out) {
  return std::visit(
      [&](const auto& b) -> Result<void> {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, SaPayload>) {
          return encode_sa(b, out);
        } else if constexpr (std::is_same_v<T, IdPayload>) {
          put_u8(out, static_cast<std::uint8_t>(b.type));
          put_u8(out, b.protocol);
          put_be16(out, b.port);
          put_bytes(out, b.data);
        } else if constexpr (std::is_same_v<T, CertPayload>) {
          put_u8(out, b.encoding);
          put_bytes(out, b.data);
        } else if constexpr (std::is_same_v<T, CertReqPayload>) {
          put_u8(out, b.type);
          put_bytes(out, b.authority);
        } else if constexpr (std::is_same_v<T, NotifyPayload>) {
          if (b.spi.size() > 0xff) return fail("notify SPI longer than 255 octets");
          put_be32(out, b.doi);
          put_u8(out, static_cast<std::uint8_t>(b.protocol));
          put_u8(out, static_cast<std::uint8_t>(b.spi.size()));
          put_be16(out, static_cast<std::uint16_t>(b.type));
          put_bytes(out, b.spi);
          put_bytes(out, b.data);
        } else if constexpr (std::is_same_v<T, DeletePayload>) {
          if (b.spis.empty() || b.spis.size() > 0xffff) return fail("Delete payload SPI count out of range");
          for (const Bytes& s : b.spis)
            if (s.size() != b.spi_size) return fail("Delete payload SPI of another size");
          put_be32(out, b.doi);
          put_u8(out, static_cast<std::uint8_t>(b.protocol));
          put_u8(out, b.spi_size);
          put_be16(out, static_cast<std::uint16_t>(b.spis.size()));
          for (const Bytes& s : b.spis) put_bytes(out, s);
        } else if constexpr (std::is_same_v<T, AttrPayload>) {
          put_u8(out, static_cast<std::uint8_t>(b.type));
          put_u8(out, 0);
          put_be16(out, b.identifier);
          return put_attributes(out, b.attributes);
        } else if constexpr (std::is_same_v<T, NatOaPayload>) {
          put_u8(out, static_cast<std::uint8_t>(b.type));
          put_u8(out, 0);
          put_be16(out, 0);
          put_bytes(out, b.address);
        } else if constexpr (std::is_same_v<T, NatDPayload>) {
          put_bytes(out, b.hash);
        } else if constexpr (std::is_same_v<T, UnknownPayload>) {
          put_bytes(out, b.body);
        } else {
          put_bytes(out, b.data);  // KE, HASH, SIG, NONCE, VENDOR
        }
        return {};
      },
      p.body);
}

bool type_matches(const Payload& p) {
  return std::visit(
      [&](const auto& b) -> bool {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, NatDPayload>)
          return p.type == PayloadType::NAT_D || p.type == PayloadType::NAT_D_DRAFT;
        else if constexpr (std::is_same_v<T, NatOaPayload>)
          return p.type == PayloadType::NAT_OA || p.type == PayloadType::NAT_OA_DRAFT;
        else if constexpr (std::is_same_v<T, UnknownPayload>)
          return octet(p.type) == b.type && octet(p.type) >= 128 && !is_known(p.type);
        else
          return make(T{}).type == p.type;
      },
      p.body);
}

void write_header(Bytes& out, const Header& h, PayloadType next, std::uint8_t flags, std::uint32_t length) {
  put_be64(out, h.cookie_i);
  put_be64(out, h.cookie_r);
  put_u8(out, octet(next));
  put_u8(out, static_cast<std::uint8_t>((h.major_version << 4) | (h.minor_version & 0x0f)));
  put_u8(out, static_cast<std::uint8_t>(h.exchange));
  put_u8(out, flags);
  put_be32(out, h.message_id);
  put_be32(out, length);
}

// ---------------------------------------------------------------------------------------------
// Decoding

std::unexpected<DecodeError> error(std::string what, std::size_t offset,
                                   NotifyType notify = NotifyType::PAYLOAD_MALFORMED) {
  return std::unexpected(DecodeError{std::move(what), offset, notify});
}
std::unexpected<DecodeError> dropped(std::string what, std::size_t offset) {
  return std::unexpected(DecodeError{std::move(what), offset, std::nullopt});
}

// A bounds-checked cursor; `base` is the absolute offset of view[0].
class Cursor {
 public:
  Cursor(ByteView v, std::size_t base) : v_(v), base_(base) {}
  std::size_t left() const { return v_.size() - pos_; }
  std::size_t at() const { return base_ + pos_; }
  bool has(std::size_t n) const { return left() >= n; }
  std::uint8_t u8() { return v_[pos_++]; }
  std::uint16_t u16() {
    pos_ += 2;
    return load_be16(v_.data() + pos_ - 2);
  }
  std::uint32_t u32() {
    pos_ += 4;
    return load_be32(v_.data() + pos_ - 4);
  }
  ByteView view(std::size_t n) {
    pos_ += n;
    return v_.subspan(pos_ - n, n);
  }
  Bytes copy(std::size_t n) {
    auto s = view(n);
    return Bytes(s.begin(), s.end());
  }
  Bytes rest() { return copy(left()); }

 private:
  ByteView v_;
  std::size_t base_;
  std::size_t pos_ = 0;
};

std::expected<std::vector<Attribute>, DecodeError> read_attributes(Cursor& c, NotifyType notify) {
  std::vector<Attribute> out;
  while (c.left() > 0) {
    std::size_t at = c.at();
    if (out.size() >= kMaxAttributes) return error(fmt::format("more than {} attributes", kMaxAttributes), at, notify);
    if (!c.has(4)) return error("attribute truncated", at, notify);
    std::uint16_t type = c.u16();
    Attribute a;
    a.type = type & 0x7fff;
    if (type & kAttrBasic) {
      a.basic = true;
      a.value = c.u16();
    } else {
      a.basic = false;
      std::uint16_t len = c.u16();
      if (!c.has(len)) return error("attribute length beyond its container", at + 2, notify);
      a.data = c.copy(len);
    }
    out.push_back(std::move(a));
  }
  return out;
}

// A proposal or transform substructure: generic header whose Next Payload is `more` (another of
// the same follows) or NONE (the last).
struct Sub {
  bool last = false;
  std::size_t at = 0;
  ByteView body;
};

std::expected<Sub, DecodeError> sub_header(Cursor& c, PayloadType more, const char* what) {
  Sub s;
  s.at = c.at();
  if (!c.has(4)) return error(fmt::format("{} truncated", what), s.at, NotifyType::BAD_PROPOSAL_SYNTAX);
  std::uint8_t next = c.u8();
  c.u8();
  std::uint16_t len = c.u16();
  if (next != 0 && next != octet(more))
    return error(fmt::format("{} followed by payload type {}", what, next), s.at, NotifyType::BAD_PROPOSAL_SYNTAX);
  if (len < 4 || !c.has(len - 4u))
    return error(fmt::format("{} length out of bounds", what), s.at + 2, NotifyType::BAD_PROPOSAL_SYNTAX);
  s.last = next == 0;
  s.body = c.view(len - 4u);
  return s;
}

std::expected<SaPayload, DecodeError> decode_sa(Cursor c) {
  std::size_t at = c.at();
  if (!c.has(8)) return error("SA payload truncated", at);
  SaPayload sa;
  sa.doi = c.u32();
  if (sa.doi != kDoiIpsec) return error(fmt::format("DOI {}", sa.doi), at, NotifyType::DOI_NOT_SUPPORTED);
  sa.situation = c.u32();
  if (sa.situation != kSituationIdentity)
    return error(fmt::format("situation 0x{:x}", sa.situation), at + 4, NotifyType::SITUATION_NOT_SUPPORTED);
  bool last = false;
  while (!last) {
    if (sa.proposals.size() >= kMaxProposals)
      return error(fmt::format("more than {} proposals", kMaxProposals), c.at(), NotifyType::BAD_PROPOSAL_SYNTAX);
    auto s = sub_header(c, PayloadType::PROPOSAL, "proposal");
    if (!s) return std::unexpected(s.error());
    last = s->last;
    Cursor pc(s->body, s->at + 4);
    if (!pc.has(4)) return error("proposal truncated", s->at, NotifyType::BAD_PROPOSAL_SYNTAX);
    Proposal p;
    p.number = pc.u8();
    p.protocol = static_cast<ProtocolId>(pc.u8());
    std::uint8_t spi_size = pc.u8();
    std::uint8_t count = pc.u8();
    if (!pc.has(spi_size)) return error("proposal SPI beyond the proposal", s->at + 6, NotifyType::BAD_PROPOSAL_SYNTAX);
    p.spi = pc.copy(spi_size);
    if (count == 0) return error("proposal without transforms", s->at + 7, NotifyType::BAD_PROPOSAL_SYNTAX);
    for (std::size_t i = 0; i < count; ++i) {
      auto t = sub_header(pc, PayloadType::TRANSFORM, "transform");
      if (!t) return std::unexpected(t.error());
      if (t->last != (i + 1 == count))
        return error("transform chain disagrees with the transform count", t->at, NotifyType::BAD_PROPOSAL_SYNTAX);
      Cursor tc(t->body, t->at + 4);
      if (!tc.has(4)) return error("transform truncated", t->at, NotifyType::BAD_PROPOSAL_SYNTAX);
      Transform tr;
      tr.number = tc.u8();
      tr.id = tc.u8();
      tc.u16();
      auto attrs = read_attributes(tc, NotifyType::BAD_PROPOSAL_SYNTAX);
      if (!attrs) return std::unexpected(attrs.error());
      tr.attributes = std::move(*attrs);
      p.transforms.push_back(std::move(tr));
    }
    if (pc.left() != 0) return error("octets after the last transform", pc.at(), NotifyType::BAD_PROPOSAL_SYNTAX);
    sa.proposals.push_back(std::move(p));
  }
  if (c.left() != 0) return error("octets after the last proposal", c.at(), NotifyType::BAD_PROPOSAL_SYNTAX);
  return sa;
}

// The data length an ID type implies (0 = any).
std::size_t id_length(IdType t) {
  switch (t) {
    case IdType::IPV4_ADDR: return 4;
    case IdType::IPV4_ADDR_SUBNET:
    case IdType::IPV4_ADDR_RANGE: return 8;
    case IdType::IPV6_ADDR: return 16;
    case IdType::IPV6_ADDR_SUBNET:
    case IdType::IPV6_ADDR_RANGE: return 32;
    default: return 0;
  }
}

using BodyResult = std::expected<PayloadBody, DecodeError>;

BodyResult decode_body(PayloadType type, Cursor c) {
  std::size_t at = c.at();
  switch (type) {
    case PayloadType::SA: {
      auto sa = decode_sa(c);
      if (!sa) return std::unexpected(sa.error());
      return *sa;
    }
    case PayloadType::KE:
      if (c.left() == 0) return error("KE payload without data", at, NotifyType::INVALID_KEY_INFORMATION);
      return KePayload{c.rest()};
    case PayloadType::ID: {
      if (!c.has(4)) return error("ID payload truncated", at, NotifyType::INVALID_ID_INFORMATION);
      IdPayload id;
      id.type = static_cast<IdType>(c.u8());
      id.protocol = c.u8();
      id.port = c.u16();
      id.data = c.rest();
      std::size_t want = id_length(id.type);
      if ((want && id.data.size() != want) || id.data.empty())
        return error("ID data length disagrees with the ID type", at + 4, NotifyType::INVALID_ID_INFORMATION);
      return id;
    }
    case PayloadType::CERT: {
      if (!c.has(1)) return error("CERT payload truncated", at, NotifyType::INVALID_CERT_ENCODING);
      CertPayload p;
      p.encoding = c.u8();
      p.data = c.rest();
      return p;
    }
    case PayloadType::CERTREQ: {
      if (!c.has(1)) return error("CERT_REQ payload truncated", at, NotifyType::INVALID_CERT_ENCODING);
      CertReqPayload p;
      p.type = c.u8();
      p.authority = c.rest();
      return p;
    }
    case PayloadType::HASH:
      if (c.left() == 0) return error("HASH payload without data", at, NotifyType::INVALID_HASH_INFORMATION);
      return HashPayload{c.rest()};
    case PayloadType::SIG:
      if (c.left() == 0) return error("SIG payload without data", at, NotifyType::INVALID_SIGNATURE);
      return SigPayload{c.rest()};
    case PayloadType::NONCE:
      // RFC 2409 5: 8 to 256 octets.
      if (c.left() < 8 || c.left() > 256) return error("nonce length outside 8..256", at);
      return NoncePayload{c.rest()};
    case PayloadType::NOTIFY: {
      if (!c.has(8)) return error("NOTIFY payload truncated", at);
      NotifyPayload n;
      n.doi = c.u32();
      n.protocol = static_cast<ProtocolId>(c.u8());
      std::uint8_t spi_size = c.u8();
      n.type = static_cast<NotifyType>(c.u16());
      if (!c.has(spi_size)) return error("NOTIFY SPI beyond the payload", at + 5);
      n.spi = c.copy(spi_size);
      n.data = c.rest();
      return n;
    }
    case PayloadType::DELETE: {
      if (!c.has(8)) return error("DELETE payload truncated", at);
      DeletePayload d;
      d.doi = c.u32();
      d.protocol = static_cast<ProtocolId>(c.u8());
      d.spi_size = c.u8();
      std::uint16_t count = c.u16();
      if (d.spi_size == 0 || count == 0 || std::size_t{d.spi_size} * count != c.left())
        return error("DELETE SPI size and count disagree with the payload length", at + 5);
      for (std::uint16_t i = 0; i < count; ++i) d.spis.push_back(c.copy(d.spi_size));
      return d;
    }
    case PayloadType::VENDOR:
      if (c.left() == 0) return error("VENDOR payload without data", at);
      return VendorPayload{c.rest()};
    case PayloadType::ATTR: {
      if (!c.has(4)) return error("ATTR payload truncated", at);
      AttrPayload a;
      a.type = static_cast<CfgType>(c.u8());
      c.u8();
      a.identifier = c.u16();
      auto attrs = read_attributes(c, NotifyType::PAYLOAD_MALFORMED);
      if (!attrs) return std::unexpected(attrs.error());
      a.attributes = std::move(*attrs);
      return a;
    }
    case PayloadType::NAT_D:
    case PayloadType::NAT_D_DRAFT:
      if (c.left() == 0) return error("NAT-D payload without hash", at);
      return NatDPayload{c.rest()};
    case PayloadType::NAT_OA:
    case PayloadType::NAT_OA_DRAFT: {
      if (!c.has(4)) return error("NAT-OA payload truncated", at);
      NatOaPayload o;
      o.type = static_cast<IdType>(c.u8());
      c.view(3);
      o.address = c.rest();
      if (!((o.type == IdType::IPV4_ADDR && o.address.size() == 4) ||
            (o.type == IdType::IPV6_ADDR && o.address.size() == 16)))
        return error("NAT-OA address disagrees with its type", at + 4);
      return o;
    }
    default:
      break;
  }
  return error("payload type without a body parser", at, NotifyType::INVALID_PAYLOAD_TYPE);
}

// Walks the chain. With `padding`, octets after the last payload are allowed (a decrypted body).
std::expected<Message, DecodeError> walk(const Header& h, ByteView data, std::size_t base, bool padding) {
  Message m;
  m.header = h;
  m.encrypted = padding;
  Cursor c(data, base);
  PayloadType next = h.next_payload;
  while (next != PayloadType::NONE) {
    std::size_t at = c.at();
    if (m.payloads.size() >= kMaxPayloads) return error(fmt::format("more than {} payloads", kMaxPayloads), at);
    if (!c.has(kGenericHeaderSize))
      return error(fmt::format("payload {} announced but the data ends", octet(next)), at);
    PayloadType type = next;
    next = static_cast<PayloadType>(c.u8());
    c.u8();  // RESERVED: RFC 2408 3.2 has it set to 0; not checked on receipt (as strongSwan)
    std::uint16_t len = c.u16();
    if (len < kGenericHeaderSize) return error("payload length below 4", at + 2);
    if (!c.has(len - kGenericHeaderSize)) return error("payload length beyond the data", at + 2);
    Cursor body(c.view(len - kGenericHeaderSize), at + kGenericHeaderSize);
    m.spans.push_back({at, len});
    if (!is_known(type)) {
      // RFC 2408 5.2: an unknown payload type is INVALID-PAYLOAD-TYPE; the private range is kept.
      if (octet(type) < 128)
        return error(fmt::format("payload type {}", octet(type)), at, NotifyType::INVALID_PAYLOAD_TYPE);
      m.payloads.push_back({type, UnknownPayload{octet(type), body.rest()}});
      continue;
    }
    auto b = decode_body(type, body);
    if (!b) return std::unexpected(b.error());
    m.payloads.push_back({type, std::move(*b)});
  }
  if (!padding && c.left() != 0) return error("octets after the last payload", c.at(), NotifyType::UNEQUAL_PAYLOAD_LENGTHS);
  return m;
}

Header parse_header(ByteView d) {
  Header h;
  h.cookie_i = load_be64(d.data());
  h.cookie_r = load_be64(d.data() + 8);
  h.next_payload = static_cast<PayloadType>(d[16]);
  h.major_version = d[17] >> 4;
  h.minor_version = d[17] & 0x0f;
  h.exchange = static_cast<ExchangeType>(d[18]);
  h.flags = d[19];
  h.message_id = load_be32(d.data() + 20);
  h.length = load_be32(d.data() + 24);
  return h;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Result<Bytes> encode_payloads(const std::vector<Payload>& payloads) {
  if (payloads.size() > kMaxPayloads) return fail("too many payloads");
  Bytes out;
  out.reserve(256);
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const Payload& p = payloads[i];
    if (!type_matches(p)) return fail(fmt::format("payload {} has a body of another type", octet(p.type)));
    Patch gh(out, i + 1 < payloads.size() ? octet(payloads[i + 1].type) : 0);
    if (auto r = encode_body_into(p, out); !r) return std::unexpected(r.error());
    if (auto r = gh.close("payload"); !r) return std::unexpected(r.error());
  }
  return out;
}

Result<Bytes> encode_body(const Payload& p) {
  if (!type_matches(p)) return fail("payload has a body of another type");
  Bytes out;
  if (auto r = encode_body_into(p, out); !r) return std::unexpected(r.error());
  return out;
}

Result<Bytes> encode(const Message& m, std::size_t block_size, const EncryptFn& encrypt) {
  auto chain = encode_payloads(m.payloads);
  if (!chain) return chain;
  PayloadType first = m.payloads.empty() ? PayloadType::NONE : m.payloads.front().type;
  std::uint8_t flags = m.header.flags & static_cast<std::uint8_t>(~kFlagEncryption);
  if (m.encrypted) {
    if (block_size == 0 || !encrypt) return fail("encrypted message without a cipher");
    flags |= kFlagEncryption;
    // RFC 2409 appendix B: the body is padded to the cipher's block size.
    chain->resize((chain->size() + block_size - 1) / block_size * block_size, 0);
  }
  std::size_t total = kHeaderSize + chain->size();
  if (total > 0xffffffffu) return fail("message too long");
  Bytes out;
  out.reserve(total);
  write_header(out, m.header, first, flags, static_cast<std::uint32_t>(total));
  std::size_t body = out.size();
  put_bytes(out, *chain);
  if (m.encrypted && !encrypt(MutableByteView(out).subspan(body))) return fail("encryption failed");
  return out;
}

Result<Bytes> encode_attributes(const std::vector<Attribute>& attributes) {
  Bytes out;
  if (auto r = put_attributes(out, attributes); !r) return std::unexpected(r.error());
  return out;
}

std::expected<std::vector<Attribute>, DecodeError> decode_attributes(ByteView data) {
  Cursor c(data, 0);
  return read_attributes(c, NotifyType::PAYLOAD_MALFORMED);
}

std::optional<Header> peek_header(ByteView datagram) {
  if (datagram.size() < kHeaderSize) return std::nullopt;
  return parse_header(datagram);
}

std::expected<Message, DecodeError> decode(ByteView datagram) {
  if (datagram.size() < kHeaderSize) return dropped("shorter than an ISAKMP header", datagram.size());
  Header h = parse_header(datagram);
  if (h.major_version != 1)
    return error(fmt::format("ISAKMP major version {}", h.major_version), 17, NotifyType::INVALID_MAJOR_VERSION);
  if (h.minor_version != 0)
    return error(fmt::format("ISAKMP minor version {}", h.minor_version), 17, NotifyType::INVALID_MINOR_VERSION);
  if (h.length != datagram.size())
    return dropped(fmt::format("header length {} but {} octets received", h.length, datagram.size()), 24);
  if (h.cookie_i == 0) return error("initiator cookie 0", 0, NotifyType::INVALID_COOKIE);
  if (h.flags & ~(kFlagEncryption | kFlagCommit | kFlagAuthOnly))
    return error(fmt::format("flags 0x{:02x}", h.flags), 19, NotifyType::INVALID_FLAGS);
  if (h.flags & kFlagEncryption) {
    if (datagram.size() == kHeaderSize) return error("encrypted message without a body", kHeaderSize);
    Message m;
    m.header = h;
    m.encrypted = true;
    return m;
  }
  return walk(h, datagram.subspan(kHeaderSize), kHeaderSize, false);
}

std::expected<Message, DecodeError> decode_plaintext(const Header& header, ByteView plaintext) {
  return walk(header, plaintext, 0, true);
}

}  // namespace ikegate::wire::isakmp
