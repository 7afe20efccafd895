#include "wire/ikev2_dump.h"

#include <fmt/format.h>

#include "wire/ikev2_codec.h"
#include "wire/name_table.h"
#include "wire/vendor_ids.h"

namespace ikegate::wire {

namespace {

struct Style {
  bool asa = true;
  Direction dir = Direction::Sent;
};

template <class E>
using CiscoName = detail::Named<E>;

template <class E, std::size_t N>
constexpr std::string_view lookup(const CiscoName<E> (&table)[N], E v) {
  return detail::find_name(table, v);
}

constexpr CiscoName<PayloadType> kPayloadNames[] = {
    {PayloadType::NONE, "NONE"},       {PayloadType::SA, "SA"},
    {PayloadType::KE, "KE"},           {PayloadType::IDi, "IDi"},
    {PayloadType::IDr, "IDr"},         {PayloadType::CERT, "CERT"},
    {PayloadType::CERTREQ, "CERTREQ"}, {PayloadType::AUTH, "AUTH"},
    {PayloadType::NONCE, "N"},         {PayloadType::NOTIFY, "NOTIFY"},
    {PayloadType::DELETE, "DELETE"},   {PayloadType::VENDOR_ID, "VID"},
    {PayloadType::TSi, "TSi"},         {PayloadType::TSr, "TSr"},
    {PayloadType::SK, "ENCR"},         {PayloadType::CP, "CFG"},
    {PayloadType::EAP, "EAP"},         {PayloadType::SKF, "SKF"},
};

// Cisco shortens two RFC 7296 names; the rest print as the RFC spells them.
constexpr CiscoName<NotifyType> kNotifyNames[] = {
    {NotifyType::ESP_TFC_PADDING_NOT_SUPPORTED, "ESP_TFC_NO_SUPPORT"},
    {NotifyType::NON_FIRST_FRAGMENTS_ALSO, "NON_FIRST_FRAGS"},
};

constexpr CiscoName<EncrId> kEncrNames[] = {
    {EncrId::DES_IV64, "DES_IV64"}, {EncrId::DES, "DES"},          {EncrId::TRIPLE_DES, "3DES"},
    {EncrId::NULL_ENCR, "NULL"},    {EncrId::AES_CBC, "AES-CBC"},  {EncrId::AES_CTR, "AES-CTR"},
    {EncrId::AES_GCM_8, "AES-GCM"}, {EncrId::AES_GCM_12, "AES-GCM"}, {EncrId::AES_GCM_16, "AES-GCM"},
};
constexpr CiscoName<PrfId> kPrfNames[] = {
    {PrfId::HMAC_MD5, "MD5"},         {PrfId::HMAC_SHA1, "SHA1"},
    {PrfId::HMAC_SHA2_256, "SHA256"}, {PrfId::HMAC_SHA2_384, "SHA384"},
    {PrfId::HMAC_SHA2_512, "SHA512"},
};
constexpr CiscoName<IntegId> kIntegNames[] = {
    {IntegId::NONE, "NONE"},
    {IntegId::HMAC_MD5_96, "MD596"},
    {IntegId::HMAC_SHA1_96, "SHA96"},
    {IntegId::HMAC_SHA2_256_128, "SHA256"},
    {IntegId::HMAC_SHA2_384_192, "SHA384"},
    {IntegId::HMAC_SHA2_512_256, "SHA512"},
};
constexpr CiscoName<DhGroup> kDhNames[] = {
    {DhGroup::MODP_768, "DH_GROUP_768_MODP/Group 1"},
    {DhGroup::MODP_1024, "DH_GROUP_1024_MODP/Group 2"},
    {DhGroup::MODP_1536, "DH_GROUP_1536_MODP/Group 5"},
    {DhGroup::MODP_2048, "DH_GROUP_2048_MODP/Group 14"},
    {DhGroup::MODP_3072, "DH_GROUP_3072_MODP/Group 15"},
    {DhGroup::MODP_4096, "DH_GROUP_4096_MODP/Group 16"},
    {DhGroup::ECP_256, "DH_GROUP_256_ECP/Group 19"},
    {DhGroup::ECP_384, "DH_GROUP_384_ECP/Group 20"},
    {DhGroup::ECP_521, "DH_GROUP_521_ECP/Group 21"},
    {DhGroup::CURVE25519, "DH_GROUP_CURVE25519/Group 31"},
};
constexpr CiscoName<EsnId> kEsnNames[] = {
    {EsnId::NO_ESN, "Don't use ESN"},
    {EsnId::ESN, "Use ESN"},
};
constexpr CiscoName<IdType> kIdNames[] = {
    {IdType::ID_IPV4_ADDR, "IPv4 address"}, {IdType::ID_FQDN, "FQDN"},
    {IdType::ID_RFC822_ADDR, "email"},      {IdType::ID_IPV6_ADDR, "IPv6 address"},
    {IdType::ID_DER_ASN1_DN, "DER ASN1 DN"}, {IdType::ID_DER_ASN1_GN, "DER ASN1 GN"},
    {IdType::ID_KEY_ID, "key ID"},
};
constexpr CiscoName<AuthMethod> kAuthNames[] = {
    {AuthMethod::RSA_SIG, "RSA"},
    {AuthMethod::SHARED_KEY_MIC, "PSK"},
    {AuthMethod::DSS, "DSS"},
    {AuthMethod::ECDSA_SHA256_P256, "ECDSA"},
    {AuthMethod::ECDSA_SHA384_P384, "ECDSA"},
    {AuthMethod::ECDSA_SHA512_P521, "ECDSA"},
    {AuthMethod::DIGITAL_SIGNATURE, "Digital Signature"},
};
constexpr CiscoName<CfgAttr> kCfgAttrNames[] = {
    {CfgAttr::INTERNAL_IP4_ADDRESS, "internal IP4 address"},
    {CfgAttr::INTERNAL_IP4_NETMASK, "internal IP4 netmask"},
    {CfgAttr::INTERNAL_IP4_DNS, "internal IP4 DNS"},
    {CfgAttr::INTERNAL_IP4_NBNS, "internal IP4 NBNS"},
    {CfgAttr::INTERNAL_IP4_DHCP, "internal IP4 DHCP"},
    {CfgAttr::APPLICATION_VERSION, "application version"},
    {CfgAttr::INTERNAL_IP6_ADDRESS, "internal IP6 address"},
    {CfgAttr::INTERNAL_IP6_DNS, "internal IP6 DNS"},
    {CfgAttr::INTERNAL_IP6_DHCP, "internal IP6 DHCP"},
    {CfgAttr::INTERNAL_IP4_SUBNET, "internal IP4 subnet"},
    {CfgAttr::SUPPORTED_ATTRIBUTES, "supported attributes"},
    {CfgAttr::INTERNAL_IP6_SUBNET, "internal IP6 subnet"},
};
// The IOS seed prints encoding 12 as "Hash and URL of PKIX".
constexpr CiscoName<CertEncoding> kCertNames[] = {
    {CertEncoding::X509_CERTIFICATE_SIGNATURE, "X.509 Certificate - signature"},
    {CertEncoding::HASH_AND_URL_X509_CERTIFICATE, "Hash and URL of PKIX"},
};

template <class E>
std::string or_number(std::string_view text, E v) {
  if (!text.empty()) return std::string(text);
  return fmt::format("Unknown - {}", to_underlying(v));
}

std::string protocol_name(ProtocolId p) {
  if (p == ProtocolId::NONE) return "IKE";
  return or_number(name(p), p);
}

void hex_rows(std::vector<std::string>& out, ByteView data) {
  if (data.empty()) return;
  out.emplace_back();
  for (std::size_t i = 0; i < data.size(); i += 16) {
    std::string row = "    ";
    for (std::size_t j = i; j < data.size() && j < i + 16; ++j) {
      row += fmt::format(" {:02x}", data[j]);
    }
    out.push_back(std::move(row));
  }
}

// A line the ASA prints with its own "IKEv2-PROTO-4: " debug prefix.
std::string proto4(const Style& s, std::string_view text) {
  return s.asa ? fmt::format("IKEv2-PROTO-4: {}", text) : std::string(text);
}

void dump_sa(std::vector<std::string>& out, const SaPayload& sa, const Style& s) {
  for (std::size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& p = sa.proposals[i];
    std::size_t len = 8 + p.spi.size();
    for (const auto& t : p.transforms) len += t.key_length ? 12 : 8;
    out.push_back(proto4(s, fmt::format("  last proposal: 0x{:x}, reserved: 0x0, length: {}",
                                        i + 1 == sa.proposals.size() ? 0 : 2, len)));
    out.push_back(fmt::format("  Proposal: {}, Protocol id: {}, SPI size: {}, #trans: {}", p.number,
                              protocol_name(p.protocol), p.spi.size(), p.transforms.size()));
    for (std::size_t j = 0; j < p.transforms.size(); ++j) {
      const Transform& t = p.transforms[j];
      out.push_back(proto4(s, fmt::format("    last transform: 0x{:x}, reserved: 0x0: length: {}",
                                          j + 1 == p.transforms.size() ? 0 : 3,
                                          t.key_length ? 12 : 8)));
      out.push_back(fmt::format("    type: {}, reserved: 0x0, id: {}", to_underlying(t.type),
                                cisco_transform_name(t.type, t.id)));
    }
  }
}

void dump_ts(std::vector<std::string>& out, const TsPayload& ts) {
  out.push_back(fmt::format("    Num of TSs: {}, reserved 0x0, reserved 0x0", ts.selectors.size()));
  for (const auto& t : ts.selectors) {
    out.push_back(fmt::format("    TS type: {}, proto id: {}, length: {}",
                              or_number(name(t.type), t.type), t.ip_protocol,
                              t.start.is_v4() ? 16 : 40));
    out.push_back(fmt::format("    start port: {}, end port: {}", t.start_port, t.end_port));
    out.push_back(fmt::format("    start addr: {}, end addr: {}", t.start.to_string(),
                              t.end.to_string()));
  }
}

void dump_body(std::vector<std::string>& out, const Payload& p, const Style& s) {
  bool hex = s.asa;
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, SaPayload>) {
          dump_sa(out, b, s);
        } else if constexpr (std::is_same_v<T, KePayload>) {
          out.push_back(fmt::format("    DH group: {}, Reserved: 0x0", to_underlying(b.group)));
          if (hex) hex_rows(out, b.data);
        } else if constexpr (std::is_same_v<T, IdPayload>) {
          out.push_back(fmt::format("    Id type: {}, Reserved: 0x0 0x0",
                                    or_number(lookup(kIdNames, b.type), b.type)));
          if (hex) hex_rows(out, b.data);
        } else if constexpr (std::is_same_v<T, CertPayload> || std::is_same_v<T, CertReqPayload>) {
          auto enc = static_cast<CertEncoding>(b.encoding);
          std::string_view n = lookup(kCertNames, enc);
          out.push_back(fmt::format("    Cert encoding {}", n.empty() ? or_number(name(enc), enc)
                                                                      : std::string(n)));
        } else if constexpr (std::is_same_v<T, AuthPayload>) {
          out.push_back(fmt::format("    Auth method {}, reserved: 0x0, reserved 0x0",
                                    or_number(lookup(kAuthNames, b.method), b.method)));
          if (s.asa) out.push_back(fmt::format("Auth data: {} bytes", b.data.size()));
        } else if constexpr (std::is_same_v<T, NoncePayload> ||
                             std::is_same_v<T, VendorIdPayload> || std::is_same_v<T, EapPayload>) {
          if (hex) hex_rows(out, b.data);
        } else if constexpr (std::is_same_v<T, NotifyPayload>) {
          out.push_back(fmt::format("    Security protocol id: {}, spi size: {}, type: {}",
                                    protocol_name(b.protocol), b.spi.size(),
                                    cisco_notify_name(b.type)));
          if (hex) {
            Bytes all = b.spi;
            put_bytes(all, b.data);
            hex_rows(out, all);
          }
        } else if constexpr (std::is_same_v<T, DeletePayload>) {
          out.push_back(fmt::format("    Security protocol id: {}, spi size: {}, num of spi: {}",
                                    protocol_name(b.protocol),
                                    b.spis.empty() ? 0 : b.spis.front().size(), b.spis.size()));
          if (hex) {
            Bytes all;
            for (const auto& spi : b.spis) put_bytes(all, spi);
            hex_rows(out, all);
          }
        } else if constexpr (std::is_same_v<T, TsPayload>) {
          dump_ts(out, b);
        } else if constexpr (std::is_same_v<T, CpPayload>) {
          out.push_back(fmt::format("    cfg type: {}, reserved: 0x0, reserved: 0x0",
                                    or_number(name(b.type), b.type)));
          for (const auto& a : b.attributes) {
            auto attr = static_cast<CfgAttr>(a.type);
            out.push_back(fmt::format("    attrib type: {}, length: {}",
                                      or_number(lookup(kCfgAttrNames, attr), attr),
                                      a.value.size()));
          }
        } else if constexpr (std::is_same_v<T, UnknownPayload>) {
          if (hex) hex_rows(out, b.body);
        }
      },
      p.body);
}

std::string payload_title(const Payload& p) {
  if (const auto* n = p.get<NotifyPayload>()) {
    return fmt::format("NOTIFY({})", cisco_notify_name(n->type));
  }
  return cisco_payload_name(p.type);
}

void dump_payloads(std::vector<std::string>& out, const std::vector<Payload>& payloads,
                   const Style& s) {
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const Payload& p = payloads[i];
    PayloadType next = i + 1 < payloads.size() ? payloads[i + 1].type : PayloadType::NONE;
    std::string line = fmt::format(" {}  Next payload: {}, reserved: 0x{:x}, length: {}",
                                   payload_title(p), cisco_payload_name(next),
                                   p.critical ? 0x80 : 0, encoded_length(p));
    if (s.dir == Direction::Received) {
      std::string_view who = s.asa ? "IKEv2-PROTO-5: " : "IKEv2:";
      if (const auto* v = p.get<VendorIdPayload>()) {
        line = fmt::format("{}Parse Vendor Specific Payload: {}{}", who, vid::parse_name(v->data),
                           line);
      } else if (const auto* n = p.get<NotifyPayload>()) {
        line = fmt::format("{}Parse Notify Payload: {}{}", who, cisco_notify_name(n->type), line);
      }
    }
    out.push_back(std::move(line));
    dump_body(out, p, s);
  }
}

std::size_t chain_length(const std::vector<Payload>& payloads) {
  std::size_t n = 0;
  for (const auto& p : payloads) n += encoded_length(p);
  return n;
}

PayloadType header_next(const Message& m) {
  if (m.encrypted) return m.sk.fragment ? PayloadType::SKF : PayloadType::SK;
  return m.payloads.empty() ? PayloadType::NONE : m.payloads.front().type;
}

std::size_t header_length(const Message& m) {
  if (m.header.length != 0 || m.encrypted) return m.header.length;
  return kHeaderSize + chain_length(m.payloads);
}

std::string exchange_name(ExchangeType x) { return or_number(name(x), x); }

std::string encr_line(const Message& m) {
  PayloadType first = m.sk.first_inner;
  if (first == PayloadType::NONE && !m.payloads.empty()) first = m.payloads.front().type;
  return fmt::format(" {}  Next payload: {}, reserved: 0x0, length: {}",
                     cisco_payload_name(header_next(m)), cisco_payload_name(first), m.sk.length);
}

}  // namespace

std::string cisco_payload_name(PayloadType t) { return or_number(lookup(kPayloadNames, t), t); }

std::string cisco_notify_name(NotifyType t) {
  std::string_view n = lookup(kNotifyNames, t);
  return or_number(n.empty() ? name(t) : n, t);
}

std::string cisco_transform_name(TransformType type, std::uint16_t id) {
  std::string_view n;
  switch (type) {
    case TransformType::ENCR: n = lookup(kEncrNames, static_cast<EncrId>(id)); break;
    case TransformType::PRF: n = lookup(kPrfNames, static_cast<PrfId>(id)); break;
    case TransformType::INTEG: n = lookup(kIntegNames, static_cast<IntegId>(id)); break;
    case TransformType::DH: n = lookup(kDhNames, static_cast<DhGroup>(id)); break;
    case TransformType::ESN: n = lookup(kEsnNames, static_cast<EsnId>(id)); break;
  }
  return n.empty() ? fmt::format("Unknown - {}", id) : std::string(n);
}

std::string cisco_flags(std::uint8_t flags) {
  std::string out = (flags & kFlagInitiator) ? "INITIATOR" : "RESPONDER";
  if (flags & kFlagResponse) out += " MSG-RESPONSE";
  return out;
}

std::vector<std::string> dump_asa_payloads(const std::vector<Payload>& payloads, Direction dir) {
  std::vector<std::string> out;
  dump_payloads(out, payloads, Style{true, dir});
  return out;
}

std::vector<std::string> dump_asa(const Message& m, Direction dir) {
  const Header& h = m.header;
  std::vector<std::string> out = {
      fmt::format("IKEv2-PROTO-4: IKEV2 HDR ispi: {:016X} - rspi: {:016X}", h.spi_i, h.spi_r),
      fmt::format("IKEv2-PROTO-4: Next payload: {}, version: {}.{}",
                  cisco_payload_name(header_next(m)), h.major_version, h.minor_version),
      fmt::format("IKEv2-PROTO-4: Exchange type: {}, flags: {}", exchange_name(h.exchange),
                  cisco_flags(h.flags)),
      fmt::format("IKEv2-PROTO-4: Message id: 0x{:x}, length: {}", h.message_id, header_length(m)),
  };
  Style s{true, dir};
  if (!m.encrypted) {
    dump_payloads(out, m.payloads, s);
  } else if (dir == Direction::Received && !m.payloads.empty()) {
    out.push_back(fmt::format("REAL Decrypted packet:Data: {} bytes", chain_length(m.payloads)));
    dump_payloads(out, m.payloads, s);
    out.push_back(fmt::format("Decrypted packet:Data: {} bytes", h.length));
  } else {
    out.push_back(encr_line(m));
    out.push_back(fmt::format("Encrypted data: {} bytes",
                              m.sk.length >= kGenericHeaderSize ? m.sk.length - kGenericHeaderSize
                                                                : 0));
  }
  return out;
}

std::vector<std::string> dump_ios(const Message& m, Direction dir, std::optional<unsigned> sa_id) {
  const Header& h = m.header;
  std::string prefix = sa_id ? fmt::format("IKEv2:(SA ID = {}):", *sa_id) : "IKEv2:";
  std::vector<std::string> out = {
      fmt::format("{}Next payload: {}, version: {}.{} Exchange type: {}, flags: {} Message id: {}, "
                  "length: {} ",
                  prefix, cisco_payload_name(header_next(m)), h.major_version, h.minor_version,
                  exchange_name(h.exchange), cisco_flags(h.flags), h.message_id, header_length(m)),
      "Payload contents: ",
  };
  Style s{false, dir};
  if (!m.encrypted || !m.payloads.empty()) {
    dump_payloads(out, m.payloads, s);
  } else {
    out.push_back(encr_line(m));
  }
  return out;
}

}  // namespace ikegate::wire
