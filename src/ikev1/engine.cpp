#include "ikev1/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "common/hash.h"
#include "common/reqid_pool.h"
#include "crypto/cipher.h"
#include "crypto/dh.h"
#include "crypto/ikev1.h"
#include "crypto/integrity.h"
#include "wire/isakmp_codec.h"
#include "wire/isakmp_vendor_ids.h"

namespace ikegate::ikev1 {

namespace is = wire::isakmp;

namespace {

constexpr std::uint16_t kIkePort = 500;
constexpr std::uint16_t kNattPort = 4500;
constexpr std::size_t kNonceSize = 32;
constexpr std::uint8_t kProtoUdp = 17;
constexpr auto kQuickLinger = std::chrono::seconds(30);  // a finished exchange answers repeats

template <class E>
constexpr std::uint16_t u16(E e) {
  return static_cast<std::uint16_t>(e);
}

// ---------------------------------------------------------------------------------------------
// Algorithms and their IKEv1 numbers (RFC 2409 appendix A, RFC 2407 4.4.4 and 4.5).

std::optional<std::uint16_t> p1_encr_attr(EncrId e) {
  switch (e) {
    case EncrId::DES: return u16(is::Phase1Encr::DES_CBC);
    case EncrId::TRIPLE_DES: return u16(is::Phase1Encr::TRIPLE_DES_CBC);
    case EncrId::AES_CBC: return u16(is::Phase1Encr::AES_CBC);
    default: return std::nullopt;
  }
}
std::optional<EncrId> p1_encr_from(std::uint16_t v) {
  switch (static_cast<is::Phase1Encr>(v)) {
    case is::Phase1Encr::DES_CBC: return EncrId::DES;
    case is::Phase1Encr::TRIPLE_DES_CBC: return EncrId::TRIPLE_DES;
    case is::Phase1Encr::AES_CBC: return EncrId::AES_CBC;
    default: return std::nullopt;
  }
}
std::uint16_t hash_attr(PrfId p) {
  switch (p) {
    case PrfId::HMAC_MD5: return u16(is::HashAlg::MD5);
    case PrfId::HMAC_SHA1: return u16(is::HashAlg::SHA);
    case PrfId::HMAC_SHA2_256: return u16(is::HashAlg::SHA2_256);
    case PrfId::HMAC_SHA2_384: return u16(is::HashAlg::SHA2_384);
    case PrfId::HMAC_SHA2_512: return u16(is::HashAlg::SHA2_512);
  }
  return 0;
}
std::optional<std::uint8_t> esp_transform_id(EncrId e) {
  switch (e) {
    case EncrId::DES: return static_cast<std::uint8_t>(is::EspTransform::DES);
    case EncrId::TRIPLE_DES: return static_cast<std::uint8_t>(is::EspTransform::TRIPLE_DES);
    case EncrId::AES_CBC: return static_cast<std::uint8_t>(is::EspTransform::AES);
    default: return std::nullopt;
  }
}
std::optional<EncrId> esp_encr_from(std::uint8_t id) {
  switch (static_cast<is::EspTransform>(id)) {
    case is::EspTransform::DES: return EncrId::DES;
    case is::EspTransform::TRIPLE_DES: return EncrId::TRIPLE_DES;
    case is::EspTransform::AES: return EncrId::AES_CBC;
    default: return std::nullopt;
  }
}
std::optional<std::uint16_t> auth_alg(IntegId i) {
  switch (i) {
    case IntegId::HMAC_MD5_96: return u16(is::AuthAlg::HMAC_MD5);
    case IntegId::HMAC_SHA1_96: return u16(is::AuthAlg::HMAC_SHA);
    case IntegId::HMAC_SHA2_256_128: return u16(is::AuthAlg::HMAC_SHA2_256);
    case IntegId::HMAC_SHA2_384_192: return u16(is::AuthAlg::HMAC_SHA2_384);
    case IntegId::HMAC_SHA2_512_256: return u16(is::AuthAlg::HMAC_SHA2_512);
    default: return std::nullopt;
  }
}
std::optional<IntegId> integ_from(std::uint16_t v) {
  switch (static_cast<is::AuthAlg>(v)) {
    case is::AuthAlg::HMAC_MD5: return IntegId::HMAC_MD5_96;
    case is::AuthAlg::HMAC_SHA: return IntegId::HMAC_SHA1_96;
    case is::AuthAlg::HMAC_SHA2_256: return IntegId::HMAC_SHA2_256_128;
    case is::AuthAlg::HMAC_SHA2_384: return IntegId::HMAC_SHA2_384_192;
    case is::AuthAlg::HMAC_SHA2_512: return IntegId::HMAC_SHA2_512_256;
    default: return std::nullopt;
  }
}
std::uint16_t fixed_key_bits(EncrId e, std::uint16_t bits) { return e == EncrId::AES_CBC ? bits : 0; }

// One phase-1 transform: what a `crypto isakmp policy` offers.
struct P1Choice {
  EncrId encr = EncrId::TRIPLE_DES;
  std::uint16_t key_bits = 0;
  PrfId prf = PrfId::HMAC_SHA1;
  DhGroup group = DhGroup::MODP_1024;
  std::chrono::seconds lifetime{86400};
  std::uint32_t priority = 0;  // the local `crypto isakmp policy` it came from (0: the peer's)
  bool operator==(const P1Choice&) const = default;
};

is::Transform p1_transform(const P1Choice& c, std::uint8_t number) {
  using A = is::Phase1Attr;
  is::Transform t;
  t.number = number;
  t.id = is::kKeyIke;
  t.attributes.push_back(is::Attribute::tv(u16(A::ENCRYPTION), *p1_encr_attr(c.encr)));
  if (c.encr == EncrId::AES_CBC) t.attributes.push_back(is::Attribute::tv(u16(A::KEY_LENGTH), c.key_bits));
  t.attributes.push_back(is::Attribute::tv(u16(A::HASH), hash_attr(c.prf)));
  t.attributes.push_back(is::Attribute::tv(u16(A::AUTH_METHOD), u16(is::AuthMethod::PRE_SHARED)));
  t.attributes.push_back(is::Attribute::tv(u16(A::GROUP_DESCRIPTION), u16(c.group)));
  if (c.lifetime.count() > 0) {
    t.attributes.push_back(is::Attribute::tv(u16(A::LIFE_TYPE), u16(is::LifeType::SECONDS)));
    t.attributes.push_back(is::Attribute::number(u16(A::LIFE_DURATION), static_cast<std::uint64_t>(c.lifetime.count())));
  }
  return t;
}

// A peer's phase-1 transform, or why it cannot be taken.
std::expected<P1Choice, std::string> parse_p1(const is::Transform& t) {
  using A = is::Phase1Attr;
  if (t.id != is::kKeyIke) return std::unexpected(fmt::format("transform ID {} is not KEY_IKE", t.id));
  P1Choice c;
  c.lifetime = std::chrono::seconds(0);
  std::optional<EncrId> encr;
  std::optional<PrfId> prf;
  std::optional<std::uint16_t> auth, key_len;
  std::optional<DhGroup> group;
  std::uint16_t life_type = 0;
  for (const auto& a : t.attributes) {
    auto n = a.as_number();
    if (!n) return std::unexpected(fmt::format("attribute {} has no numeric value", a.type));
    switch (static_cast<A>(a.type)) {
      case A::ENCRYPTION:
        encr = p1_encr_from(static_cast<std::uint16_t>(*n));
        if (!encr) return std::unexpected(fmt::format("encryption algorithm {} unsupported", *n));
        break;
      case A::HASH:
        prf = crypto::ikev1::prf_for_hash(static_cast<std::uint16_t>(*n));
        if (!prf) return std::unexpected(fmt::format("hash algorithm {} unsupported", *n));
        break;
      case A::AUTH_METHOD: auth = static_cast<std::uint16_t>(*n); break;
      case A::GROUP_DESCRIPTION: group = static_cast<DhGroup>(*n); break;
      case A::KEY_LENGTH: key_len = static_cast<std::uint16_t>(*n); break;
      case A::LIFE_TYPE: life_type = static_cast<std::uint16_t>(*n); break;
      case A::LIFE_DURATION:
        // Kilobyte lifetimes are accepted and not enforced (Cisco does the same for phase 1).
        if (life_type == u16(is::LifeType::SECONDS)) c.lifetime = std::chrono::seconds(std::min<std::uint64_t>(*n, 1u << 30));
        break;
      default: return std::unexpected(fmt::format("attribute class {} unsupported", a.type));
    }
  }
  if (!encr || !prf || !auth || !group) return std::unexpected(std::string("transform lacks a mandatory attribute"));
  if (*auth != u16(is::AuthMethod::PRE_SHARED)) return std::unexpected(fmt::format("authentication method {} is not pre-share", *auth));
  if (*encr == EncrId::AES_CBC && !key_len) key_len = 128;  // RFC 3602 / draft-ietf-ipsec-ciph-aes-cbc: default 128
  c.encr = *encr;
  c.key_bits = *encr == EncrId::AES_CBC ? *key_len : 0;
  if (!crypto::encr_supported(c.encr, c.key_bits)) return std::unexpected(std::string("cipher or key length unsupported"));
  c.prf = *prf;
  c.group = *group;
  if (!crypto::dh_supported(c.group)) return std::unexpected(fmt::format("group {} unsupported", u16(c.group)));
  return c;
}

// One ESP transform of a Quick Mode SA.
struct EspChoice {
  EncrId encr = EncrId::AES_CBC;
  std::uint16_t key_bits = 128;
  IntegId integ = IntegId::HMAC_SHA1_96;
  std::optional<DhGroup> pfs;
  std::chrono::seconds lifetime{3600};
  std::uint64_t lifetime_kb = 0;
  std::uint16_t mode = u16(is::EncapMode::TUNNEL);
  bool operator==(const EspChoice&) const = default;
};

bool is_udp_mode(std::uint16_t m) {
  return m == u16(is::EncapMode::UDP_TUNNEL) || m == u16(is::EncapMode::UDP_TUNNEL_DRAFT) ||
         m == u16(is::EncapMode::UDP_TRANSPORT) || m == u16(is::EncapMode::UDP_TRANSPORT_DRAFT);
}

is::Transform esp_transform(const EspChoice& c, std::uint8_t number) {
  using A = is::Phase2Attr;
  is::Transform t;
  t.number = number;
  t.id = *esp_transform_id(c.encr);
  t.attributes.push_back(is::Attribute::tv(u16(A::LIFE_TYPE), u16(is::LifeType::SECONDS)));
  t.attributes.push_back(is::Attribute::number(u16(A::LIFE_DURATION), static_cast<std::uint64_t>(c.lifetime.count())));
  if (c.lifetime_kb) {
    t.attributes.push_back(is::Attribute::tv(u16(A::LIFE_TYPE), u16(is::LifeType::KILOBYTES)));
    t.attributes.push_back(is::Attribute::number(u16(A::LIFE_DURATION), c.lifetime_kb));
  }
  t.attributes.push_back(is::Attribute::tv(u16(A::ENCAPSULATION_MODE), c.mode));
  t.attributes.push_back(is::Attribute::tv(u16(A::AUTH_ALGORITHM), *auth_alg(c.integ)));
  if (c.encr == EncrId::AES_CBC) t.attributes.push_back(is::Attribute::tv(u16(A::KEY_LENGTH), c.key_bits));
  if (c.pfs) t.attributes.push_back(is::Attribute::tv(u16(A::GROUP_DESCRIPTION), u16(*c.pfs)));
  return t;
}

std::expected<EspChoice, std::string> parse_esp(const is::Transform& t) {
  using A = is::Phase2Attr;
  auto encr = esp_encr_from(t.id);
  if (!encr) return std::unexpected(fmt::format("ESP transform {} unsupported", t.id));
  EspChoice c;
  c.encr = *encr;
  c.lifetime = std::chrono::seconds(28800);  // RFC 2407 4.5: default 28800 s when absent
  std::optional<IntegId> integ;
  std::optional<std::uint16_t> key_len;
  std::uint16_t life_type = u16(is::LifeType::SECONDS);
  for (const auto& a : t.attributes) {
    auto n = a.as_number();
    if (!n) return std::unexpected(fmt::format("attribute {} has no numeric value", a.type));
    switch (static_cast<A>(a.type)) {
      case A::LIFE_TYPE: life_type = static_cast<std::uint16_t>(*n); break;
      case A::LIFE_DURATION:
        if (life_type == u16(is::LifeType::SECONDS))
          c.lifetime = std::chrono::seconds(std::min<std::uint64_t>(*n, 1u << 30));
        else
          c.lifetime_kb = *n;
        break;
      case A::GROUP_DESCRIPTION: c.pfs = static_cast<DhGroup>(*n); break;
      case A::ENCAPSULATION_MODE: c.mode = static_cast<std::uint16_t>(*n); break;
      case A::AUTH_ALGORITHM:
        integ = integ_from(static_cast<std::uint16_t>(*n));
        if (!integ) return std::unexpected(fmt::format("authentication algorithm {} unsupported", *n));
        break;
      case A::KEY_LENGTH: key_len = static_cast<std::uint16_t>(*n); break;
      default: return std::unexpected(fmt::format("attribute class {} unsupported", a.type));
    }
  }
  if (!integ) return std::unexpected(std::string("ESP without authentication is not offered"));
  c.integ = *integ;
  c.key_bits = c.encr == EncrId::AES_CBC ? key_len.value_or(128) : 0;
  if (!crypto::encr_supported(c.encr, c.key_bits)) return std::unexpected(std::string("cipher or key length unsupported"));
  if (c.pfs && !crypto::dh_supported(*c.pfs)) return std::unexpected(fmt::format("PFS group {} unsupported", u16(*c.pfs)));
  return c;
}

// ---------------------------------------------------------------------------------------------
// Traffic selectors as Quick Mode client IDs (RFC 2407 4.6.2).

IpAddress with_bytes(ByteView b) { return *IpAddress::from_bytes(b); }

// The netmask whose prefix makes [start, end] one subnet, if it is one.
std::optional<IpAddress> subnet_mask(const IpAddress& start, const IpAddress& end) {
  auto s = start.bytes(), e = end.bytes();
  Bytes mask(s.size(), 0);
  std::size_t bits = s.size() * 8, prefix = 0;
  while (prefix < bits) {
    std::size_t byte = prefix / 8, bit = 7 - prefix % 8;
    if (((s[byte] >> bit) & 1) != ((e[byte] >> bit) & 1)) break;
    ++prefix;
  }
  for (std::size_t i = prefix; i < bits; ++i) {
    std::size_t byte = i / 8, bit = 7 - i % 8;
    if (((s[byte] >> bit) & 1) != 0 || ((e[byte] >> bit) & 1) != 1) return std::nullopt;
  }
  for (std::size_t i = 0; i < prefix; ++i) mask[i / 8] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
  return with_bytes(mask);
}

is::IdPayload id_of(const IpAddress& start, const IpAddress& end, std::uint8_t proto, std::uint16_t port) {
  if (start == end) return is::IdPayload::address(start, proto, port);
  if (auto m = subnet_mask(start, end)) return is::IdPayload::subnet(start, *m, proto, port);
  return is::IdPayload::range(start, end, proto, port);
}

struct IdRange {
  IpAddress start, end;
  std::uint8_t protocol = 0;
  std::uint16_t port = 0;
};

std::optional<IdRange> range_of(const is::IdPayload& id) {
  ByteView d = id.data;
  IdRange r;
  r.protocol = id.protocol;
  r.port = id.port;
  switch (id.type) {
    case is::IdType::IPV4_ADDR:
    case is::IdType::IPV6_ADDR:
      r.start = r.end = with_bytes(d);
      return r;
    case is::IdType::IPV4_ADDR_SUBNET:
    case is::IdType::IPV6_ADDR_SUBNET: {
      std::size_t n = d.size() / 2;
      Bytes lo(n), hi(n);
      for (std::size_t i = 0; i < n; ++i) {
        lo[i] = d[i] & d[n + i];
        hi[i] = static_cast<std::uint8_t>(lo[i] | ~d[n + i]);
      }
      r.start = with_bytes(lo);
      r.end = with_bytes(hi);
      return r;
    }
    case is::IdType::IPV4_ADDR_RANGE:
    case is::IdType::IPV6_ADDR_RANGE: {
      std::size_t n = d.size() / 2;
      r.start = with_bytes(d.first(n));
      r.end = with_bytes(d.subspan(n));
      if (r.end < r.start) return std::nullopt;
      return r;
    }
    default:
      return std::nullopt;
  }
}

std::uint16_t single_port(std::uint16_t lo, std::uint16_t hi) { return lo == hi ? lo : 0; }

// The selector's two IDs: (our side, the peer's side).
std::pair<is::IdPayload, is::IdPayload> ids_of(const policy::Selector& s) {
  return {id_of(s.src_start, s.src_end, s.protocol, single_port(s.src_port_start, s.src_port_end)),
          id_of(s.dst_start, s.dst_end, s.protocol, single_port(s.dst_port_start, s.dst_port_end))};
}

// The outbound selector that a (local ID, remote ID) pair names.
std::optional<policy::Selector> selector_of(const is::IdPayload& local, const is::IdPayload& remote) {
  auto l = range_of(local), r = range_of(remote);
  if (!l || !r || l->start.family() != r->start.family()) return std::nullopt;
  if (l->protocol != r->protocol) return std::nullopt;
  policy::Selector s;
  s.src_start = l->start;
  s.src_end = l->end;
  s.dst_start = r->start;
  s.dst_end = r->end;
  s.protocol = l->protocol;
  if (l->port) s.src_port_start = s.src_port_end = l->port;
  if (r->port) s.dst_port_start = s.dst_port_end = r->port;
  return s;
}

// ASA's payload list: "HDR + SA (1) + VENDOR (13) + NONE (0)".
std::string payload_list(const std::vector<is::Payload>& payloads) {
  std::string out = "HDR";
  for (const auto& p : payloads) {
    auto n = is::name(p.type);
    if (static_cast<std::uint8_t>(p.type) == 128) n = "IOS KEEPALIVE";
    out += fmt::format(" + {} ({})", n.empty() ? "UNKNOWN" : n, static_cast<unsigned>(p.type));
  }
  return out + " + NONE (0)";
}

Bytes cookies_of(std::uint64_t ci, std::uint64_t cr) {
  Bytes b(16);
  store_be64(b.data(), ci);
  store_be64(b.data() + 8, cr);
  return b;
}

Bytes last_block(ByteView datagram, std::size_t block) {
  return Bytes(datagram.end() - static_cast<std::ptrdiff_t>(block), datagram.end());
}

enum class P1State { I_MM1, I_MM3, I_MM5, R_MM2, R_MM4, I_AM1, R_AM2, COMPLETE };

std::string_view ios_state(P1State s) {
  switch (s) {
    case P1State::I_MM1: return "IKE_I_MM1";
    case P1State::I_MM3: return "IKE_I_MM3";
    case P1State::I_MM5: return "IKE_I_MM5";
    case P1State::R_MM2: return "IKE_R_MM2";
    case P1State::R_MM4: return "IKE_R_MM4";
    case P1State::I_AM1: return "IKE_I_AM1";
    case P1State::R_AM2: return "IKE_R_AM2";
    case P1State::COMPLETE: return "IKE_P1_COMPLETE";
  }
  return "";
}

// `show crypto isakmp sa` (IOS) state column.
std::string_view show_state(P1State s) {
  switch (s) {
    case P1State::I_MM1: return "MM_NO_STATE";
    case P1State::R_MM2: return "MM_SA_SETUP";
    case P1State::I_MM3: return "MM_SA_SETUP";
    case P1State::R_MM4: return "MM_KEY_EXCH";
    case P1State::I_MM5: return "MM_KEY_EXCH";
    case P1State::I_AM1: return "AG_INIT_EXCH";
    case P1State::R_AM2: return "AG_INIT_EXCH";
    case P1State::COMPLETE: return "QM_IDLE";
  }
  return "";
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct Engine::Impl {
  // What a Quick Mode is for: one crypto map entry's ACL line.
  struct Request {
    std::string map;
    std::uint32_t seq = 0;
    std::size_t acl_index = 0;
    std::uint32_t reqid = 0;
    policy::Selector selector;  // outbound view
    bool dynamic = false;
    std::uint32_t replaces = 0;  // child id this rekeys
  };

  struct Sent {
    Bytes datagram;
    Endpoint local, remote;
    TimePoint next{};
    int retries = 0;
  };

  struct Quick {
    std::uint32_t mid = 0;
    bool initiator = false;
    enum class St { I_QM1, R_QM2, DONE } state = St::I_QM1;
    Bytes iv;
    Bytes ni, nr;
    std::unique_ptr<crypto::KeyExchange> dh;
    Request req;
    std::uint32_t spi_in = 0, spi_out = 0;
    EspChoice choice;
    std::optional<Sent> out;
    Bytes last_rx;
    TimePoint started{}, linger_until{};
    std::uint32_t child = 0;  // the child it created (responder: inbound installed at QM2)
  };

  struct Isakmp {
    std::uint32_t conn_id = 0;
    std::uint64_t cky_i = 0, cky_r = 0;
    bool initiator = false;
    P1State state = P1State::I_MM1;
    Endpoint local, remote;
    std::string peer_name;
    SecretBytes psk;
    P1Choice suite;
    std::vector<P1Choice> offered;  // initiator: what MM1 proposed
    Bytes sa_i_body;
    Bytes id_i_body;  // Aggressive Mode: IDii_b from AM1, for HASH_I in AM3
    // Responder: SHA-256 of the Main/Aggressive Mode 1 answered. Only an identical repeat is
    // answered again, so a forged one with the cookie makes us send nothing to the peer.
    Bytes first_rx_digest;
    bool aggressive = false;
    std::optional<DhGroup> am_group;  // initiator: the crypto map's Aggressive Mode group (rekeys reuse it)
    // Responder: the longer lifetime the initiator proposed, when ours applies instead.
    std::optional<std::chrono::seconds> forced_from;
    std::unique_ptr<crypto::KeyExchange> dh;
    Bytes g_xi, g_xr, ni, nr;
    std::optional<crypto::ikev1::Phase1Keys> keys;
    Bytes iv;       // the IV of the next Main Mode message
    Bytes p1_last;  // last CBC block of phase 1 (RFC 2409 appendix B)
    std::optional<Sent> out;
    Bytes last_rx;
    TimePoint created{}, established{}, expire_at{}, rekey_at{};
    bool natt = false, natt_draft = false, nat_local = false, nat_remote = false, peer_dpd = false;
    TimePoint last_heard{}, dpd_next{}, keepalive_next{};
    std::uint32_t dpd_seq = 0;
    int dpd_outstanding = 0;
    std::map<std::uint32_t, Quick> quick;
    // Message IDs of Quick Modes this SA has finished with. A Quick Mode 1 with one of them is
    // a replay (its HASH(1) still verifies: same keys, same octets) and must not start a
    // second negotiation once the first one's record is gone (RFC 2409 5.5 wants each
    // exchange's Message ID unique).
    std::set<std::uint32_t> used_mids;
    std::vector<Request> pending;
    bool replaced = false;  // a newer ISAKMP SA with the same peer took over
  };

  struct Child {
    std::uint32_t id = 0;
    Request req;
    Endpoint local, remote;
    std::uint32_t conn_id = 0;  // the ISAKMP SA that negotiated it
    std::string peer_name;
    std::uint32_t spi_in = 0, spi_out = 0;
    EspChoice choice;
    bool initiator = false;
    bool out_installed = false;
    bool dynamic_policy = false;
    bool nat = false;
    bool rekeying = false;
    TimePoint created{}, rekey_at{}, expire_at{};
  };

  struct ReqidInfo {
    std::string map;
    std::uint32_t seq = 0;
    std::size_t acl_index = 0;
  };

  Impl(std::shared_ptr<const policy::Policy> p, dataplane::DataPlane& d, Random& r, Host& h, EngineOptions o, Stats& s)
      : policy(std::move(p)), dp(d), random(r), host(h), options(o), stats(s) {}

  std::shared_ptr<const policy::Policy> policy;
  dataplane::DataPlane& dp;
  Random& random;
  Host& host;
  EngineOptions options;
  Stats& stats;
  std::map<std::uint64_t, std::unique_ptr<Isakmp>> sas;  // by initiator cookie
  std::map<std::uint32_t, Child> children;
  std::map<std::tuple<std::string, std::uint32_t, std::size_t>, std::uint32_t> reqid_of;
  std::map<std::uint32_t, ReqidInfo> reqids;
  std::set<std::uint32_t> acquiring;
  ReqidPool reqid_pool{kIkev1FirstReqid, kIkev1LastReqid};  // apart from the IKEv2 engine's
  std::uint32_t next_conn_id = 1001;
  std::uint32_t next_child_id = 1;

  // ---- tracing ------------------------------------------------------------------------------

  void note(const Isakmp* sa, int level, std::string text, std::uint32_t mid = 0) {
    if (!host.tracing(level)) return;
    TraceEvent e;
    e.kind = TraceEvent::Kind::Note;
    e.level = level;
    e.message_id = mid;
    if (sa) {
      e.conn_id = sa->conn_id;
      e.local = sa->local;
      e.remote = sa->remote;
      e.group = sa->peer_name;
    }
    e.text = std::move(text);
    host.trace(e);
  }
  void state_change(const Isakmp& sa, std::string_view from, std::string_view to, std::uint32_t mid = 0) {
    if (!host.tracing(5)) return;
    TraceEvent e;
    e.kind = TraceEvent::Kind::StateChange;
    e.level = 5;
    e.conn_id = sa.conn_id;
    e.message_id = mid;
    e.local = sa.local;
    e.remote = sa.remote;
    e.group = sa.peer_name;
    e.old_state = from;
    e.new_state = to;
    host.trace(e);
  }
  void packet(const Isakmp& sa, bool sent, const is::Message& m, std::size_t length) {
    if (!host.tracing(4)) return;
    TraceEvent e;
    e.kind = sent ? TraceEvent::Kind::Sent : TraceEvent::Kind::Received;
    e.level = 4;
    e.conn_id = sa.conn_id;
    e.message_id = m.header.message_id;
    e.local = sa.local;
    e.remote = sa.remote;
    e.group = sa.peer_name;
    e.text = fmt::format("IKE_DECODE {} Message (msgid={:x}) with payloads : {} total length : {}",
                         sent ? "SENDING" : "RECEIVED", m.header.message_id, payload_list(m.payloads), length);
    host.trace(e);
  }

  // ---- sending ------------------------------------------------------------------------------

  std::size_t block_size(const Isakmp& sa) const { return crypto::encr_block_size(sa.suite.encr); }

  // Encodes (and, with `iv`, encrypts and advances the IV to the last ciphertext block).
  std::optional<Bytes> build(Isakmp& sa, const is::Message& m, Bytes* iv) {
    Result<Bytes> d = [&]() -> Result<Bytes> {
      if (!iv) return is::encode(m);
      auto cipher = crypto::CbcCipher::create(sa.suite.encr, sa.keys->encr_key.view());
      if (!cipher) return std::unexpected(cipher.error());
      return is::encode(m, block_size(sa), [&](MutableByteView body) { return cipher->encrypt(*iv, body, body); });
    }();
    if (!d) {
      note(&sa, 1, "failed to build a message: " + d.error().message);
      return std::nullopt;
    }
    if (iv) *iv = last_block(*d, block_size(sa));
    return std::move(*d);
  }

  is::Header header(const Isakmp& sa, is::ExchangeType x, std::uint32_t mid) const {
    is::Header h;
    h.cookie_i = sa.cky_i;
    h.cookie_r = sa.cky_r;
    h.exchange = x;
    h.message_id = mid;
    return h;
  }

  void send(const Endpoint& local, const Endpoint& remote, ByteView d) {
    ++stats.out_packets;
    stats.out_octets += d.size();
    host.send(local, remote, d);
  }

  void transmit(Isakmp& sa, const is::Message& m, const Bytes& d) {
    packet(sa, true, m, d.size());
    send(sa.local, sa.remote, d);
  }

  // A datagram dropped unprocessed, counted under `why` too.
  void dropped(std::uint64_t& why) {
    ++why;
    ++stats.in_drops;
  }

  void count_sent(const std::vector<is::Payload>& payloads) {
    for (const auto& p : payloads) {
      if (p.get<is::NotifyPayload>()) ++stats.out_notifies;
      if (const auto* d = p.get<is::DeletePayload>(); d && d->protocol == is::ProtocolId::ESP) ++stats.out_p2_deletes;
    }
  }

  // Sends a Main Mode message; `expect_reply` keeps it for retransmission.
  bool send_main(Isakmp& sa, is::Message m, bool encrypted, bool expect_reply, TimePoint now) {
    m.encrypted = encrypted;
    auto d = build(sa, m, encrypted ? &sa.iv : nullptr);
    if (!d) return false;
    transmit(sa, m, *d);
    if (expect_reply)
      sa.out = Sent{*d, sa.local, sa.remote, now + options.retransmit_base, 0};
    else
      sa.out = Sent{*d, sa.local, sa.remote, TimePoint::max(), 0};  // kept for repeats of the peer's last
    return true;
  }

  // An Informational exchange on an established SA (RFC 2409 5.7): HASH(1) over the payloads.
  void send_informational(Isakmp& sa, std::vector<is::Payload> payloads) {
    if (sa.state != P1State::COMPLETE || !sa.keys) return;
    std::uint32_t mid = fresh_mid(sa);
    auto chain = is::encode_payloads(payloads);
    if (!chain) return;
    is::Message m;
    m.header = header(sa, is::ExchangeType::INFORMATIONAL, mid);
    m.encrypted = true;
    m.payloads.push_back(is::make(is::HashPayload{crypto::ikev1::quick_hash1(sa.suite.prf, sa.keys->skeyid_a, mid, *chain)}));
    for (auto& p : payloads) m.payloads.push_back(std::move(p));
    Bytes iv = crypto::ikev1::phase2_iv(sa.suite.prf, sa.p1_last, mid, block_size(sa));
    if (auto d = build(sa, m, &iv)) {
      count_sent(m.payloads);
      transmit(sa, m, *d);
    }
  }

  // A clear notification (before keys exist: NO-PROPOSAL-CHOSEN in answer to Main Mode 1).
  void send_clear_notify(const Endpoint& local, const Endpoint& remote, std::uint64_t ci, std::uint64_t cr,
                         is::NotifyType type) {
    is::Message m;
    m.header.cookie_i = ci;
    m.header.cookie_r = cr;
    m.header.exchange = is::ExchangeType::INFORMATIONAL;
    m.header.message_id = random.u32();
    m.payloads.push_back(is::make(is::NotifyPayload{is::kDoiIpsec, is::ProtocolId::ISAKMP, cookies_of(ci, cr), type, {}}));
    if (auto d = is::encode(m)) {
      ++stats.out_notifies;
      send(local, remote, *d);
    }
  }

  std::uint32_t fresh_mid(const Isakmp& sa) {
    while (true) {
      std::uint32_t mid = random.u32();
      if (mid != 0 && !sa.quick.contains(mid) && !sa.used_mids.contains(mid)) return mid;
    }
  }

  // ---- SA bookkeeping -------------------------------------------------------------------------

  Isakmp* find(std::uint64_t ci, std::uint64_t cr) {
    auto it = sas.find(ci);
    if (it == sas.end()) return nullptr;
    Isakmp& sa = *it->second;
    if (sa.cky_r != cr && !(sa.cky_r == 0 && sa.initiator)) return nullptr;
    return &sa;
  }

  Isakmp* established_with(const IpAddress& peer) {
    Isakmp* best = nullptr;
    for (auto& [ci, sa] : sas)
      if (sa->state == P1State::COMPLETE && !sa->replaced && sa->remote.address == peer &&
          (!best || sa->established > best->established))
        best = sa.get();
    return best;
  }
  Isakmp* negotiating_with(const IpAddress& peer) {
    for (auto& [ci, sa] : sas)
      if (sa->state != P1State::COMPLETE && sa->initiator && sa->remote.address == peer) return sa.get();
    return nullptr;
  }

  void drop_sa(std::uint64_t ci, std::string_view why) {
    auto it = sas.find(ci);
    if (it == sas.end()) return;
    Isakmp& sa = *it->second;
    note(&sa, 3, fmt::format("IKE SA deleted: {}", why));
    if (sa.state != P1State::COMPLETE) {
      ++(sa.initiator ? stats.initiator_fails : stats.responder_fails);
      if (!sa.initiator) --stats.half_open;
    }
    for (auto& [mid, q] : sa.quick) abandon_quick(sa, q);
    for (const auto& r : sa.pending) acquiring.erase(r.reqid);
    sas.erase(it);
  }

  // The exchange's record goes; its Message ID stays known, so a replay of it is recognised.
  static void forget_quick(Isakmp& sa, std::uint32_t mid) {
    constexpr std::size_t kMaxRemembered = 4096;  // a peer that rekeys hourly needs a few dozen
    sa.quick.erase(mid);
    if (sa.used_mids.size() >= kMaxRemembered) sa.used_mids.erase(sa.used_mids.begin());
    sa.used_mids.insert(mid);
  }

  void abandon_quick(Isakmp&, Quick& q) {
    acquiring.erase(q.req.reqid);
    if (q.state != Quick::St::DONE && q.child) {
      // Responder that installed the inbound SA at QM2 and never saw QM3.
      auto it = children.find(q.child);
      if (it != children.end() && !it->second.out_installed) remove_child(it->second, false);
    }
  }

  void remove_child(Child& c, bool notify_peer) {
    if (notify_peer)
      if (Isakmp* sa = established_with(c.remote.address))
        send_informational(*sa, {is::make(is::DeletePayload{is::kDoiIpsec, is::ProtocolId::ESP, 4, {spi_bytes(c.spi_in)}})});
    (void)dp.delete_sa(c.spi_in, dataplane::Direction::Inbound);
    if (c.out_installed) (void)dp.delete_sa(c.spi_out, dataplane::Direction::Outbound);
    if (c.dynamic_policy) {
      bool shared = false;
      for (const auto& [id, o] : children) shared = shared || (o.id != c.id && o.req.reqid == c.req.reqid);
      if (!shared) {
        (void)dp.delete_policy(c.req.reqid);
        reqid_pool.give_back(c.req.reqid);
      }
    }
    children.erase(c.id);
  }

  static Bytes spi_bytes(std::uint32_t spi) {
    Bytes b(4);
    store_be32(b.data(), spi);
    return b;
  }

  std::uint32_t reqid_for(const policy::CryptoMapEntry& e, std::size_t acl_index) {
    auto key = std::make_tuple(e.map, e.seq, acl_index);
    if (auto it = reqid_of.find(key); it != reqid_of.end()) return it->second;
    std::uint32_t r = reqid_pool.take().value_or(0);  // 0: exhausted, refused by the data plane
    if (r == 0) return 0;
    reqid_of[key] = r;
    reqids[r] = ReqidInfo{e.map, e.seq, acl_index};
    return r;
  }

  // The C-id shown for a child: its own ISAKMP SA while it lives, else the newest established
  // one with the peer (a phase-1 rekey replaced it), else 0.
  std::uint32_t current_conn_id(const Child& c) const {
    const Isakmp* best = nullptr;
    for (const auto& [ci, sa] : sas) {
      if (sa->state != P1State::COMPLETE || sa->remote.address != c.remote.address) continue;
      if (sa->conn_id == c.conn_id) return c.conn_id;
      if (!sa->replaced && (!best || sa->established > best->established)) best = sa.get();
    }
    return best ? best->conn_id : 0;
  }

  const policy::PeerAuth* peer_auth(const IpAddress& a) const { return policy->find_peer(a); }

  std::vector<P1Choice> local_p1() const {
    std::vector<P1Choice> out;
    for (const auto& p : policy->isakmp_proposals) {
      if (!p.pre_share || !p1_encr_attr(p.encr.id) || !crypto::encr_supported(p.encr.id, fixed_key_bits(p.encr.id, p.encr.key_bits)))
        continue;
      out.push_back({p.encr.id, fixed_key_bits(p.encr.id, p.encr.key_bits), p.hash, p.group, p.lifetime, p.priority});
    }
    return out;
  }

  // ---- Main Mode: initiator -------------------------------------------------------------------

  // A new ISAKMP SA with `remote`, keyed with its pre-shared key; nullptr (logged) without one.
  std::unique_ptr<Isakmp> new_sa(const Endpoint& local, const Endpoint& remote, bool initiator, std::uint64_t cky_i, TimePoint now) {
    const auto* auth = peer_auth(remote.address);
    if (!auth || auth->local_psk.empty() || auth->local_psk_masked) {
      note(nullptr, 1, fmt::format("IP = {}, no pre-shared key or tunnel-group for the peer", remote.address.to_string()));
      if (!initiator) ++stats.in_drops;
      return nullptr;
    }
    if (sas.size() >= options.max_sas || (!initiator && stats.half_open >= options.half_open_limit)) {
      ++stats.capacity_fails;
      ++stats.in_drops;
      note(nullptr, 2, fmt::format("IP = {}, no room for another negotiation ({} SAs, {} half-open): dropped",
                                   remote.address.to_string(), sas.size(), stats.half_open));
      return nullptr;
    }
    auto sa = std::make_unique<Isakmp>();
    sa->cky_i = cky_i;
    if (initiator) {
      do sa->cky_i = random.u64();
      while (sa->cky_i == 0 || sas.contains(sa->cky_i));
    } else {
      do sa->cky_r = random.u64();
      while (sa->cky_r == 0);
    }
    sa->conn_id = next_conn_id++;
    sa->initiator = initiator;
    sa->local = local;
    sa->remote = remote;
    sa->peer_name = auth->name;
    sa->psk = auth->local_psk;
    sa->created = sa->last_heard = now;
    return sa;
  }


  // How phase 1 is initiated: Main Mode, or Aggressive Mode (the crypto map entry's `set ikev1
  // phase1-mode aggressive [groupN]`, or the engine option) with an optional DH group.
  struct Phase1Mode {
    bool aggressive = false;
    std::optional<DhGroup> group;
  };
  Phase1Mode mode_for(const policy::CryptoMapEntry& e) const {
    return {e.aggressive || options.aggressive, e.aggressive_group};
  }

  Isakmp* start_phase1(const Endpoint& local, const Endpoint& remote, Phase1Mode mode, TimePoint now) {
    return mode.aggressive ? start_aggressive(local, remote, mode.group, now) : start_main_mode(local, remote, now);
  }

  Isakmp* start_main_mode(const Endpoint& local, const Endpoint& remote, TimePoint now) {
    auto offers = local_p1();
    if (offers.empty()) {
      note(nullptr, 1, "no usable crypto isakmp policy (pre-share, DES/3DES/AES)");
      return nullptr;
    }
    auto sa = new_sa(local, remote, true, 0, now);
    if (!sa) return nullptr;
    sa->offered = offers;
    is::Proposal prop;
    prop.number = 1;
    prop.protocol = is::ProtocolId::ISAKMP;
    for (std::size_t i = 0; i < offers.size() && i < 255; ++i)
      prop.transforms.push_back(p1_transform(offers[i], static_cast<std::uint8_t>(i + 1)));
    is::Message m;
    m.header = header(*sa, is::ExchangeType::MAIN, 0);
    m.payloads.push_back(is::make(is::SaPayload{is::kDoiIpsec, is::kSituationIdentity, {prop}}));
    sa->sa_i_body = *is::encode_body(m.payloads[0]);
    for (auto& v : wire::isakmp::vid::main_mode_set()) m.payloads.push_back(is::make(is::VendorPayload{v}));
    Isakmp& ref = *sa;
    sas[sa->cky_i] = std::move(sa);
    ++stats.initiator_tunnels;
    note(&ref, 3, fmt::format("IKE Initiator: New Phase 1, IKE Peer {}", remote.address.to_string()));
    state_change(ref, "IKE_READY", ios_state(P1State::I_MM1));
    send_main(ref, std::move(m), false, true, now);
    return &ref;
  }

  void read_vendor_ids(Isakmp& sa, const std::vector<is::Payload>& payloads) {
    namespace vid = wire::isakmp::vid;
    for (const auto* v : is::find_all<is::VendorPayload>(payloads)) {
      auto k = vid::classify(v->data);
      if (k == vid::Known::NAT_T_RFC3947) sa.natt = true;
      if (vid::is_nat_t_draft(k)) sa.natt_draft = true;
      if (k == vid::Known::DPD) sa.peer_dpd = true;
      if (k != vid::Known::UNKNOWN) note(&sa, 7, fmt::format("vendor ID is {}", vid::name(k)));
    }
    if (sa.natt) sa.natt_draft = false;  // RFC 3947 wins over the drafts
  }

  bool uses_natt(const Isakmp& sa) const { return sa.natt || sa.natt_draft; }

  void add_nat_d(Isakmp& sa, std::vector<is::Payload>& out) {
    if (!uses_natt(sa)) return;
    bool draft = !sa.natt;
    // RFC 3947 3.2: the first NAT-D is the peer's address as this side sees it, then ours.
    out.push_back(is::make(is::NatDPayload{crypto::ikev1::nat_d(sa.suite.prf, sa.cky_i, sa.cky_r, sa.remote)}, draft));
    out.push_back(is::make(is::NatDPayload{crypto::ikev1::nat_d(sa.suite.prf, sa.cky_i, sa.cky_r, sa.local)}, draft));
  }

  void check_nat_d(Isakmp& sa, const std::vector<is::Payload>& payloads) {
    auto d = is::find_all<is::NatDPayload>(payloads);
    if (!uses_natt(sa) || d.size() < 2) return;
    Bytes me = crypto::ikev1::nat_d(sa.suite.prf, sa.cky_i, sa.cky_r, sa.local);
    Bytes them = crypto::ikev1::nat_d(sa.suite.prf, sa.cky_i, sa.cky_r, sa.remote);
    sa.nat_local = d[0]->hash != me;
    sa.nat_remote = std::none_of(d.begin() + 1, d.end(), [&](const auto* p) { return p->hash == them; });
    if (sa.nat_local || sa.nat_remote)
      note(&sa, 3, fmt::format("NAT-Traversal: NAT detected ({})",
                               sa.nat_local ? (sa.nat_remote ? "both behind NAT" : "this end behind NAT") : "peer behind NAT"));
    if (sa.nat_local) sa.keepalive_next = TimePoint::min();
  }

  bool make_dh_and_nonce(Isakmp& sa) {
    auto dh = crypto::KeyExchange::create(sa.suite.group);
    if (!dh) {
      note(&sa, 1, "Diffie-Hellman failed: " + dh.error().message);
      return false;
    }
    sa.dh = std::move(*dh);
    Bytes n(kNonceSize);
    random.fill(n);
    (sa.initiator ? sa.ni : sa.nr) = std::move(n);
    auto pub = sa.dh->public_value();
    (sa.initiator ? sa.g_xi : sa.g_xr) = Bytes(pub.begin(), pub.end());
    return true;
  }

  bool derive(Isakmp& sa) {
    auto shared = sa.dh->shared_secret(sa.initiator ? sa.g_xr : sa.g_xi);
    sa.dh.reset();
    if (!shared) {
      note(&sa, 1, "peer's KE rejected: " + shared.error().message);
      return false;
    }
    auto k = crypto::ikev1::derive_phase1_psk(sa.suite.prf, sa.psk.view(), sa.ni, sa.nr, *shared, sa.cky_i, sa.cky_r,
                                              sa.suite.encr, sa.suite.key_bits, sa.g_xi, sa.g_xr);
    if (!k) {
      note(&sa, 1, "key derivation failed: " + k.error().message);
      return false;
    }
    sa.keys = std::move(*k);
    sa.iv = sa.keys->iv;
    note(&sa, 7, sa.initiator ? "Generating keys for Initiator..." : "Generating keys for Responder...");
    return true;
  }

  is::IdPayload my_phase1_id(const Isakmp& sa) const {
    return is::IdPayload::address(sa.local.address, kProtoUdp, sa.local.port == kIkePort ? kIkePort : 0);
  }

  void on_mm2(Isakmp& sa, const is::Message& m, TimePoint now) {
    const auto* saP = is::find<is::SaPayload>(m.payloads);
    if (!saP || saP->proposals.size() != 1 || saP->proposals[0].transforms.size() != 1) {
      note(&sa, 1, "Main Mode 2 without exactly one chosen transform");
      return;
    }
    auto choice = parse_p1(saP->proposals[0].transforms[0]);
    if (!choice) {
      note(&sa, 1, "responder chose an unacceptable transform: " + choice.error());
      return;
    }
    // The responder may shorten the lifetime; everything else must be one of our offers.
    auto same = [&](const P1Choice& o) {
      return o.encr == choice->encr && o.key_bits == choice->key_bits && o.prf == choice->prf && o.group == choice->group;
    };
    auto it = std::find_if(sa.offered.begin(), sa.offered.end(), same);
    if (it == sa.offered.end()) {
      note(&sa, 1, "responder chose a transform that was not offered");
      return;
    }
    sa.suite = *choice;
    if (sa.suite.lifetime.count() == 0 || (it->lifetime.count() && it->lifetime < sa.suite.lifetime))
      sa.suite.lifetime = it->lifetime;
    sa.cky_r = m.header.cookie_r;
    read_vendor_ids(sa, m.payloads);
    note(&sa, 7, "Oakley proposal is acceptable");
    state_change(sa, ios_state(P1State::I_MM1), "IKE_I_MM2");
    if (!make_dh_and_nonce(sa)) return drop_sa(sa.cky_i, "DH failure");
    is::Message out;
    out.header = header(sa, is::ExchangeType::MAIN, 0);
    out.payloads.push_back(is::make(is::KePayload{sa.g_xi}));
    out.payloads.push_back(is::make(is::NoncePayload{sa.ni}));
    add_nat_d(sa, out.payloads);
    state_change(sa, "IKE_I_MM2", ios_state(P1State::I_MM3));
    sa.state = P1State::I_MM3;
    send_main(sa, std::move(out), false, true, now);
  }

  void on_mm4(Isakmp& sa, const is::Message& m, TimePoint now) {
    const auto* ke = is::find<is::KePayload>(m.payloads);
    const auto* nonce = is::find<is::NoncePayload>(m.payloads);
    if (!ke || !nonce) {
      note(&sa, 1, "Main Mode 4 without KE and NONCE");
      return;
    }
    sa.g_xr = ke->data;
    sa.nr = nonce->data;
    state_change(sa, ios_state(P1State::I_MM3), "IKE_I_MM4");
    check_nat_d(sa, m.payloads);
    if (!derive(sa)) return drop_sa(sa.cky_i, "key derivation");
    // RFC 3947 4: with a NAT in between, the initiator moves to port 4500 from Main Mode 5 on.
    if (sa.nat_local || sa.nat_remote) {
      sa.local.port = kNattPort;
      sa.remote.port = kNattPort;
      note(&sa, 5, "NAT-Traversal: floating to port 4500");
    }
    is::IdPayload id = my_phase1_id(sa);
    Bytes id_body = *is::encode_body(is::make(id));
    Bytes h = crypto::ikev1::hash_i(sa.suite.prf, sa.keys->skeyid, sa.g_xi, sa.g_xr, sa.cky_i, sa.cky_r, sa.sa_i_body, id_body);
    is::Message out;
    out.header = header(sa, is::ExchangeType::MAIN, 0);
    out.payloads.push_back(is::make(id));
    out.payloads.push_back(is::make(is::HashPayload{h}));
    // INITIAL-CONTACT (RFC 2407 4.6.3.3) only when nothing is up with the peer: in a phase-1
    // rekey it would make the peer drop the IPsec SAs that are carrying traffic.
    bool first_contact = !established_with(sa.remote.address) &&
                         std::none_of(children.begin(), children.end(),
                                      [&](const auto& c) { return c.second.remote.address == sa.remote.address; });
    if (first_contact)
      out.payloads.push_back(is::make(is::NotifyPayload{is::kDoiIpsec, is::ProtocolId::ISAKMP, cookies_of(sa.cky_i, sa.cky_r),
                                                        is::NotifyType::INITIAL_CONTACT, {}}));
    state_change(sa, "IKE_I_MM4", ios_state(P1State::I_MM5));
    sa.state = P1State::I_MM5;
    send_main(sa, std::move(out), true, true, now);
  }

  // MM5 (responder) or MM6 (initiator): ID and HASH, already decrypted.
  bool verify_peer_hash(Isakmp& sa, const is::Message& m, ByteView plain) {
    const auto* id = is::find<is::IdPayload>(m.payloads);
    const auto* h = is::find<is::HashPayload>(m.payloads);
    if (!id || !h) {
      note(&sa, 1, "identity message without ID and HASH");
      return false;
    }
    std::size_t idx = 0;
    while (idx < m.payloads.size() && m.payloads[idx].type != is::PayloadType::ID) ++idx;
    const auto& span = m.spans[idx];
    ByteView id_body = plain.subspan(span.offset + is::kGenericHeaderSize, span.length - is::kGenericHeaderSize);
    Bytes want = sa.initiator
                     ? crypto::ikev1::hash_r(sa.suite.prf, sa.keys->skeyid, sa.g_xi, sa.g_xr, sa.cky_i, sa.cky_r, sa.sa_i_body, id_body)
                     : crypto::ikev1::hash_i(sa.suite.prf, sa.keys->skeyid, sa.g_xi, sa.g_xr, sa.cky_i, sa.cky_r, sa.sa_i_body, id_body);
    if (!constant_time_equal(want, h->data)) {
      ++stats.auth_failures;
      note(&sa, 1, fmt::format("Hash mismatch: the peer's {} does not verify (pre-shared key mismatch?)",
                               sa.initiator ? "HASH_R" : "HASH_I"));
      return false;
    }
    note(&sa, 7, fmt::format("peer ID {} verified", id->to_string()));
    return true;
  }

  void phase1_complete(Isakmp& sa, ByteView last_datagram, TimePoint now) {
    sa.p1_last = last_block(last_datagram, block_size(sa));
    state_change(sa, sa.aggressive ? (sa.initiator ? "IKE_I_AM1" : "IKE_R_AM2") : (sa.initiator ? "IKE_I_MM6" : "IKE_R_MM5"),
                 ios_state(P1State::COMPLETE));
    if (!sa.initiator) --stats.half_open;
    sa.state = P1State::COMPLETE;
    sa.established = sa.last_heard = now;
    auto life = sa.suite.lifetime.count() ? sa.suite.lifetime : std::chrono::seconds(86400);
    sa.expire_at = now + life;
    sa.rekey_at = sa.initiator ? now + std::chrono::duration_cast<Duration>(life * options.rekey_fraction) : TimePoint::max();
    sa.dpd_next = now + policy->dpd.interval;
    if (sa.nat_local) sa.keepalive_next = now + options.nat_keepalive;
    ++stats.phase1_completed;
    note(&sa, 1, "PHASE 1 COMPLETED");
    if (sa.forced_from) send_responder_lifetime(sa);
    // An older SA with the same peer is replaced (phase-1 rekey, or the peer's restart).
    for (auto& [ci, other] : sas)
      if (other.get() != &sa && other->state == P1State::COMPLETE && other->remote.address == sa.remote.address)
        other->replaced = true;
    auto pending = std::move(sa.pending);
    sa.pending.clear();
    for (auto& r : pending) start_quick(sa, std::move(r), now);
  }

  void on_mm6(Isakmp& sa, const is::Message& m, ByteView plain, ByteView datagram, TimePoint now) {
    if (!verify_peer_hash(sa, m, plain)) return drop_sa(sa.cky_i, "authentication failed");
    sa.out.reset();
    state_change(sa, ios_state(P1State::I_MM5), "IKE_I_MM6");
    phase1_complete(sa, datagram, now);
  }

  // ---- Main Mode: responder -------------------------------------------------------------------

  // What the responder chose: the peer's transform `index`, the suite it runs with, and the
  // lifetime the peer proposed when ours is shorter (RESPONDER-LIFETIME follows, see below).
  struct P1Pick {
    std::size_t index = 0;
    P1Choice suite;
    std::optional<std::chrono::seconds> forced_from;
  };

  // Cisco's order: each local policy by priority against each of the peer's transforms.
  std::optional<P1Pick> choose_p1(const is::Proposal& prop, const Isakmp* sa) {
    auto local = local_p1();
    for (const auto& mine : local) {
      for (std::size_t i = 0; i < prop.transforms.size(); ++i) {
        auto theirs = parse_p1(prop.transforms[i]);
        if (host.tracing(7))
          note(sa, 7, fmt::format("Checking ISAKMP transform {} against priority {} policy", prop.transforms[i].number,
                                  mine.priority));
        if (!theirs) {
          note(sa, 7, fmt::format("transform {}: {}", prop.transforms[i].number, theirs.error()));
          continue;
        }
        if (theirs->encr == mine.encr && theirs->key_bits == mine.key_bits && theirs->prf == mine.prf &&
            theirs->group == mine.group) {
          P1Pick pick{i, *theirs, std::nullopt};
          pick.suite.priority = mine.priority;
          // A longer (or unlimited) peer lifetime is accepted with ours, which the responder then
          // announces with RESPONDER-LIFETIME (RFC 2407 4.6.3.1; Cisco does the same), so both
          // sides expire and rekey at the shorter one.
          auto& life = pick.suite.lifetime;
          if (mine.lifetime.count() && (life.count() == 0 || mine.lifetime < life)) {
            if (life.count()) pick.forced_from = life;
            life = mine.lifetime;
          }
          return pick;
        }
      }
    }
    return std::nullopt;
  }

  void on_mm1(const Endpoint& local, const Endpoint& remote, const is::Message& m, ByteView datagram, TimePoint now) {
    const auto* saP = is::find<is::SaPayload>(m.payloads);
    if (!saP || saP->proposals.empty() || saP->proposals[0].protocol != is::ProtocolId::ISAKMP) {
      ++stats.in_drops;
      note(nullptr, 1, fmt::format("IP = {}, Main Mode 1 without an ISAKMP proposal", remote.address.to_string()));
      return;
    }
    auto sa = new_sa(local, remote, false, m.header.cookie_i, now);
    if (!sa) return;
    state_change(*sa, "IKE_READY", "IKE_R_MM1");
    auto chosen = choose_p1(saP->proposals[0], sa.get());
    if (!chosen) {
      ++stats.no_proposal;
      note(sa.get(), 1, "All SA proposals found unacceptable: NO-PROPOSAL-CHOSEN");
      send_clear_notify(local, remote, sa->cky_i, sa->cky_r, is::NotifyType::NO_PROPOSAL_CHOSEN);
      return;
    }
    note(sa.get(), 7, "Oakley proposal is acceptable");
    sa->suite = chosen->suite;
    sa->forced_from = chosen->forced_from;
    // SAi_b is the SA body as it travelled (RFC 2409 5), not a re-encoding of what we parsed.
    sa->sa_i_body = raw_body(m, datagram, is::PayloadType::SA);
    read_vendor_ids(*sa, m.payloads);
    is::Proposal reply = saP->proposals[0];
    reply.transforms = {saP->proposals[0].transforms[chosen->index]};
    is::Message out;
    out.header = header(*sa, is::ExchangeType::MAIN, 0);
    out.payloads.push_back(is::make(is::SaPayload{is::kDoiIpsec, is::kSituationIdentity, {reply}}));
    for (auto& v : wire::isakmp::vid::main_mode_set()) {
      // Answer only the NAT-T flavour the peer speaks (RFC 3947 or the drafts, never both).
      auto k = wire::isakmp::vid::classify(v);
      if (wire::isakmp::vid::is_nat_t(k) && !(sa->natt ? k == wire::isakmp::vid::Known::NAT_T_RFC3947
                                                       : (sa->natt_draft && k != wire::isakmp::vid::Known::NAT_T_RFC3947)))
        continue;
      out.payloads.push_back(is::make(is::VendorPayload{v}));
    }
    Isakmp& ref = *sa;
    ref.last_rx = {};
    ref.first_rx_digest = sha256({datagram});
    sas[sa->cky_i] = std::move(sa);
    ++stats.half_open;
    ref.state = P1State::R_MM2;
    state_change(ref, "IKE_R_MM1", ios_state(P1State::R_MM2));
    send_main(ref, std::move(out), false, false, now);
  }

  void on_mm3(Isakmp& sa, const is::Message& m, TimePoint now) {
    const auto* ke = is::find<is::KePayload>(m.payloads);
    const auto* nonce = is::find<is::NoncePayload>(m.payloads);
    if (!ke || !nonce) {
      note(&sa, 1, "Main Mode 3 without KE and NONCE");
      return;
    }
    sa.g_xi = ke->data;
    sa.ni = nonce->data;
    state_change(sa, ios_state(P1State::R_MM2), "IKE_R_MM3");
    check_nat_d(sa, m.payloads);
    if (!make_dh_and_nonce(sa) || !derive(sa)) return drop_sa(sa.cky_i, "key derivation");
    is::Message out;
    out.header = header(sa, is::ExchangeType::MAIN, 0);
    out.payloads.push_back(is::make(is::KePayload{sa.g_xr}));
    out.payloads.push_back(is::make(is::NoncePayload{sa.nr}));
    add_nat_d(sa, out.payloads);
    sa.state = P1State::R_MM4;
    state_change(sa, "IKE_R_MM3", ios_state(P1State::R_MM4));
    send_main(sa, std::move(out), false, false, now);
  }

  void on_mm5(Isakmp& sa, const is::Message& m, ByteView plain, const Endpoint& local, const Endpoint& remote, TimePoint now) {
    if (!verify_peer_hash(sa, m, plain)) return drop_sa(sa.cky_i, "authentication failed");
    state_change(sa, ios_state(P1State::R_MM4), "IKE_R_MM5");
    // Authenticated: the peer may have floated to 4500 (RFC 3947 4); answer where it is.
    sa.local = local;
    sa.remote = remote;
    if (is::find_notify(m.payloads, is::NotifyType::INITIAL_CONTACT)) initial_contact(sa);
    is::IdPayload id = my_phase1_id(sa);
    Bytes id_body = *is::encode_body(is::make(id));
    Bytes h = crypto::ikev1::hash_r(sa.suite.prf, sa.keys->skeyid, sa.g_xi, sa.g_xr, sa.cky_i, sa.cky_r, sa.sa_i_body, id_body);
    is::Message out;
    out.header = header(sa, is::ExchangeType::MAIN, 0);
    out.payloads.push_back(is::make(id));
    out.payloads.push_back(is::make(is::HashPayload{h}));
    send_main(sa, out, true, false, now);
    phase1_complete(sa, sa.out->datagram, now);
  }

  // RFC 2407 4.6.3.1 for the ISAKMP SA: we accepted a longer proposed lifetime with our own, and
  // say so in an Informational exchange right after phase 1 (protocol ISAKMP, SPI = the two
  // cookies, the lifetime as phase-1 attributes), so that the initiator rekeys in time.
  void send_responder_lifetime(Isakmp& sa) {
    note(&sa, 3, fmt::format("Responder forcing change of IKE rekeying duration from {} to {} seconds",
                             sa.forced_from->count(), sa.suite.lifetime.count()));
    Bytes data = *is::encode_attributes(
        {is::Attribute::tv(u16(is::Phase1Attr::LIFE_TYPE), u16(is::LifeType::SECONDS)),
         is::Attribute::number(u16(is::Phase1Attr::LIFE_DURATION), static_cast<std::uint64_t>(sa.suite.lifetime.count()))});
    send_informational(sa, {is::make(is::NotifyPayload{is::kDoiIpsec, is::ProtocolId::ISAKMP, cookies_of(sa.cky_i, sa.cky_r),
                                                       is::NotifyType::RESPONDER_LIFETIME, data})});
  }

  // The lifetime in seconds a RESPONDER-LIFETIME carries (life type, then duration; phase-1 and
  // IPsec DOI attribute numbers alike, since peers differ in which they use for ISAKMP).
  static std::optional<std::chrono::seconds> lifetime_of(const is::NotifyPayload& n) {
    std::uint16_t type = 0;
    std::optional<std::chrono::seconds> out;
    for (const auto& at : is::decode_attributes(n.data).value_or(std::vector<is::Attribute>{})) {
      auto v = at.as_number();
      if (!v) continue;
      bool life_type = at.type == u16(is::Phase2Attr::LIFE_TYPE) || at.type == u16(is::Phase1Attr::LIFE_TYPE);
      bool duration = at.type == u16(is::Phase2Attr::LIFE_DURATION) || at.type == u16(is::Phase1Attr::LIFE_DURATION);
      if (life_type) type = static_cast<std::uint16_t>(*v);
      if (duration && type == u16(is::LifeType::SECONDS) && *v > 0)
        out = std::chrono::seconds(std::min<std::uint64_t>(*v, 1u << 30));
    }
    return out;
  }

  // Initiator: the responder shortened the ISAKMP SA's lifetime; expire and rekey by it.
  void on_responder_lifetime(Isakmp& sa, const is::NotifyPayload& n) {
    auto life = lifetime_of(n);
    if (!life || (sa.suite.lifetime.count() && *life >= sa.suite.lifetime)) return;
    note(&sa, 3, fmt::format("Responder forcing change of IKE rekeying duration from {} to {} seconds",
                             sa.suite.lifetime.count(), life->count()));
    sa.suite.lifetime = *life;
    sa.expire_at = sa.established + *life;
    if (sa.initiator && sa.rekey_at != TimePoint::max())
      sa.rekey_at = sa.established + std::chrono::duration_cast<Duration>(*life * options.rekey_fraction);
  }

  // RFC 2407 4.6.3.3: the peer has no state from before; ours with it goes.
  void initial_contact(Isakmp& sa) {
    note(&sa, 5, "Received INITIAL-CONTACT: removing the SAs of the peer's earlier incarnation");
    std::vector<std::uint64_t> old;
    for (auto& [ci, other] : sas)
      if (other.get() != &sa && other->remote.address == sa.remote.address) old.push_back(ci);
    for (auto ci : old) drop_sa(ci, "INITIAL-CONTACT");
    std::vector<std::uint32_t> gone;
    for (auto& [id, c] : children)
      if (c.remote.address == sa.remote.address) gone.push_back(id);
    for (auto id : gone) remove_child(children.at(id), false);
  }


  // ---- Aggressive Mode (RFC 2409 5.4, pre-shared key) -----------------------------------------
  //   AM1  HDR, SA, KE, Ni, IDii                       (one DH group: the KE goes out at once)
  //   AM2  HDR, SA, KE, Nr, IDir, [NAT-D, NAT-D,] HASH_R
  //   AM3  HDR*, HASH_I [, NAT-D, NAT-D]               (encrypted, IV = hash(g^xi | g^xr))

  Bytes raw_body(const is::Message& m, ByteView data, is::PayloadType type) const {
    for (std::size_t i = 0; i < m.payloads.size(); ++i)
      if (m.payloads[i].type == type) {
        auto b = data.subspan(m.spans[i].offset + is::kGenericHeaderSize, m.spans[i].length - is::kGenericHeaderSize);
        return Bytes(b.begin(), b.end());
      }
    return {};
  }

  // The KE is sent before the group is agreed, so every transform of AM1 carries one group: the
  // one the crypto map names (`phase1-mode aggressive group5` puts group 5 into each policy it
  // offers), else the first policy's (and only the policies with that group are offered).
  static std::vector<P1Choice> aggressive_offers(const std::vector<P1Choice>& all, std::optional<DhGroup> group) {
    std::vector<P1Choice> offers;
    if (all.empty()) return offers;
    for (auto c : all) {
      if (!group && c.group != all.front().group) continue;
      if (group) c.group = *group;
      if (std::find(offers.begin(), offers.end(), c) == offers.end()) offers.push_back(c);
    }
    return offers;
  }

  Isakmp* start_aggressive(const Endpoint& local, const Endpoint& remote, std::optional<DhGroup> group, TimePoint now) {
    auto offers = aggressive_offers(local_p1(), group);
    if (offers.empty()) {
      note(nullptr, 1, "no usable crypto isakmp policy (pre-share, DES/3DES/AES)");
      return nullptr;
    }
    if (!crypto::dh_supported(offers.front().group)) {
      note(nullptr, 1, fmt::format("Aggressive Mode group {} unsupported", u16(offers.front().group)));
      return nullptr;
    }
    auto sa = new_sa(local, remote, true, 0, now);
    if (!sa) return nullptr;
    sa->aggressive = true;
    sa->am_group = group;
    sa->offered = offers;
    sa->suite.group = offers.front().group;
    if (!make_dh_and_nonce(*sa)) return nullptr;
    is::Proposal prop;
    prop.protocol = is::ProtocolId::ISAKMP;
    for (std::size_t i = 0; i < offers.size() && i < 255; ++i)
      prop.transforms.push_back(p1_transform(offers[i], static_cast<std::uint8_t>(i + 1)));
    is::Message m;
    m.header = header(*sa, is::ExchangeType::AGGRESSIVE, 0);
    m.payloads.push_back(is::make(is::SaPayload{is::kDoiIpsec, is::kSituationIdentity, {prop}}));
    sa->sa_i_body = *is::encode_body(m.payloads[0]);
    m.payloads.push_back(is::make(is::KePayload{sa->g_xi}));
    m.payloads.push_back(is::make(is::NoncePayload{sa->ni}));
    is::IdPayload id = my_phase1_id(*sa);
    sa->id_i_body = *is::encode_body(is::make(id));
    m.payloads.push_back(is::make(id));
    for (auto& v : wire::isakmp::vid::main_mode_set()) m.payloads.push_back(is::make(is::VendorPayload{v}));
    Isakmp& ref = *sa;
    sas[sa->cky_i] = std::move(sa);
    ++stats.initiator_tunnels;
    note(&ref, 3, fmt::format("IKE Initiator: New Phase 1 (Aggressive Mode), IKE Peer {}", remote.address.to_string()));
    ref.state = P1State::I_AM1;
    state_change(ref, "IKE_READY", ios_state(P1State::I_AM1));
    send_main(ref, std::move(m), false, true, now);
    return &ref;
  }

  void on_am1(const Endpoint& local, const Endpoint& remote, const is::Message& m, ByteView data, TimePoint now) {
    const auto* saP = is::find<is::SaPayload>(m.payloads);
    const auto* ke = is::find<is::KePayload>(m.payloads);
    const auto* nonce = is::find<is::NoncePayload>(m.payloads);
    if (!saP || saP->proposals.empty() || !ke || !nonce || !is::find<is::IdPayload>(m.payloads)) {
      ++stats.in_drops;
      note(nullptr, 1, fmt::format("IP = {}, Aggressive Mode 1 without SA, KE, NONCE and ID", remote.address.to_string()));
      return;
    }
    auto sa = new_sa(local, remote, false, m.header.cookie_i, now);
    if (!sa) return;
    sa->aggressive = true;
    state_change(*sa, "IKE_READY", "IKE_R_AM1");
    auto chosen = choose_p1(saP->proposals[0], sa.get());
    if (!chosen || ke->data.size() != crypto::dh_public_size(chosen->suite.group)) {
      ++stats.no_proposal;
      note(sa.get(), 1, "All SA proposals found unacceptable: NO-PROPOSAL-CHOSEN");
      send_clear_notify(local, remote, sa->cky_i, sa->cky_r, is::NotifyType::NO_PROPOSAL_CHOSEN);
      return;
    }
    sa->suite = chosen->suite;
    sa->forced_from = chosen->forced_from;
    sa->sa_i_body = raw_body(m, data, is::PayloadType::SA);
    sa->id_i_body = raw_body(m, data, is::PayloadType::ID);
    sa->g_xi = ke->data;
    sa->ni = nonce->data;
    read_vendor_ids(*sa, m.payloads);
    if (!make_dh_and_nonce(*sa) || !derive(*sa)) return;
    is::Proposal reply = saP->proposals[0];
    reply.transforms = {saP->proposals[0].transforms[chosen->index]};
    is::IdPayload id = my_phase1_id(*sa);
    Bytes id_body = *is::encode_body(is::make(id));
    is::Message out;
    out.header = header(*sa, is::ExchangeType::AGGRESSIVE, 0);
    out.payloads.push_back(is::make(is::SaPayload{is::kDoiIpsec, is::kSituationIdentity, {reply}}));
    out.payloads.push_back(is::make(is::KePayload{sa->g_xr}));
    out.payloads.push_back(is::make(is::NoncePayload{sa->nr}));
    out.payloads.push_back(is::make(id));
    add_nat_d(*sa, out.payloads);
    out.payloads.push_back(is::make(is::HashPayload{crypto::ikev1::hash_r(sa->suite.prf, sa->keys->skeyid, sa->g_xi, sa->g_xr,
                                                                          sa->cky_i, sa->cky_r, sa->sa_i_body, id_body)}));
    for (auto& v : wire::isakmp::vid::main_mode_set()) out.payloads.push_back(is::make(is::VendorPayload{v}));
    Isakmp& ref = *sa;
    ref.first_rx_digest = sha256({data});
    sas[sa->cky_i] = std::move(sa);
    ++stats.half_open;
    ref.state = P1State::R_AM2;
    state_change(ref, "IKE_R_AM1", ios_state(P1State::R_AM2));
    // AM3 may be lost: the responder repeats AM2 until it comes.
    send_main(ref, std::move(out), false, true, now);
  }

  void on_am2(Isakmp& sa, const is::Message& m, ByteView data, TimePoint now) {
    const auto* saP = is::find<is::SaPayload>(m.payloads);
    const auto* ke = is::find<is::KePayload>(m.payloads);
    const auto* nonce = is::find<is::NoncePayload>(m.payloads);
    const auto* hp = is::find<is::HashPayload>(m.payloads);
    if (!saP || saP->proposals.size() != 1 || saP->proposals[0].transforms.size() != 1 || !ke || !nonce || !hp ||
        !is::find<is::IdPayload>(m.payloads)) {
      note(&sa, 1, "Aggressive Mode 2 without SA (one transform), KE, NONCE, ID and HASH");
      return;
    }
    auto choice = parse_p1(saP->proposals[0].transforms[0]);
    auto offered = choice ? std::find_if(sa.offered.begin(), sa.offered.end(), [&](const P1Choice& o) {
      return o.encr == choice->encr && o.key_bits == choice->key_bits && o.prf == choice->prf && o.group == choice->group;
    }) : sa.offered.end();
    if (offered == sa.offered.end()) {
      note(&sa, 1, "responder chose a transform that was not offered");
      return;
    }
    sa.suite = *choice;
    if (sa.suite.lifetime.count() == 0 || (offered->lifetime.count() && offered->lifetime < sa.suite.lifetime))
      sa.suite.lifetime = offered->lifetime;
    sa.cky_r = m.header.cookie_r;
    sa.g_xr = ke->data;
    sa.nr = nonce->data;
    read_vendor_ids(sa, m.payloads);
    check_nat_d(sa, m.payloads);
    if (!derive(sa)) return drop_sa(sa.cky_i, "key derivation");
    Bytes id_r = raw_body(m, data, is::PayloadType::ID);
    Bytes want = crypto::ikev1::hash_r(sa.suite.prf, sa.keys->skeyid, sa.g_xi, sa.g_xr, sa.cky_i, sa.cky_r, sa.sa_i_body, id_r);
    if (!constant_time_equal(want, hp->data)) {
      ++stats.auth_failures;
      note(&sa, 1, "Hash mismatch: the peer's HASH_R does not verify (pre-shared key mismatch?)");
      return drop_sa(sa.cky_i, "authentication failed");
    }
    if (sa.nat_local || sa.nat_remote) {
      sa.local.port = kNattPort;
      sa.remote.port = kNattPort;
      note(&sa, 5, "NAT-Traversal: floating to port 4500");
    }
    is::Message out;
    out.header = header(sa, is::ExchangeType::AGGRESSIVE, 0);
    out.payloads.push_back(is::make(is::HashPayload{crypto::ikev1::hash_i(sa.suite.prf, sa.keys->skeyid, sa.g_xi, sa.g_xr,
                                                                          sa.cky_i, sa.cky_r, sa.sa_i_body, sa.id_i_body)}));
    add_nat_d(sa, out.payloads);
    sa.last_rx = Bytes(data.begin(), data.end());
    send_main(sa, std::move(out), true, false, now);
    phase1_complete(sa, sa.out->datagram, now);
  }

  void on_am3(Isakmp& sa, const is::Message& outer, ByteView data, const Endpoint& local, const Endpoint& remote, TimePoint now) {
    is::Message m = outer;
    if (outer.encrypted) {
      Bytes next;
      auto o = open(sa, outer.header, data, sa.iv, next);
      if (!o) return;
      m = std::move(o->message);
      sa.iv = next;
    }
    packet(sa, false, m, data.size());
    const auto* hp = is::find<is::HashPayload>(m.payloads);
    Bytes want = crypto::ikev1::hash_i(sa.suite.prf, sa.keys->skeyid, sa.g_xi, sa.g_xr, sa.cky_i, sa.cky_r, sa.sa_i_body, sa.id_i_body);
    if (!hp || !constant_time_equal(want, hp->data)) {
      ++stats.auth_failures;
      note(&sa, 1, "Hash mismatch: the peer's HASH_I does not verify (pre-shared key mismatch?)");
      return drop_sa(sa.cky_i, "authentication failed");
    }
    check_nat_d(sa, m.payloads);
    sa.local = local;
    sa.remote = remote;
    sa.out.reset();
    // The phase-1 CBC chain ends with AM3's last block, or the initial IV if AM3 came in clear.
    if (outer.encrypted) {
      phase1_complete(sa, data, now);
    } else {
      Bytes iv = sa.keys->iv;
      Bytes fake(is::kHeaderSize, 0);
      put_bytes(fake, iv);
      phase1_complete(sa, fake, now);
    }
  }

  // ---- decrypting -----------------------------------------------------------------------------

  struct Opened {
    is::Message message;
    Bytes plain;
  };

  // Decrypts with `iv`; on success `next_iv` gets the last ciphertext block.
  std::optional<Opened> open(Isakmp& sa, const is::Header& h, ByteView datagram, ByteView iv, Bytes& next_iv) {
    ByteView body = datagram.subspan(is::kHeaderSize);
    std::size_t bs = block_size(sa);
    if (!sa.keys || body.empty() || body.size() % bs != 0) {
      dropped(stats.decrypt_failures);
      note(&sa, 1, "encrypted message of a length that is not a multiple of the block");
      return std::nullopt;
    }
    auto cipher = crypto::CbcCipher::create(sa.suite.encr, sa.keys->encr_key.view());
    if (!cipher) return std::nullopt;
    Opened o;
    o.plain.resize(body.size());
    if (!cipher->decrypt(iv, body, o.plain)) return std::nullopt;
    auto m = is::decode_plaintext(h, o.plain);
    if (!m) {
      // A wrong key decrypts to garbage; RFC 2408 5.1 has nothing to answer with, so drop. In
      // phase 1 the keys come from the pre-shared key: say so, as the ASA does.
      dropped(stats.decrypt_failures);
      if (sa.state != P1State::COMPLETE)
        note(&sa, 1, fmt::format("had problems decrypting packet, probably due to mismatched pre-shared key "
                                 "(decrypted message is malformed: {} at {})", m.error().what, m.error().offset));
      else
        note(&sa, 1, fmt::format("decrypted message is malformed ({} at {}): keys differ?", m.error().what, m.error().offset));
      return std::nullopt;
    }
    o.message = std::move(*m);
    next_iv = last_block(datagram, bs);
    return o;
  }

  // ---- Quick Mode -----------------------------------------------------------------------------

  std::vector<EspChoice> offers_for(const policy::CryptoMapEntry& e, const Isakmp& sa) const {
    std::vector<EspChoice> out;
    for (const auto& p : e.proposals)
      for (const auto& enc : p.encrs)
        for (IntegId integ : p.integs) {
          if (!esp_transform_id(enc.id) || !auth_alg(integ)) continue;
          EspChoice c;
          c.encr = enc.id;
          c.key_bits = fixed_key_bits(enc.id, enc.key_bits);
          c.integ = integ;
          c.pfs = e.pfs;
          c.lifetime = e.lifetime;
          c.lifetime_kb = e.lifetime_kilobytes;
          c.mode = encap_mode(sa, p.transport_mode);
          out.push_back(c);
        }
    return out;
  }

  std::uint16_t encap_mode(const Isakmp& sa, bool transport) const {
    bool nat = sa.nat_local || sa.nat_remote;
    if (!nat) return u16(transport ? is::EncapMode::TRANSPORT : is::EncapMode::TUNNEL);
    if (sa.natt) return u16(transport ? is::EncapMode::UDP_TRANSPORT : is::EncapMode::UDP_TUNNEL);
    return u16(transport ? is::EncapMode::UDP_TRANSPORT_DRAFT : is::EncapMode::UDP_TUNNEL_DRAFT);
  }

  void send_quick(Isakmp& sa, Quick& q, const is::Message& m, bool expect_reply, TimePoint now) {
    auto d = build(sa, m, &q.iv);
    if (!d) return;
    transmit(sa, m, *d);
    q.out = Sent{*d, sa.local, sa.remote, expect_reply ? now + options.retransmit_base : TimePoint::max(), 0};
  }

  void start_quick(Isakmp& sa, Request req, TimePoint now) {
    const auto* entry = policy->find_entry(req.map, req.seq);
    if (!entry) {
      acquiring.erase(req.reqid);
      return;
    }
    auto offers = offers_for(*entry, sa);
    if (offers.empty()) {
      note(&sa, 1, fmt::format("crypto map {} {}: no transform set usable with IKEv1", req.map, req.seq));
      acquiring.erase(req.reqid);
      return;
    }
    auto spi = dp.allocate_spi();
    if (!spi) {
      note(&sa, 1, "SPI allocation failed: " + spi.error().message);
      acquiring.erase(req.reqid);
      return;
    }
    std::uint32_t mid = fresh_mid(sa);
    Quick& q = sa.quick[mid];
    q.mid = mid;
    q.initiator = true;
    q.req = std::move(req);
    q.spi_in = *spi;
    q.started = now;
    q.iv = crypto::ikev1::phase2_iv(sa.suite.prf, sa.p1_last, mid, block_size(sa));
    q.ni.resize(kNonceSize);
    random.fill(q.ni);
    if (entry->pfs) {
      auto dh = crypto::KeyExchange::create(*entry->pfs);
      if (!dh) {
        note(&sa, 1, "PFS Diffie-Hellman failed");
        acquiring.erase(q.req.reqid);
        sa.quick.erase(mid);
        return;
      }
      q.dh = std::move(*dh);
    }
    is::Proposal prop;
    prop.number = 1;
    prop.protocol = is::ProtocolId::ESP;
    prop.spi = spi_bytes(q.spi_in);
    for (std::size_t i = 0; i < offers.size() && i < 255; ++i)
      prop.transforms.push_back(esp_transform(offers[i], static_cast<std::uint8_t>(i + 1)));
    std::vector<is::Payload> body;
    body.push_back(is::make(is::SaPayload{is::kDoiIpsec, is::kSituationIdentity, {prop}}));
    body.push_back(is::make(is::NoncePayload{q.ni}));
    if (q.dh) body.push_back(is::make(is::KePayload{Bytes(q.dh->public_value().begin(), q.dh->public_value().end())}));
    auto [mine, theirs] = ids_of(q.req.selector);
    body.push_back(is::make(mine));
    body.push_back(is::make(theirs));
    auto chain = is::encode_payloads(body);
    if (!chain) return;
    is::Message m;
    m.header = header(sa, is::ExchangeType::QUICK, mid);
    m.encrypted = true;
    m.payloads.push_back(is::make(is::HashPayload{crypto::ikev1::quick_hash1(sa.suite.prf, sa.keys->skeyid_a, mid, *chain)}));
    for (auto& p : body) m.payloads.push_back(std::move(p));
    note(&sa, 5, fmt::format("Oakley constructing quick mode: crypto map {} {}, SPI 0x{:08X}", q.req.map, q.req.seq, q.spi_in), mid);
    state_change(sa, "IKE_QM_READY", "IKE_QM_I_QM1", mid);
    ++stats.out_p2;
    q.state = Quick::St::I_QM1;
    send_quick(sa, q, m, true, now);
  }

  // The octets after the HASH payload of a decrypted Quick Mode / Informational message.
  static std::optional<ByteView> after_hash(const Opened& o) {
    const auto& m = o.message;
    if (m.payloads.empty() || m.payloads[0].type != is::PayloadType::HASH) return std::nullopt;
    std::size_t from = m.spans[0].offset + m.spans[0].length;
    std::size_t to = m.spans.back().offset + m.spans.back().length;
    return ByteView(o.plain).subspan(from, to - from);
  }

  void on_quick(Isakmp& sa, const is::Header& h, ByteView datagram, TimePoint now) {
    auto it = sa.quick.find(h.message_id);
    if (it == sa.quick.end()) {
      if (h.message_id == 0) return;
      if (sa.used_mids.contains(h.message_id)) {
        ++stats.in_drops;
        ++stats.in_p2_invalid;
        note(&sa, 2, "Quick Mode with the Message ID of a finished exchange: replay dropped", h.message_id);
        return;
      }
      Quick q;
      q.mid = h.message_id;
      q.iv = crypto::ikev1::phase2_iv(sa.suite.prf, sa.p1_last, q.mid, block_size(sa));
      Bytes next;
      auto o = open(sa, h, datagram, q.iv, next);
      if (!o) return;
      q.iv = next;
      packet(sa, false, o->message, datagram.size());
      q.last_rx = Bytes(datagram.begin(), datagram.end());
      q.started = now;
      respond_quick(sa, std::move(q), *o, now);
      return;
    }
    Quick& q = it->second;
    if (q.last_rx.size() == datagram.size() && std::equal(q.last_rx.begin(), q.last_rx.end(), datagram.begin())) {
      // A repeated QM1 (our QM2 was lost) gets QM2 again, a repeated QM2 (our QM3 was lost)
      // QM3. QM3 itself is answered by nothing: were a repeat of it answered with QM2, the
      // initiator would answer that with QM3 again, and one forged copy would start a loop.
      ++stats.duplicates;
      const bool answer = q.initiator ? q.state == Quick::St::DONE : q.state == Quick::St::R_QM2;
      if (q.out && answer) send(q.out->local, q.out->remote, q.out->datagram);
      return;
    }
    if (q.state == Quick::St::DONE) {
      ++stats.in_drops;  // a late copy of an earlier message of a finished exchange
      return;
    }
    Bytes next;
    auto o = open(sa, h, datagram, q.iv, next);
    if (!o) return;
    packet(sa, false, o->message, datagram.size());
    if (q.initiator && q.state == Quick::St::I_QM1) {
      on_qm2(sa, q, *o, std::move(next), datagram, now);
    } else if (!q.initiator && q.state == Quick::St::R_QM2) {
      on_qm3(sa, q, *o, now);
      q.last_rx = Bytes(datagram.begin(), datagram.end());
    }
  }

  // Responder: the peer's first Quick Mode message.
  void respond_quick(Isakmp& sa, Quick q, const Opened& o, TimePoint now) {
    const auto& m = o.message;
    auto rest = after_hash(o);
    const auto* hp = is::find<is::HashPayload>(m.payloads);
    if (!rest || !hp ||
        !constant_time_equal(crypto::ikev1::quick_hash1(sa.suite.prf, sa.keys->skeyid_a, q.mid, *rest), hp->data)) {
      dropped(stats.hash_failures);
      ++stats.in_p2_invalid;
      note(&sa, 1, "Quick Mode HASH(1) does not verify; dropped", q.mid);
      return;
    }
    const auto* saP = is::find<is::SaPayload>(m.payloads);
    const auto* nonce = is::find<is::NoncePayload>(m.payloads);
    const auto* ke = is::find<is::KePayload>(m.payloads);
    auto ids = is::find_all<is::IdPayload>(m.payloads);
    if (!saP || !nonce || saP->proposals.empty()) {
      note(&sa, 1, "Quick Mode 1 without SA and NONCE", q.mid);
      return;
    }
    ++stats.in_p2;
    state_change(sa, "IKE_QM_READY", "IKE_QM_SPI_STARVE", q.mid);
    // Without client IDs the SA protects the two gateways (RFC 2409 5.5).
    is::IdPayload peer_id = ids.size() >= 2 ? *ids[0] : is::IdPayload::address(sa.remote.address);
    is::IdPayload my_id = ids.size() >= 2 ? *ids[1] : is::IdPayload::address(sa.local.address);
    auto sel = selector_of(my_id, peer_id);
    auto match = sel ? match_entry(sa, *sel) : std::nullopt;
    if (!match) {
      note(&sa, 1, fmt::format("IPSec proposal for proxy {} <-> {} matches no crypto map entry: INVALID-ID-INFORMATION",
                               my_id.to_string(), peer_id.to_string()), q.mid);
      ++stats.in_p2_rejects;
      send_informational(sa, {is::make(is::NotifyPayload{is::kDoiIpsec, is::ProtocolId::ESP, {}, is::NotifyType::INVALID_ID_INFORMATION, {}})});
      return;
    }
    const auto& [entry, acl_index] = *match;
    // The first ESP proposal with a transform matching our transform sets.
    std::optional<std::pair<const is::Proposal*, std::size_t>> pick;
    std::optional<EspChoice> choice;
    for (const auto& prop : saP->proposals) {
      if (prop.protocol != is::ProtocolId::ESP || prop.spi.size() != 4) continue;
      for (std::size_t i = 0; i < prop.transforms.size() && !pick; ++i) {
        auto c = parse_esp(prop.transforms[i]);
        if (!c) {
          note(&sa, 7, "IPSec transform rejected: " + c.error(), q.mid);
          continue;
        }
        bool ok = false;
        for (const auto& p : entry->proposals)
          for (const auto& enc : p.encrs)
            for (IntegId integ : p.integs)
              ok = ok || (enc.id == c->encr && fixed_key_bits(enc.id, enc.key_bits) == c->key_bits && integ == c->integ);
        // PFS: the configured group is required; a peer's PFS is accepted when none is set.
        if (entry->pfs && c->pfs != entry->pfs) ok = false;
        if (c->pfs && !ke) ok = false;
        bool udp = is_udp_mode(c->mode);
        if (udp != (sa.nat_local || sa.nat_remote)) ok = false;
        if (ok) {
          pick = std::make_pair(&prop, i);
          choice = *c;
        }
      }
      if (pick) break;
    }
    if (!pick) {
      ++stats.no_proposal;
      ++stats.in_p2_rejects;
      note(&sa, 1, fmt::format("crypto map {} {}: IPSec SA proposal not acceptable: NO-PROPOSAL-CHOSEN", entry->map, entry->seq), q.mid);
      send_informational(sa, {is::make(is::NotifyPayload{is::kDoiIpsec, is::ProtocolId::ESP, {}, is::NotifyType::NO_PROPOSAL_CHOSEN, {}})});
      return;
    }
    auto spi = dp.allocate_spi();
    if (!spi) return;
    q.initiator = false;
    q.ni = nonce->data;
    q.nr.resize(kNonceSize);
    random.fill(q.nr);
    q.spi_in = *spi;
    q.spi_out = load_be32(pick->first->spi.data());
    q.choice = *choice;
    bool forced = false;
    if (choice->lifetime > entry->lifetime) {
      q.choice.lifetime = entry->lifetime;
      forced = true;
    }
    std::optional<SecretBytes> g_qm;
    Bytes ke_r;
    if (choice->pfs) {
      auto dh = crypto::KeyExchange::create(*choice->pfs);
      if (!dh) return;
      auto s = (*dh)->shared_secret(ke->data);
      if (!s) {
        note(&sa, 1, "PFS KE rejected: " + s.error().message, q.mid);
        return;
      }
      g_qm = std::move(*s);
      ke_r = Bytes((*dh)->public_value().begin(), (*dh)->public_value().end());
    }
    q.req.map = entry->map;
    q.req.seq = entry->seq;
    q.req.acl_index = acl_index;
    q.req.dynamic = entry->dynamic || entry->peers.empty();
    q.req.reqid = q.req.dynamic ? reqid_pool.take().value_or(0) : reqid_for(*entry, acl_index);
    if (q.req.reqid == 0) {
      ++stats.in_p2_rejects;
      note(&sa, 1, "No reqid left for another IPSec SA: NO-PROPOSAL-CHOSEN", q.mid);
      send_informational(sa, {is::make(is::NotifyPayload{is::kDoiIpsec, is::ProtocolId::ESP, {}, is::NotifyType::NO_PROPOSAL_CHOSEN, {}})});
      return;
    }
    q.req.selector = *sel;

    is::Proposal reply = *pick->first;
    reply.spi = spi_bytes(q.spi_in);
    reply.transforms = {pick->first->transforms[pick->second]};
    std::vector<is::Payload> body;
    body.push_back(is::make(is::SaPayload{is::kDoiIpsec, is::kSituationIdentity, {reply}}));
    body.push_back(is::make(is::NoncePayload{q.nr}));
    if (!ke_r.empty()) body.push_back(is::make(is::KePayload{ke_r}));
    if (ids.size() >= 2) {
      body.push_back(is::make(*ids[0]));
      body.push_back(is::make(*ids[1]));
    }
    if (forced) {
      // RFC 2407 4.6.3.1: RESPONDER-LIFETIME with the SA's SPI and the lifetime we apply.
      Bytes data = *is::encode_attributes(
          {is::Attribute::tv(u16(is::Phase2Attr::LIFE_TYPE), u16(is::LifeType::SECONDS)),
           is::Attribute::number(u16(is::Phase2Attr::LIFE_DURATION), static_cast<std::uint64_t>(q.choice.lifetime.count()))});
      body.push_back(is::make(is::NotifyPayload{is::kDoiIpsec, is::ProtocolId::ESP, spi_bytes(q.spi_out),
                                                is::NotifyType::RESPONDER_LIFETIME, data}));
      note(&sa, 5, fmt::format("Responder forcing change of IPSec rekeying duration from {} to {} seconds",
                               choice->lifetime.count(), q.choice.lifetime.count()), q.mid);
    }
    auto chain = is::encode_payloads(body);
    if (!chain) return;
    is::Message out;
    out.header = header(sa, is::ExchangeType::QUICK, q.mid);
    out.encrypted = true;
    out.payloads.push_back(is::make(is::HashPayload{crypto::ikev1::quick_hash2(sa.suite.prf, sa.keys->skeyid_a, q.mid, q.ni, *chain)}));
    for (auto& p : body) out.payloads.push_back(std::move(p));

    // The inbound SA goes in now, so that the initiator's first packets after QM2 arrive.
    auto child = make_child(sa, q, g_qm ? &*g_qm : nullptr, false, now);
    if (!child) {
      // The data plane refused the SA (e.g. a cipher it lacks): the initiator hears it at once.
      if (q.req.dynamic) reqid_pool.give_back(q.req.reqid);
      send_informational(sa, {is::make(is::NotifyPayload{is::kDoiIpsec, is::ProtocolId::ESP, {}, is::NotifyType::NO_PROPOSAL_CHOSEN, {}})});
      return;
    }
    q.child = *child;
    q.state = Quick::St::R_QM2;
    std::uint32_t mid = q.mid;
    Quick& stored = sa.quick[mid] = std::move(q);
    // Until QM3 the outbound SA is not in: a packet for this traffic that arrives meanwhile (the
    // answer to the initiator's first one) must wait for it, not start a second Quick Mode.
    acquiring.insert(stored.req.reqid);
    state_change(sa, "IKE_QM_SPI_STARVE", "IKE_QM_R_QM2", mid);
    send_quick(sa, stored, out, true, now);
  }

  std::optional<std::pair<const policy::CryptoMapEntry*, std::size_t>> match_entry(const Isakmp& sa, const policy::Selector& sel) {
    for (const auto& e : policy->map_entries) {
      if (!e.ikev1) continue;
      bool peer_ok = e.peers.empty() || std::find(e.peers.begin(), e.peers.end(), sa.remote.address) != e.peers.end();
      if (!peer_ok) continue;
      for (std::size_t i = 0; i < e.acl.size(); ++i)
        if (e.acl[i].permit && policy::selector_contains(e.acl[i].selector, sel)) return std::make_pair(&e, i);
    }
    return std::nullopt;
  }

  // `next_iv` is QM2's last ciphertext block, which QM3 continues from.
  bool on_qm2(Isakmp& sa, Quick& q, const Opened& o, Bytes next_iv, ByteView datagram, TimePoint now) {
    const auto& m = o.message;
    if (const auto* n = is::find<is::NotifyPayload>(m.payloads); n && is::is_error(n->type) && !is::find<is::SaPayload>(m.payloads)) {
      ++stats.out_p2_rejects;
      note(&sa, 1, fmt::format("Quick Mode answered with {}", is::name(n->type)), q.mid);
      return false;
    }
    auto rest = after_hash(o);
    const auto* hp = is::find<is::HashPayload>(m.payloads);
    if (!rest || !hp ||
        !constant_time_equal(crypto::ikev1::quick_hash2(sa.suite.prf, sa.keys->skeyid_a, q.mid, q.ni, *rest), hp->data)) {
      dropped(stats.hash_failures);
      ++stats.in_p2_invalid;
      note(&sa, 1, "Quick Mode HASH(2) does not verify; dropped", q.mid);
      return false;
    }
    const auto* saP = is::find<is::SaPayload>(m.payloads);
    const auto* nonce = is::find<is::NoncePayload>(m.payloads);
    if (!saP || !nonce || saP->proposals.size() != 1 || saP->proposals[0].transforms.size() != 1 ||
        saP->proposals[0].spi.size() != 4 || saP->proposals[0].protocol != is::ProtocolId::ESP) {
      note(&sa, 1, "Quick Mode 2 without one chosen ESP transform", q.mid);
      return false;
    }
    auto c = parse_esp(saP->proposals[0].transforms[0]);
    const auto* entry = policy->find_entry(q.req.map, q.req.seq);
    if (!c || !entry) {
      note(&sa, 1, "responder chose an unacceptable ESP transform", q.mid);
      return false;
    }
    auto offers = offers_for(*entry, sa);
    auto same = [&](const EspChoice& x) {
      return x.encr == c->encr && x.key_bits == c->key_bits && x.integ == c->integ && x.pfs == c->pfs && x.mode == c->mode;
    };
    auto offered = std::find_if(offers.begin(), offers.end(), same);
    if (offered == offers.end()) {
      note(&sa, 1, "responder chose an ESP transform that was not offered", q.mid);
      return false;
    }
    auto ids = is::find_all<is::IdPayload>(m.payloads);
    auto [mine, theirs] = ids_of(q.req.selector);
    if (ids.size() >= 2 && (*ids[0] != mine || *ids[1] != theirs)) {
      note(&sa, 1, "responder changed the client IDs", q.mid);
      return false;
    }
    q.choice = *c;
    if (c->lifetime > offered->lifetime || c->lifetime.count() == 0) q.choice.lifetime = offered->lifetime;
    // RFC 2407 4.6.3.1: the responder's RESPONDER-LIFETIME overrides what was proposed; the ASA
    // prints the seed's line (pix-ios-ikev1-dynamic-map-nat) when it applies one.
    if (const auto* rl = is::find_notify(m.payloads, is::NotifyType::RESPONDER_LIFETIME)) {
      if (auto life = lifetime_of(*rl); life && *life != q.choice.lifetime) {
        note(&sa, 3, fmt::format("Responder forcing change of IPSec rekeying duration from {} to {} seconds",
                                 q.choice.lifetime.count(), life->count()), q.mid);
        q.choice.lifetime = *life;
      }
    }
    q.nr = nonce->data;
    q.spi_out = load_be32(saP->proposals[0].spi.data());
    std::optional<SecretBytes> g_qm;
    if (q.dh) {
      const auto* ke = is::find<is::KePayload>(m.payloads);
      if (!ke) {
        note(&sa, 1, "PFS: Quick Mode 2 without KE", q.mid);
        return false;
      }
      auto s = q.dh->shared_secret(ke->data);
      if (!s) return false;
      g_qm = std::move(*s);
      q.dh.reset();
    }
    q.iv = std::move(next_iv);
    q.last_rx = Bytes(datagram.begin(), datagram.end());
    q.state = Quick::St::DONE;
    q.linger_until = now + kQuickLinger;
    // QM3 goes out before the SAs go in: installing the outbound SA releases the packets queued
    // for it, and the responder uses its own outbound SA only once it has QM3.
    is::Message out;
    out.header = header(sa, is::ExchangeType::QUICK, q.mid);
    out.encrypted = true;
    out.payloads.push_back(is::make(is::HashPayload{crypto::ikev1::quick_hash3(sa.suite.prf, sa.keys->skeyid_a, q.mid, q.ni, q.nr)}));
    send_quick(sa, q, out, false, now);
    // Commit bit (RFC 2408 4.6.3): tolerated; the SAs are used at once.
    (void)make_child(sa, q, g_qm ? &*g_qm : nullptr, true, now);
    return true;
  }

  void on_qm3(Isakmp& sa, Quick& q, const Opened& o, TimePoint now) {
    const auto* hp = is::find<is::HashPayload>(o.message.payloads);
    if (!hp || !constant_time_equal(crypto::ikev1::quick_hash3(sa.suite.prf, sa.keys->skeyid_a, q.mid, q.ni, q.nr), hp->data)) {
      dropped(stats.hash_failures);
      ++stats.in_p2_invalid;
      note(&sa, 1, "Quick Mode HASH(3) does not verify; dropped", q.mid);
      return;
    }
    auto it = children.find(q.child);
    if (it == children.end()) return;
    if (!install_outbound(sa, it->second)) return;
    q.state = Quick::St::DONE;
    q.out->next = TimePoint::max();
    q.linger_until = now + kQuickLinger;
    phase2_complete(sa, it->second, q.mid);
  }

  void phase2_complete(Isakmp& sa, Child& c, std::uint32_t mid) {
    state_change(sa, c.initiator ? "IKE_QM_I_QM1" : "IKE_QM_R_QM2", "IKE_QM_PHASE2_COMPLETE", mid);
    ++stats.phase2_completed;
    acquiring.erase(c.req.reqid);
    note(&sa, 1, fmt::format("PHASE 2 COMPLETED (msgid={:08x}): crypto map {} {}, SPI in 0x{:08X} out 0x{:08X}", mid,
                             c.req.map, c.req.seq, c.spi_in, c.spi_out), mid);
    if (c.req.replaces) {
      auto old = children.find(c.req.replaces);
      if (old != children.end()) remove_child(old->second, true);
    }
  }

  // Installs the inbound SA (and with `outbound`, the outbound one) of a Quick Mode.
  std::optional<std::uint32_t> make_child(Isakmp& sa, const Quick& q, const SecretBytes* g_qm, bool outbound, TimePoint now) {
    const auto* entry = policy->find_entry(q.req.map, q.req.seq);
    if (!entry) return std::nullopt;
    Child c;
    c.id = next_child_id++;
    c.req = q.req;
    c.local = sa.local;
    c.remote = sa.remote;
    c.conn_id = sa.conn_id;
    c.peer_name = sa.peer_name;
    c.spi_in = q.spi_in;
    c.spi_out = q.spi_out;
    c.choice = q.choice;
    c.initiator = q.initiator;
    c.nat = sa.nat_local || sa.nat_remote;
    c.created = now;
    auto life = q.choice.lifetime.count() ? q.choice.lifetime : entry->lifetime;
    c.expire_at = now + life;
    // The initiator rekeys first; the responder only if the initiator did not.
    auto frac = options.rekey_fraction + (q.initiator ? 0.0 : (1.0 - options.rekey_fraction) / 2);
    c.rekey_at = now + std::chrono::duration_cast<Duration>(life * frac);
    std::size_t ek = crypto::encr_key_size(c.choice.encr, c.choice.key_bits);
    std::size_t ak = crypto::integ_key_size(c.choice.integ);
    auto key_in = crypto::ikev1::keymat(sa.suite.prf, sa.keys->skeyid_d, g_qm, u16(is::ProtocolId::ESP) & 0xff, c.spi_in,
                                        q.ni, q.nr, ek + ak);
    auto key_out = crypto::ikev1::keymat(sa.suite.prf, sa.keys->skeyid_d, g_qm, u16(is::ProtocolId::ESP) & 0xff, c.spi_out,
                                         q.ni, q.nr, ek + ak);
    if (!key_in || !key_out) return std::nullopt;
    dataplane::SaParams in = sa_params(c, *entry);
    in.direction = dataplane::Direction::Inbound;
    in.spi = c.spi_in;
    in.encr_key = key_in->slice(0, ek);
    in.integ_key = key_in->slice(ek, ak);
    if (auto r = dp.add_sa(in); !r) {
      note(&sa, 1, "Failed to install inbound SA: " + r.error().message);
      return std::nullopt;
    }
    out_keys[c.id] = {key_out->slice(0, ek), key_out->slice(ek, ak)};
    std::uint32_t id = c.id;
    children[id] = std::move(c);
    if (outbound && !install_outbound(sa, children[id])) return std::nullopt;
    if (outbound) phase2_complete(sa, children[id], q.mid);
    return id;
  }

  std::map<std::uint32_t, std::pair<SecretBytes, SecretBytes>> out_keys;  // until the outbound SA is in

  dataplane::SaParams sa_params(const Child& c, const policy::CryptoMapEntry& entry) const {
    dataplane::SaParams p;
    p.reqid = c.req.reqid;
    p.local = c.local.address;
    p.remote = c.remote.address;
    if (c.nat) {
      p.encap_local_port = kNattPort;
      p.encap_remote_port = c.remote.port;
    }
    p.encr = c.choice.encr;
    p.key_bits = c.choice.key_bits;
    p.integ = c.choice.integ;
    std::uint64_t kb = c.choice.lifetime_kb ? c.choice.lifetime_kb : entry.lifetime_kilobytes;
    if (kb) {
      p.hard_bytes = kb * 1024;
      p.soft_bytes = p.hard_bytes / 10 * 9;
    }
    const auto life = c.choice.lifetime.count() ? c.choice.lifetime : entry.lifetime;
    p.soft_seconds = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(life).count());
    p.hard_seconds = dataplane::hard_seconds_for(p.soft_seconds);
    return p;
  }

  bool install_outbound(Isakmp& sa, Child& c) {
    const auto* entry = policy->find_entry(c.req.map, c.req.seq);
    auto keys = out_keys.find(c.id);
    if (!entry || keys == out_keys.end()) return false;
    if (c.req.dynamic) {
      dataplane::PolicyParams pp;
      pp.reqid = c.req.reqid;
      pp.selector = c.req.selector;
      pp.priority = entry->seq * 1000 + static_cast<std::uint32_t>(c.req.acl_index);
      pp.local = c.local.address;
      pp.remote = c.remote.address;
      pp.crypto_map = entry->map;
      pp.seq = entry->seq;
      if (auto r = dp.add_policy(pp); !r)
        note(&sa, 1, "Failed to install policy: " + r.error().message);
      else
        c.dynamic_policy = true;
    }
    dataplane::SaParams out = sa_params(c, *entry);
    out.direction = dataplane::Direction::Outbound;
    out.spi = c.spi_out;
    out.encr_key = std::move(keys->second.first);
    out.integ_key = std::move(keys->second.second);
    out_keys.erase(keys);
    if (auto r = dp.add_sa(out); !r) {
      note(&sa, 1, "Failed to install outbound SA: " + r.error().message);
      return false;
    }
    c.out_installed = true;
    return true;
  }

  // ---- Informational ----------------------------------------------------------------------------

  // RFC 3947 / RFC 3948: behind a NAT whose mapping changed, the peer's authenticated messages
  // come from a new address or port; the ISAKMP SA and its IPsec SAs follow it.
  void follow_peer(Isakmp& sa, const Endpoint& remote) {
    if (!(sa.nat_local || sa.nat_remote) || remote == sa.remote) return;
    note(&sa, 1, fmt::format("Peer {} now sends from {} (NAT mapping changed): following it", sa.remote.to_string(),
                             remote.to_string()));
    const Endpoint old = sa.remote;
    sa.remote = remote;
    for (auto& [id, c] : children) {
      if (c.remote != old) continue;
      c.remote = remote;
      if (!c.out_installed) continue;
      if (auto r = dp.update_sa_remote(c.spi_out, remote); !r)
        note(&sa, 1, fmt::format("Outbound SA {:08X} not moved: {}", c.spi_out, r.error().message));
    }
  }

  void on_informational(Isakmp& sa, const is::Header& h, ByteView datagram, const Endpoint& remote, TimePoint now) {
    if (sa.state != P1State::COMPLETE) return;
    Bytes iv = crypto::ikev1::phase2_iv(sa.suite.prf, sa.p1_last, h.message_id, block_size(sa));
    Bytes next;
    auto o = open(sa, h, datagram, iv, next);
    if (!o) return;
    packet(sa, false, o->message, datagram.size());
    auto rest = after_hash(*o);
    const auto* hp = is::find<is::HashPayload>(o->message.payloads);
    if (!rest || !hp || !constant_time_equal(crypto::ikev1::quick_hash1(sa.suite.prf, sa.keys->skeyid_a, h.message_id, *rest), hp->data)) {
      dropped(stats.hash_failures);
      note(&sa, 1, "Informational HASH does not verify; dropped", h.message_id);
      return;
    }
    sa.last_heard = now;
    follow_peer(sa, remote);
    for (const auto& p : o->message.payloads) {
      if (const auto* n = p.get<is::NotifyPayload>()) {
        ++stats.in_notifies;
        if (n->type == is::NotifyType::R_U_THERE && n->data.size() == 4) {
          note(&sa, 7, fmt::format("Received keep-alive of type DPD R-U-THERE (seq number 0x{})", to_hex(n->data)));
          send_informational(sa, {is::make(is::NotifyPayload{is::kDoiIpsec, is::ProtocolId::ISAKMP, cookies_of(sa.cky_i, sa.cky_r),
                                                             is::NotifyType::R_U_THERE_ACK, n->data})});
        } else if (n->type == is::NotifyType::R_U_THERE_ACK && n->data.size() == 4) {
          if (load_be32(n->data.data()) == sa.dpd_seq) {
            sa.dpd_outstanding = 0;
            sa.dpd_next = now + policy->dpd.interval;
          }
        } else if (n->type == is::NotifyType::INITIAL_CONTACT) {
          initial_contact(sa);
        } else if (n->type == is::NotifyType::RESPONDER_LIFETIME && n->protocol == is::ProtocolId::ISAKMP) {
          on_responder_lifetime(sa, *n);
        } else if (is::is_error(n->type)) {
          if (n->type == is::NotifyType::NO_PROPOSAL_CHOSEN) ++stats.no_proposal;
          note(&sa, 1, fmt::format("Received {} notification", is::name(n->type)));
          // A Quick Mode we started is refused: give up on it.
          std::vector<std::uint32_t> failed;
          for (auto& [mid, q] : sa.quick)
            if (q.initiator && q.state == Quick::St::I_QM1) failed.push_back(mid);
          for (auto mid : failed) {
            abandon_quick(sa, sa.quick.at(mid));
            forget_quick(sa, mid);
          }
        }
      } else if (const auto* d = p.get<is::DeletePayload>()) {
        on_delete(sa, *d);
        if (sas.find(h.cookie_i) == sas.end()) return;  // the ISAKMP SA itself went
      }
    }
  }

  void on_delete(Isakmp& sa, const is::DeletePayload& d) {
    if (d.protocol == is::ProtocolId::ISAKMP) {
      for (const auto& s : d.spis)
        if (s.size() == 16 && load_be64(s.data()) == sa.cky_i && load_be64(s.data() + 8) == sa.cky_r) {
          note(&sa, 3, "Received DELETE for the ISAKMP SA");
          drop_sa(sa.cky_i, "peer deleted it");
          return;
        }
      return;
    }
    if (d.protocol != is::ProtocolId::ESP || d.spi_size != 4) return;
    for (const auto& s : d.spis) {
      std::uint32_t spi = load_be32(s.data());
      for (auto& [id, c] : children)
        if (c.spi_out == spi && c.remote.address == sa.remote.address) {
          ++stats.in_p2_deletes;
          note(&sa, 3, fmt::format("Received DELETE for IPSec SA (SPI 0x{:08X})", spi));
          remove_child(c, false);
          break;
        }
    }
  }

  // ---- Datagrams --------------------------------------------------------------------------------

  // A repeated Main/Aggressive Mode 1 (our answer was lost) is answered again only if it is the
  // same datagram: otherwise anyone who saw the initiator's cookie could make us send to it.
  void repeat_first(Isakmp& r, ByteView data) {
    if (sha256({data}) != r.first_rx_digest) {
      ++stats.in_drops;
      note(&r, 2, fmt::format("IP = {}, Mode 1 with the cookie of a negotiation but other content: dropped",
                              r.remote.address.to_string()));
      return;
    }
    ++stats.duplicates;
    send(r.out->local, r.out->remote, r.out->datagram);
  }

  void on_datagram(const Endpoint& local, const Endpoint& remote, ByteView data, TimePoint now) {
    ++stats.in_packets;
    stats.in_octets += data.size();
    auto m = is::decode(data);
    if (!m) {
      dropped(stats.decode_errors);
      note(nullptr, 1, fmt::format("IP = {}, message dropped: {} (offset {})", remote.address.to_string(), m.error().what,
                                   m.error().offset));
      return;
    }
    const is::Header& h = m->header;
    Isakmp* sa = find(h.cookie_i, h.cookie_r);
    if (!sa) {
      if (h.exchange == is::ExchangeType::MAIN && h.cookie_r == 0 && !m->encrypted) {
        // A repeated Main Mode 1 (our MM2 was lost): answer it again, create nothing.
        if (auto it = sas.find(h.cookie_i); it != sas.end()) {
          Isakmp& r = *it->second;
          if (!r.initiator && r.state == P1State::R_MM2 && r.out && r.remote == remote) repeat_first(r, data);
          return;
        }
        return on_mm1(local, remote, *m, data, now);
      }
      if (h.exchange == is::ExchangeType::AGGRESSIVE && h.cookie_r == 0 && !m->encrypted) {
        if (auto it = sas.find(h.cookie_i); it != sas.end()) {
          Isakmp& r = *it->second;
          if (!r.initiator && r.state == P1State::R_AM2 && r.out && r.remote == remote) repeat_first(r, data);
          return;
        }
        return on_am1(local, remote, *m, data, now);
      }
      dropped(stats.unknown_cookies);
      note(nullptr, 5, fmt::format("IP = {}, message for unknown cookies dropped", remote.address.to_string()));
      return;
    }
    // A repeat of the peer's last Main Mode message: our answer was lost; send it again.
    if (h.exchange == is::ExchangeType::MAIN && sa->last_rx.size() == data.size() &&
        std::equal(data.begin(), data.end(), sa->last_rx.begin())) {
      ++stats.duplicates;
      if (sa->out && !sa->initiator) {
        send(sa->out->local, sa->out->remote, sa->out->datagram);
        // The RESPONDER-LIFETIME that followed a lost MM6 reached an initiator that could not
        // read it yet: it goes again behind the repeated MM6.
        if (sa->state == P1State::COMPLETE && sa->forced_from) send_responder_lifetime(*sa);
      }
      return;
    }
    if (h.exchange == is::ExchangeType::MAIN) return on_main(*sa, *m, local, remote, data, now);
    if (h.exchange == is::ExchangeType::AGGRESSIVE) {
      if (sa->last_rx.size() == data.size() && std::equal(data.begin(), data.end(), sa->last_rx.begin())) {
        // A repeated AM2: our AM3 was lost.
        ++stats.duplicates;
        if (sa->out && sa->initiator) send(sa->out->local, sa->out->remote, sa->out->datagram);
        return;
      }
      if (sa->initiator && sa->state == P1State::I_AM1 && !m->encrypted) {
        packet(*sa, false, *m, data.size());
        return on_am2(*sa, *m, data, now);
      }
      if (!sa->initiator && sa->state == P1State::R_AM2) return on_am3(*sa, *m, data, local, remote, now);
      return;
    }
    if (h.exchange == is::ExchangeType::QUICK && sa->state == P1State::COMPLETE && m->encrypted) {
      sa->last_heard = now;
      return on_quick(*sa, h, data, now);
    }
    if (h.exchange == is::ExchangeType::INFORMATIONAL) {
      if (m->encrypted) return on_informational(*sa, h, data, remote, now);
      // A clear notification is believed only where RFC 2408 5.1 allows nothing better: an
      // answer to our Main Mode 1.
      if (const auto* n = is::find<is::NotifyPayload>(m->payloads);
          n && sa->initiator && (sa->state == P1State::I_MM1 || sa->state == P1State::I_AM1)) {
        note(sa, 1, fmt::format("Received {} in answer to {} Mode 1", is::name(n->type), sa->aggressive ? "Aggressive" : "Main"));
        if (n->type == is::NotifyType::NO_PROPOSAL_CHOSEN) ++stats.no_proposal;
        if (is::is_error(n->type)) drop_sa(sa->cky_i, is::name(n->type));
      }
      return;
    }
    unexpected(*sa, h);
  }

  // A message this SA has no use for in its state (a Main Mode message after phase 1, a clear
  // Quick Mode): dropped and counted.
  void unexpected(Isakmp& sa, const is::Header& h) {
    ++stats.in_drops;
    note(&sa, 3, fmt::format("exchange type {} not expected in state {}: dropped", static_cast<unsigned>(h.exchange),
                             ios_state(sa.state)));
  }

  void on_main(Isakmp& sa, const is::Message& m, const Endpoint& local, const Endpoint& remote, ByteView data, TimePoint now) {
    auto remember = [&] { sa.last_rx = Bytes(data.begin(), data.end()); };
    if (!m.encrypted) {
      packet(sa, false, m, data.size());
      // A message that does not carry what the state expects (a duplicated MM2 while MM3 is
      // out) is dropped by on_mm2/on_mm4 and leaves the retransmission of ours running.
      if (sa.initiator && sa.state == P1State::I_MM1) {
        on_mm2(sa, m, now);
      } else if (sa.initiator && sa.state == P1State::I_MM3) {
        on_mm4(sa, m, now);
      } else if (!sa.initiator && sa.state == P1State::R_MM2) {
        remember();
        on_mm3(sa, m, now);
      } else {
        unexpected(sa, m.header);
      }
      return;
    }
    bool expect = (sa.initiator && sa.state == P1State::I_MM5) || (!sa.initiator && sa.state == P1State::R_MM4);
    if (!expect) return unexpected(sa, m.header);
    Bytes next;
    auto o = open(sa, m.header, data, sa.iv, next);
    if (!o) return;
    packet(sa, false, o->message, data.size());
    sa.iv = next;
    remember();
    if (sa.initiator)
      on_mm6(sa, o->message, o->plain, data, now);
    else
      on_mm5(sa, o->message, o->plain, local, remote, now);
  }

  // ---- Acquire / initiate ---------------------------------------------------------------------

  Result<void> initiate(const policy::CryptoMapEntry& e, std::size_t acl_index, TimePoint now, std::uint32_t replaces = 0) {
    if (e.peers.empty()) return fail(fmt::format("crypto map {} {} has no peer to initiate to", e.map, e.seq));
    if (acl_index >= e.acl.size()) return fail("no such ACL line");
    Request r;
    r.map = e.map;
    r.seq = e.seq;
    r.acl_index = acl_index;
    r.reqid = reqid_for(e, acl_index);
    r.selector = e.acl[acl_index].selector;
    r.replaces = replaces;
    if (!replaces && acquiring.contains(r.reqid)) return {};
    acquiring.insert(r.reqid);
    const IpAddress& peer = e.peers.front();
    if (Isakmp* sa = established_with(peer)) {
      start_quick(*sa, std::move(r), now);
      return {};
    }
    if (Isakmp* sa = negotiating_with(peer)) {
      sa->pending.push_back(std::move(r));
      return {};
    }
    Endpoint local{e.local_address, kIkePort}, remote{peer, kIkePort};
    auto mode = mode_for(e);
    Isakmp* sa = start_phase1(local, remote, mode, now);
    if (!sa) {
      acquiring.erase(r.reqid);
      return fail(fmt::format("cannot start {} Mode with {}", mode.aggressive ? "Aggressive" : "Main", peer.to_string()));
    }
    sa->pending.push_back(std::move(r));
    return {};
  }

  // ---- Timers -----------------------------------------------------------------------------------

  void retransmit(Isakmp& sa, Sent& s, TimePoint now, bool& give_up) {
    if (s.next > now) return;
    if (s.retries >= options.retransmit_limit) {
      give_up = true;
      return;
    }
    ++s.retries;
    ++stats.retransmits;
    note(&sa, 5, fmt::format("Retransmitting (retry {})", s.retries));
    send(s.local, s.remote, s.datagram);
    s.next = now + options.retransmit_base * (1 << std::min(s.retries, 10));
  }

  void on_timer(TimePoint now) {
    std::vector<std::uint64_t> dead;
    for (auto& [ci, sp] : sas) {
      Isakmp& sa = *sp;
      bool give_up = false;
      if (sa.state != P1State::COMPLETE) {
        if (sa.out && (sa.initiator || sa.state == P1State::R_AM2)) retransmit(sa, *sa.out, now, give_up);
        if (give_up || now - sa.created >= options.half_open_timeout) {
          ++stats.negotiation_timeouts;
          // Main Mode 5 is the first message under the keys from the pre-shared key: a peer with
          // another key cannot decrypt it and stays silent.
          note(&sa, 1, sa.initiator && sa.state == P1State::I_MM5
                           ? "PHASE 1 FAILED: no answer from the peer to Main Mode 5 (pre-shared key mismatch?)"
                           : "PHASE 1 FAILED: no answer from the peer");
          dead.push_back(ci);
        }
        continue;
      }
      // Quick Modes: retransmission and linger.
      std::vector<std::uint32_t> done;
      for (auto& [mid, q] : sa.quick) {
        bool q_give_up = false;
        if (q.state != Quick::St::DONE && q.out) retransmit(sa, *q.out, now, q_give_up);
        if (q_give_up) {
          ++stats.negotiation_timeouts;
          note(&sa, 1, "PHASE 2 FAILED: no answer from the peer", mid);
          abandon_quick(sa, q);
          done.push_back(mid);
        } else if (q.state == Quick::St::DONE && q.linger_until <= now) {
          done.push_back(mid);
        }
      }
      for (auto mid : done) forget_quick(sa, mid);
      // DPD (RFC 3706): R-U-THERE after a quiet interval; the peer is dead after the retries.
      if (sa.peer_dpd && !sa.replaced && now >= sa.dpd_next) {
        bool quiet = now - sa.last_heard >= policy->dpd.interval;
        if (sa.dpd_outstanding > options.dpd_retries) {
          ++stats.dpd_timeouts;
          note(&sa, 1, fmt::format("DPD: peer {} not responding; deleting its SAs", sa.remote.address.to_string()));
          dead.push_back(ci);
          continue;
        }
        if (quiet || sa.dpd_outstanding > 0) {
          sa.dpd_seq = sa.dpd_seq ? sa.dpd_seq + 1 : (random.u32() & 0x7fffffff) + 1;
          ++sa.dpd_outstanding;
          send_informational(sa, {is::make(is::NotifyPayload{is::kDoiIpsec, is::ProtocolId::ISAKMP, cookies_of(sa.cky_i, sa.cky_r),
                                                             is::NotifyType::R_U_THERE, spi_bytes(sa.dpd_seq)})});
          sa.dpd_next = now + policy->dpd.retry;
        } else {
          sa.dpd_next = sa.last_heard + policy->dpd.interval;
        }
      }
      if (sa.nat_local && now >= sa.keepalive_next) {
        host.send_keepalive(sa.local, sa.remote);
        sa.keepalive_next = now + options.nat_keepalive;
      }
      // Phase-1 rekey: a new Main Mode; the old SA stays until it expires.
      if (sa.initiator && !sa.replaced && now >= sa.rekey_at) {
        sa.rekey_at = TimePoint::max();
        if (!negotiating_with(sa.remote.address)) {
          note(&sa, 3, "Starting P1 rekey");
          // The same mode as the SA it replaces (RFC 2409 gives no rule; Cisco keeps the entry's).
          start_phase1(Endpoint{sa.local.address, kIkePort}, Endpoint{sa.remote.address, kIkePort},
                       Phase1Mode{sa.aggressive, sa.am_group}, now);
        }
      }
      if (now >= sa.expire_at) {
        note(&sa, 3, "ISAKMP SA lifetime expired");
        if (!sa.replaced) {
          send_informational(sa, {is::make(is::DeletePayload{is::kDoiIpsec, is::ProtocolId::ISAKMP, 16, {cookies_of(sa.cky_i, sa.cky_r)}})});
        }
        dead.push_back(ci);
      }
    }
    for (auto ci : dead) {
      auto it = sas.find(ci);
      if (it == sas.end()) continue;
      bool dpd_dead = it->second->state == P1State::COMPLETE && it->second->dpd_outstanding > options.dpd_retries;
      IpAddress peer = it->second->remote.address;
      drop_sa(ci, dpd_dead ? "DPD" : "timeout");
      if (dpd_dead) {
        std::vector<std::uint32_t> gone;
        for (auto& [id, c] : children)
          if (c.remote.address == peer) gone.push_back(id);
        for (auto id : gone) remove_child(children.at(id), false);
      }
    }
    // IPsec SAs: rekey and expiry.
    std::vector<std::uint32_t> expired;
    std::vector<std::uint32_t> rekey;
    for (auto& [id, c] : children) {
      if (now >= c.expire_at) expired.push_back(id);
      else if (!c.rekeying && c.out_installed && now >= c.rekey_at && !c.req.dynamic) rekey.push_back(id);
    }
    for (auto id : rekey) {
      Child& c = children.at(id);
      c.rekeying = true;
      const auto* e = policy->find_entry(c.req.map, c.req.seq);
      if (e && !e->peers.empty()) (void)initiate(*e, c.req.acl_index, now, id);
    }
    for (auto id : expired) {
      auto it = children.find(id);
      if (it == children.end()) continue;
      Isakmp* sa = established_with(it->second.remote.address);
      note(sa, 3, fmt::format("IPSec SA lifetime expired (SPI 0x{:08X})", it->second.spi_in));
      remove_child(it->second, true);
    }
  }

  std::optional<TimePoint> next_deadline() const {
    std::optional<TimePoint> best;
    auto consider = [&](TimePoint t) {
      if (t != TimePoint::max() && (!best || t < *best)) best = t;
    };
    for (const auto& [ci, sp] : sas) {
      const Isakmp& sa = *sp;
      if (sa.state != P1State::COMPLETE) {
        if (sa.out && (sa.initiator || sa.state == P1State::R_AM2)) consider(sa.out->next);
        consider(sa.created + options.half_open_timeout);
        continue;
      }
      for (const auto& [mid, q] : sa.quick) {
        if (q.state != Quick::St::DONE && q.out) consider(q.out->next);
        if (q.state == Quick::St::DONE) consider(q.linger_until);
      }
      if (sa.peer_dpd && !sa.replaced) consider(sa.dpd_next);
      if (sa.nat_local) consider(sa.keepalive_next);
      if (sa.initiator && !sa.replaced) consider(sa.rekey_at);
      consider(sa.expire_at);
    }
    for (const auto& [id, c] : children) {
      consider(c.expire_at);
      if (!c.rekeying && c.out_installed && !c.req.dynamic) consider(c.rekey_at);
    }
    return best;
  }
};

// ---------------------------------------------------------------------------------------------

Engine::Engine(std::shared_ptr<const policy::Policy> policy, dataplane::DataPlane& dp, Random& random, Host& host,
               EngineOptions options)
    : impl_(std::make_unique<Impl>(std::move(policy), dp, random, host, options, stats_)) {}

Engine::~Engine() = default;

Result<void> Engine::install_policies() {
  for (const auto& e : impl_->policy->map_entries) {
    if (!e.ikev1 || e.dynamic || e.peers.empty()) continue;
    for (std::size_t i = 0; i < e.acl.size(); ++i) {
      if (!e.acl[i].permit) continue;
      dataplane::PolicyParams p;
      p.reqid = impl_->reqid_for(e, i);
      p.selector = e.acl[i].selector;
      p.priority = e.seq * 1000 + static_cast<std::uint32_t>(i);
      p.local = e.local_address;
      p.remote = e.peers.front();
      p.crypto_map = e.map;
      p.seq = e.seq;
      if (auto r = impl_->dp.add_policy(p); !r)
        return fail(fmt::format("crypto map {} seq {}: {}", e.map, e.seq, r.error().message));
    }
  }
  return {};
}

void Engine::set_policy(std::shared_ptr<const policy::Policy> policy) { impl_->policy = std::move(policy); }

void Engine::on_datagram(const Endpoint& local, const Endpoint& remote, ByteView data, TimePoint now) {
  impl_->on_datagram(local, remote, data, now);
}

void Engine::on_dataplane_event(const dataplane::Event& event, TimePoint now) {
  using K = dataplane::Event::Kind;
  if (event.kind == K::Acquire) {
    auto it = impl_->reqids.find(event.reqid);
    if (it == impl_->reqids.end()) return;
    // An acquire raised while a Quick Mode was finishing (the answer to the peer's first packet,
    // before QM3) arrives after it: the SA it asks for is in now.
    for (const auto& [id, c] : impl_->children)
      if (c.req.reqid == event.reqid && c.out_installed) return;
    const auto* e = impl_->policy->find_entry(it->second.map, it->second.seq);
    if (e) (void)impl_->initiate(*e, it->second.acl_index, now);
    return;
  }
  for (auto& [id, c] : impl_->children) {
    bool mine = event.direction == dataplane::Direction::Inbound ? c.spi_in == event.spi : c.spi_out == event.spi;
    if (!mine) continue;
    if (event.kind == K::HardExpire) {
      impl_->remove_child(c, true);
    } else if (!c.rekeying) {
      c.rekey_at = now;  // byte lifetime: rekey on the next timer
    }
    return;
  }
}

void Engine::on_timer(TimePoint now) { impl_->on_timer(now); }
std::optional<TimePoint> Engine::next_deadline() const { return impl_->next_deadline(); }

Result<void> Engine::initiate(const std::string& map, std::uint32_t seq, std::size_t acl_index, TimePoint now) {
  const auto* e = impl_->policy->find_entry(map, seq);
  if (!e) return fail(fmt::format("no crypto map {} {}", map, seq));
  if (!e->ikev1) return fail(fmt::format("crypto map {} {} does not use IKEv1", map, seq));
  return impl_->initiate(*e, acl_index, now);
}

std::size_t Engine::clear_isakmp_sas(std::optional<IpAddress> peer, TimePoint) {
  std::vector<std::uint64_t> gone;
  for (auto& [ci, sa] : impl_->sas)
    if (!peer || sa->remote.address == *peer) gone.push_back(ci);
  for (auto ci : gone) {
    Impl::Isakmp& sa = *impl_->sas.at(ci);
    impl_->send_informational(sa, {is::make(is::DeletePayload{is::kDoiIpsec, is::ProtocolId::ISAKMP, 16, {cookies_of(sa.cky_i, sa.cky_r)}})});
    impl_->drop_sa(ci, "cleared");
  }
  return gone.size();
}

std::size_t Engine::clear_ipsec_sas(std::optional<IpAddress> peer, TimePoint) {
  std::vector<std::uint32_t> gone;
  for (auto& [id, c] : impl_->children)
    if (!peer || c.remote.address == *peer) gone.push_back(id);
  for (auto id : gone) impl_->remove_child(impl_->children.at(id), true);
  return gone.size();
}

void Engine::shutdown(TimePoint now) {
  clear_ipsec_sas(std::nullopt, now);
  clear_isakmp_sas(std::nullopt, now);
  for (const auto& [reqid, info] : impl_->reqids) (void)impl_->dp.delete_policy(reqid);
}

Snapshot Engine::snapshot(TimePoint now) const {
  Snapshot s;
  auto secs = [](Duration d) { return std::chrono::duration_cast<std::chrono::seconds>(std::max(d, Duration::zero())); };
  for (const auto& [ci, sp] : impl_->sas) {
    const auto& sa = *sp;
    IsakmpSaInfo i;
    i.conn_id = sa.conn_id;
    i.local = sa.local;
    i.remote = sa.remote;
    i.state = std::string(show_state(sa.state));
    i.initiator = sa.initiator;
    i.established = sa.state == P1State::COMPLETE;
    i.cookie_i = sa.cky_i;
    i.cookie_r = sa.cky_r;
    i.encr = sa.suite.encr;
    i.key_bits = sa.suite.key_bits;
    i.hash = sa.suite.prf;
    i.dh = sa.suite.group;
    i.lifetime = sa.suite.lifetime;
    i.remaining = i.established ? secs(sa.expire_at - now) : std::chrono::seconds(0);
    i.nat_local = sa.nat_local;
    i.nat_remote = sa.nat_remote;
    i.dpd = sa.peer_dpd;
    i.tunnel_group = sa.peer_name;
    s.isakmp.push_back(std::move(i));
  }
  for (const auto& [id, c] : impl_->children) {
    IpsecSaInfo i;
    i.local = c.local;
    i.remote = c.remote;
    i.peer_name = c.peer_name;
    i.conn_id = impl_->current_conn_id(c);
    i.map = c.req.map;
    i.seq = c.req.seq;
    if (const auto* e = impl_->policy->find_entry(c.req.map, c.req.seq); e && c.req.acl_index < e->acl.size())
      i.acl_text = e->acl[c.req.acl_index].text;
    i.selector = c.req.selector;
    i.spi_in = c.spi_in;
    i.spi_out = c.spi_out;
    i.encr = c.choice.encr;
    i.key_bits = c.choice.key_bits;
    i.integ = c.choice.integ;
    i.pfs = c.choice.pfs;
    i.lifetime = c.choice.lifetime;
    i.remaining = secs(c.expire_at - now);
    i.nat_t = c.nat;
    i.initiator = c.initiator;
    i.reqid = c.req.reqid;
    if (auto k = impl_->dp.counters(c.spi_in, dataplane::Direction::Inbound)) i.in = *k;
    if (c.out_installed)
      if (auto k = impl_->dp.counters(c.spi_out, dataplane::Direction::Outbound)) i.out = *k;
    s.ipsec.push_back(std::move(i));
  }
  return s;
}

}  // namespace ikegate::ikev1
