#include "ikev2/proposals.h"

#include <algorithm>

namespace ikegate::ikev2 {

using wire::ProtocolId;
using wire::Transform;
using wire::TransformType;

namespace {

std::uint16_t u16(auto e) { return static_cast<std::uint16_t>(e); }

Transform encr_transform(const policy::EncrSpec& e) {
  Transform t{TransformType::ENCR, u16(e.id), std::nullopt};
  // RFC 7296 3.3.5: the Key Length attribute is required for variable-length ciphers only.
  if (e.key_bits != 0 && e.id != EncrId::TRIPLE_DES && e.id != EncrId::DES) t.key_length = e.key_bits;
  return t;
}

std::uint16_t key_bits_of(const Transform& t) { return t.key_length.value_or(0); }

// The transforms of one type, in the order the peer sent them.
std::vector<const Transform*> of_type(const wire::Proposal& p, TransformType type) {
  std::vector<const Transform*> out;
  for (const auto& t : p.transforms)
    if (t.type == type) out.push_back(&t);
  return out;
}

std::optional<policy::EncrSpec> pick_encr(const std::vector<policy::EncrSpec>& ours, const wire::Proposal& p) {
  for (const Transform* t : of_type(p, TransformType::ENCR)) {
    for (const auto& e : ours) {
      if (u16(e.id) != t->id) continue;
      std::uint16_t bits = key_bits_of(*t);
      bool fixed = e.id == EncrId::TRIPLE_DES || e.id == EncrId::DES;
      if (fixed ? bits == 0 : bits == e.key_bits) return e;
    }
  }
  return std::nullopt;
}

template <class Id>
std::optional<Id> pick(const std::vector<Id>& ours, const wire::Proposal& p, TransformType type) {
  for (const Transform* t : of_type(p, type))
    for (Id id : ours)
      if (u16(id) == t->id) return id;
  return std::nullopt;
}

bool has_unknown_types(const wire::Proposal& p) {
  return std::any_of(p.transforms.begin(), p.transforms.end(),
                     [](const Transform& t) { return u16(t.type) == 0 || u16(t.type) > 5; });
}

}  // namespace

wire::SaPayload build_ike_sa(const std::vector<policy::IkeProposal>& proposals, ByteView spi) {
  wire::SaPayload sa;
  std::uint8_t number = 1;
  for (const auto& p : proposals) {
    wire::Proposal prop;
    prop.number = number++;
    prop.protocol = ProtocolId::IKE;
    prop.spi.assign(spi.begin(), spi.end());
    for (const auto& e : p.encrs) prop.transforms.push_back(encr_transform(e));
    for (PrfId prf : p.prfs) prop.transforms.push_back({TransformType::PRF, u16(prf), std::nullopt});
    for (IntegId i : p.integs) prop.transforms.push_back({TransformType::INTEG, u16(i), std::nullopt});
    for (DhGroup g : p.groups) prop.transforms.push_back({TransformType::DH, u16(g), std::nullopt});
    sa.proposals.push_back(std::move(prop));
  }
  return sa;
}

wire::SaPayload build_ike_sa_reply(const IkeChoice& c, ByteView spi) {
  wire::Proposal prop;
  prop.number = c.proposal_number;
  prop.protocol = ProtocolId::IKE;
  prop.spi.assign(spi.begin(), spi.end());
  prop.transforms.push_back(encr_transform({c.suite.encr, c.suite.key_bits}));
  prop.transforms.push_back({TransformType::PRF, u16(c.suite.prf), std::nullopt});
  if (c.suite.integ != IntegId::NONE)
    prop.transforms.push_back({TransformType::INTEG, u16(c.suite.integ), std::nullopt});
  prop.transforms.push_back({TransformType::DH, u16(c.suite.dh), std::nullopt});
  wire::SaPayload sa;
  sa.proposals.push_back(std::move(prop));
  return sa;
}

std::optional<IkeChoice> select_ike(const std::vector<policy::IkeProposal>& ours,
                                    const wire::SaPayload& theirs) {
  for (const auto& mine : ours) {
    for (const auto& p : theirs.proposals) {
      if (p.protocol != ProtocolId::IKE || has_unknown_types(p)) continue;
      auto encr = pick_encr(mine.encrs, p);
      auto prf = pick(mine.prfs, p, TransformType::PRF);
      auto dh = pick(mine.groups, p, TransformType::DH);
      if (!encr || !prf || !dh) continue;
      IntegId integ = IntegId::NONE;
      if (!is_aead(encr->id)) {
        auto i = pick(mine.integs, p, TransformType::INTEG);
        if (!i) continue;
        integ = *i;
      }
      IkeChoice c;
      c.suite = CipherSuite{encr->id, encr->key_bits, integ, *prf, *dh};
      c.lifetime = mine.lifetime;
      c.proposal_number = p.number;
      c.peer_spi = p.spi;
      return c;
    }
  }
  return std::nullopt;
}

wire::SaPayload build_esp_sa(const std::vector<policy::EspProposal>& proposals, std::uint32_t spi,
                             std::optional<DhGroup> pfs) {
  wire::SaPayload sa;
  std::uint8_t number = 1;
  Bytes spi_bytes(4);
  store_be32(spi_bytes.data(), spi);
  for (const auto& p : proposals) {
    // RFC 7296 3.3: AEAD ciphers and integrity algorithms go in separate proposals.
    std::vector<policy::EncrSpec> aead, plain;
    for (const auto& e : p.encrs) (is_aead(e.id) ? aead : plain).push_back(e);
    for (int pass = 0; pass < 2; ++pass) {
      const auto& encrs = pass == 0 ? plain : aead;
      if (encrs.empty()) continue;
      wire::Proposal prop;
      prop.number = number++;
      prop.protocol = ProtocolId::ESP;
      prop.spi = spi_bytes;
      for (const auto& e : encrs) prop.transforms.push_back(encr_transform(e));
      if (pass == 0)
        for (IntegId i : p.integs) prop.transforms.push_back({TransformType::INTEG, u16(i), std::nullopt});
      if (pfs) prop.transforms.push_back({TransformType::DH, u16(*pfs), std::nullopt});
      prop.transforms.push_back({TransformType::ESN, u16(EsnId::NO_ESN), std::nullopt});
      sa.proposals.push_back(std::move(prop));
    }
  }
  return sa;
}

wire::SaPayload build_esp_sa_reply(const EspChoice& c, std::uint32_t spi) {
  wire::Proposal prop;
  prop.number = c.proposal_number;
  prop.protocol = ProtocolId::ESP;
  prop.spi.resize(4);
  store_be32(prop.spi.data(), spi);
  prop.transforms.push_back(encr_transform(c.encr));
  if (c.integ != IntegId::NONE) prop.transforms.push_back({TransformType::INTEG, u16(c.integ), std::nullopt});
  if (c.pfs) prop.transforms.push_back({TransformType::DH, u16(*c.pfs), std::nullopt});
  prop.transforms.push_back({TransformType::ESN, u16(EsnId::NO_ESN), std::nullopt});
  wire::SaPayload sa;
  sa.proposals.push_back(std::move(prop));
  return sa;
}

std::optional<EspChoice> select_esp(const std::vector<policy::EspProposal>& ours,
                                    std::optional<DhGroup> our_pfs, const wire::SaPayload& theirs) {
  for (const auto& mine : ours) {
    for (const auto& p : theirs.proposals) {
      if (p.protocol != ProtocolId::ESP || p.spi.size() != 4 || has_unknown_types(p)) continue;
      auto encr = pick_encr(mine.encrs, p);
      if (!encr) continue;
      IntegId integ = IntegId::NONE;
      if (!is_aead(encr->id)) {
        auto i = pick(mine.integs, p, TransformType::INTEG);
        if (!i) continue;
        integ = *i;
      }
      // ESN: we support "no ESN" only in the negotiated set; the peer must offer it.
      auto esns = of_type(p, TransformType::ESN);
      if (!esns.empty() && std::none_of(esns.begin(), esns.end(), [](const Transform* t) {
            return t->id == u16(EsnId::NO_ESN);
          }))
        continue;
      std::optional<DhGroup> pfs;
      auto dhs = of_type(p, TransformType::DH);
      if (our_pfs) {
        // With PFS configured the peer must offer our group (Cisco `set pfs groupN`).
        auto g = pick(std::vector<DhGroup>{*our_pfs}, p, TransformType::DH);
        if (!g) continue;
        pfs = g;
      } else if (!dhs.empty() && std::none_of(dhs.begin(), dhs.end(), [](const Transform* t) {
                   return t->id == u16(DhGroup::NONE);
                 })) {
        // The peer insists on PFS: accept its first group we can compute.
        pfs = static_cast<DhGroup>(dhs.front()->id);
      }
      EspChoice c;
      c.encr = *encr;
      c.integ = integ;
      c.pfs = pfs;
      c.peer_spi = load_be32(p.spi.data());
      c.proposal_number = p.number;
      return c;
    }
  }
  return std::nullopt;
}

wire::TrafficSelector to_wire_ts(const IpAddress& start, const IpAddress& end, std::uint8_t proto,
                                 std::uint16_t port_start, std::uint16_t port_end) {
  wire::TrafficSelector ts;
  ts.type = start.is_v4() ? wire::TsType::TS_IPV4_ADDR_RANGE : wire::TsType::TS_IPV6_ADDR_RANGE;
  ts.ip_protocol = proto;
  ts.start_port = port_start;
  ts.end_port = port_end;
  ts.start = start;
  ts.end = end;
  return ts;
}

policy::Selector selector_from_ts(const wire::TrafficSelector& ours, const wire::TrafficSelector& theirs) {
  policy::Selector s;
  s.src_start = ours.start;
  s.src_end = ours.end;
  s.dst_start = theirs.start;
  s.dst_end = theirs.end;
  s.protocol = ours.ip_protocol != 0 ? ours.ip_protocol : theirs.ip_protocol;
  s.src_port_start = ours.start_port;
  s.src_port_end = ours.end_port;
  s.dst_port_start = theirs.start_port;
  s.dst_port_end = theirs.end_port;
  return s;
}

}  // namespace ikegate::ikev2
