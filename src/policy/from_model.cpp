#include "policy/from_model.h"

#include <fmt/core.h>

#include <algorithm>

namespace ikegate::policy {

namespace {

using config::AddrMatch;
using config::Dialect;
using config::PortMatch;

// Cisco: with no `prf` configured, the PRF follows the integrity algorithm.
std::optional<PrfId> prf_for(IntegId i) {
  switch (i) {
    case IntegId::HMAC_MD5_96: return PrfId::HMAC_MD5;
    case IntegId::HMAC_SHA1_96: return PrfId::HMAC_SHA1;
    case IntegId::HMAC_SHA2_256_128: return PrfId::HMAC_SHA2_256;
    case IntegId::HMAC_SHA2_384_192: return PrfId::HMAC_SHA2_384;
    case IntegId::HMAC_SHA2_512_256: return PrfId::HMAC_SHA2_512;
    default: return std::nullopt;
  }
}

IkeProposal ike_proposal(std::uint32_t priority, std::string name, const config::Ikev2Transforms& t,
                         std::optional<std::uint32_t> lifetime) {
  IkeProposal p;
  p.priority = priority;
  p.name = std::move(name);
  for (const auto& c : t.encryption) p.encrs.push_back({c.id, c.key_bits});
  for (IntegId i : t.integrity)
    if (i != IntegId::NONE) p.integs.push_back(i);
  p.groups = t.groups;
  p.prfs = t.prf;
  if (p.prfs.empty())
    for (IntegId i : p.integs)
      if (auto prf = prf_for(i)) p.prfs.push_back(*prf);
  if (p.prfs.empty()) p.prfs.push_back(PrfId::HMAC_SHA2_256);  // AEAD-only proposal
  if (p.groups.empty()) p.groups.push_back(DhGroup::MODP_1024);
  p.lifetime = std::chrono::seconds(lifetime.value_or(86400));
  return p;
}

// IOS "crypto ikev2 proposal default": AES-CBC-256/192/128, SHA-512/384/256/SHA-1/MD5, groups 5, 2.
IkeProposal ios_default_proposal() {
  config::Ikev2Transforms t;
  t.encryption = {{EncrId::AES_CBC, 256}, {EncrId::AES_CBC, 192}, {EncrId::AES_CBC, 128}};
  t.integrity = {IntegId::HMAC_SHA2_512_256, IntegId::HMAC_SHA2_384_192, IntegId::HMAC_SHA2_256_128,
                 IntegId::HMAC_SHA1_96, IntegId::HMAC_MD5_96};
  t.groups = {DhGroup::MODP_1536, DhGroup::MODP_1024};
  return ike_proposal(1, "default", t, 86400);
}

struct Range {
  IpAddress start, end;
};

Range prefix_range(const IpAddress& a, std::uint32_t mask) {
  std::uint32_t base = a.v4_value() & mask;
  return {IpAddress::v4(base), IpAddress::v4(base | ~mask)};
}

Range any_range(bool v6) {
  if (!v6) return {IpAddress::v4(0), IpAddress::v4(0xffffffffu)};
  std::array<std::uint8_t, 16> lo{}, hi{};
  hi.fill(0xff);
  return {IpAddress::v6(lo), IpAddress::v6(hi)};
}

// The address ranges one side of an ACL line covers (object groups expand to several).
std::vector<Range> ranges(const config::Model& m, const AddrMatch& a, int depth = 0) {
  switch (a.kind) {
    case AddrMatch::Kind::Any:
    case AddrMatch::Kind::Any4: return {any_range(false)};
    case AddrMatch::Kind::Any6: return {any_range(true)};
    case AddrMatch::Kind::Host: return {{a.address, a.address}};
    case AddrMatch::Kind::Subnet:
      if (!a.address.is_v4()) return {{a.address, a.address}};
      return {prefix_range(a.address, a.netmask)};
    case AddrMatch::Kind::Object:
      for (const auto& o : m.network_objects) {
        if (o.name != a.ref.name) continue;
        switch (o.kind) {
          case config::NetworkObject::Kind::Host: return {{o.first, o.first}};
          case config::NetworkObject::Kind::Subnet: return {prefix_range(o.first, o.netmask)};
          case config::NetworkObject::Kind::Range: return {{o.first, o.last}};
          default: return {};
        }
      }
      return {};
    case AddrMatch::Kind::ObjectGroup: {
      if (depth > 8) return {};
      std::vector<Range> out;
      for (const auto& g : m.network_groups)
        if (g.name == a.ref.name)
          for (const auto& member : g.members)
            for (auto r : ranges(m, member, depth + 1)) out.push_back(r);
      return out;
    }
    case AddrMatch::Kind::Interface:
      if (const auto* i = m.interface_by_nameif(a.ref.name)) return {{i->address, i->address}};
      return {};
  }
  return {};
}

std::pair<std::uint16_t, std::uint16_t> port_range(const PortMatch& p) {
  switch (p.op) {
    case PortMatch::Op::Eq: return {p.low, p.low};
    case PortMatch::Op::Lt: return {0, static_cast<std::uint16_t>(p.low > 0 ? p.low - 1 : 0)};
    case PortMatch::Op::Gt: return {static_cast<std::uint16_t>(p.low < 65535 ? p.low + 1 : 65535), 65535};
    case PortMatch::Op::Range: return {p.low, p.high};
    default: return {0, 65535};
  }
}

std::string mask_text(std::uint32_t mask) { return IpAddress::v4(mask).to_string(); }

std::string addr_text(Dialect d, const AddrMatch& a) {
  switch (a.kind) {
    case AddrMatch::Kind::Any: return "any";
    case AddrMatch::Kind::Any4: return "any4";
    case AddrMatch::Kind::Any6: return "any6";
    case AddrMatch::Kind::Host: return "host " + a.address.to_string();
    case AddrMatch::Kind::Subnet:
      return a.address.to_string() + " " + mask_text(d == Dialect::Ios ? ~a.netmask : a.netmask);
    case AddrMatch::Kind::Object: return "object " + a.ref.name;
    case AddrMatch::Kind::ObjectGroup: return "object-group " + a.ref.name;
    case AddrMatch::Kind::Interface: return "interface " + a.ref.name;
  }
  return "";
}

std::string port_text(const PortMatch& p) {
  switch (p.op) {
    case PortMatch::Op::Eq: return fmt::format(" eq {}", p.low);
    case PortMatch::Op::Neq: return fmt::format(" neq {}", p.low);
    case PortMatch::Op::Lt: return fmt::format(" lt {}", p.low);
    case PortMatch::Op::Gt: return fmt::format(" gt {}", p.low);
    case PortMatch::Op::Range: return fmt::format(" range {} {}", p.low, p.high);
    case PortMatch::Op::ObjectGroup: return " object-group " + p.ref.name;
    default: return "";
  }
}

std::string proto_text(const config::Protocol& p) {
  if (p.kind != config::Protocol::Kind::Number) return (p.kind == config::Protocol::Kind::Object ? "object " : "object-group ") + p.ref.name;
  auto word = ip_protocol_keyword(p.number);
  return word.empty() ? std::to_string(p.number) : std::string(word);
}

SecretBytes secret_of(const config::ConfigSecret& s) { return s.usable() ? s.value : SecretBytes{}; }
bool masked(const config::ConfigSecret& s) { return s.state == config::ConfigSecret::State::Masked; }

std::optional<IpAddress> interface_address(const config::Model& m, const LearnedAddresses& learned,
                                           const std::string& name) {
  const config::Interface* i = m.interface_by_nameif(name);
  if (!i) i = m.interface_by_name(name);
  if (!i) return std::nullopt;
  if (i->address_mode == config::Interface::AddressMode::Static) return i->address;
  if (i->address_mode == config::Interface::AddressMode::Dhcp)
    for (const auto& key : {i->nameif, i->name})
      if (auto it = learned.find(key); it != learned.end()) return it->second;
  return std::nullopt;
}

// ASA: `isakmp keepalive threshold N retry M` under tunnel-group ipsec-attributes.
void read_dpd(const config::TunnelGroup& tg, Dpd& dpd) {
  for (const auto& raw : tg.ipsec_other) {
    int threshold = 0, retry = 0;
    if (std::sscanf(raw.text.c_str(), "isakmp keepalive threshold %d retry %d", &threshold, &retry) == 2) {
      dpd.interval = std::chrono::seconds(threshold);
      dpd.retry = std::chrono::seconds(retry);
    } else if (raw.text == "isakmp keepalive disable") {
      dpd.interval = std::chrono::seconds(0);
    }
  }
}

}  // namespace

std::vector<IsakmpProposal> ios_default_isakmp_policies() {
  std::vector<IsakmpProposal> out;
  std::uint32_t priority = 65507;
  for (auto [encr, group] : {std::pair{EncrSpec{EncrId::AES_CBC, 128}, DhGroup::MODP_1536},
                             std::pair{EncrSpec{EncrId::TRIPLE_DES, 0}, DhGroup::MODP_1024}})
    for (PrfId hash : {PrfId::HMAC_SHA1, PrfId::HMAC_MD5})
      for (bool pre_share : {false, true})
        out.push_back({priority++, pre_share, encr, hash, group, std::chrono::seconds(86400)});
  return out;
}

std::string acl_entry_text(const config::Model& m, const config::AccessList& acl, const config::AclEntry& e) {
  std::string body = fmt::format("{} {} {}{} {}{}", e.action == config::AclAction::Permit ? "permit" : "deny",
                                 proto_text(e.protocol), addr_text(m.dialect, e.source), port_text(e.source_port),
                                 addr_text(m.dialect, e.destination), port_text(e.destination_port));
  if (m.dialect == Dialect::Asa) return fmt::format("access-list {} extended {}", acl.name, body);
  return body;
}

Result<Policy> from_model(const config::Model& m, const LearnedAddresses& learned) {
  Policy p;
  p.personality = m.dialect == Dialect::Asa ? Personality::Asa : Personality::Ios;
  p.hostname = m.hostname.empty() ? (m.dialect == Dialect::Asa ? "ciscoasa" : "Router") : m.hostname;

  // IKEv2 proposals in priority order.
  if (m.dialect == Dialect::Asa) {
    for (const auto& pol : m.asa_ikev2_policies)
      p.ike_proposals.push_back(ike_proposal(static_cast<std::uint32_t>(pol.priority), std::to_string(pol.priority),
                                             pol.transforms, pol.lifetime_seconds));
  } else {
    std::uint32_t prio = 1;
    auto add = [&](const config::IosIkev2Proposal& prop) {
      for (const auto& have : p.ike_proposals)
        if (have.name == prop.name) return;
      p.ike_proposals.push_back(ike_proposal(prio++, prop.name, prop.transforms, 86400));
    };
    for (const auto& pol : m.ios_ikev2_policies)
      for (const auto& ref : pol.proposals)
        for (const auto& prop : m.ikev2_proposals)
          if (prop.name == ref.name) add(prop);
    if (p.ike_proposals.empty()) p.ike_proposals.push_back(ios_default_proposal());
  }
  std::stable_sort(p.ike_proposals.begin(), p.ike_proposals.end(),
                   [](const auto& a, const auto& b) { return a.priority < b.priority; });

  // IKEv1 phase-1 policies; the ASA adds its default policy 65535 (pre-share, 3DES, SHA,
  // group 2, 86400 s) after the configured ones.
  for (const auto& ip : m.isakmp_policies) {
    IsakmpProposal ik;
    ik.priority = static_cast<std::uint32_t>(ip.priority);
    ik.pre_share = ip.authentication == config::Ikev1Auth::PreShare;
    ik.encr = {ip.encryption.id, ip.encryption.key_bits};
    ik.hash = ip.hash == IntegId::HMAC_MD5_96         ? PrfId::HMAC_MD5
              : ip.hash == IntegId::HMAC_SHA2_256_128 ? PrfId::HMAC_SHA2_256
              : ip.hash == IntegId::HMAC_SHA2_384_192 ? PrfId::HMAC_SHA2_384
              : ip.hash == IntegId::HMAC_SHA2_512_256 ? PrfId::HMAC_SHA2_512
                                                      : PrfId::HMAC_SHA1;
    ik.group = ip.group;
    ik.lifetime = std::chrono::seconds(ip.lifetime_seconds.value_or(0));
    p.isakmp_proposals.push_back(ik);
  }
  if (m.dialect == Dialect::Asa &&
      std::none_of(p.isakmp_proposals.begin(), p.isakmp_proposals.end(), [](const auto& x) { return x.priority == 65535; }))
    p.isakmp_proposals.push_back(IsakmpProposal{});
  if (m.dialect == Dialect::Ios && m.isakmp_policies.empty() && m.isakmp_default_policy)
    p.isakmp_proposals = ios_default_isakmp_policies();
  std::stable_sort(p.isakmp_proposals.begin(), p.isakmp_proposals.end(),
                   [](const auto& a, const auto& b) { return a.priority < b.priority; });

  // Crypto map entries, with dynamic maps expanded in place.
  auto esp_from = [&](const config::CryptoMapEntry& e, CryptoMapEntry& out) {
    for (const auto& ref : e.ikev2_proposals)
      for (const auto& ip : m.ipsec_proposals)
        if (ip.name == ref.name) {
          EspProposal ep;
          ep.name = ip.name;
          for (const auto& c : ip.esp_encryption) ep.encrs.push_back({c.id, c.key_bits});
          for (IntegId i : ip.esp_integrity)
            if (i != IntegId::NONE) ep.integs.push_back(i);
          out.proposals.push_back(std::move(ep));
        }
    for (const auto& ref : e.transform_sets)
      for (const auto& ts : m.transform_sets)
        if (ts.name == ref.name && ts.esp_encryption) {
          EspProposal ep;
          ep.name = ts.name;
          ep.encrs.push_back({ts.esp_encryption->id, ts.esp_encryption->key_bits});
          if (ts.esp_integrity && *ts.esp_integrity != IntegId::NONE) ep.integs.push_back(*ts.esp_integrity);
          ep.transport_mode = ts.mode == config::IpsecMode::Transport;
          out.proposals.push_back(std::move(ep));
        }
    if (e.ikev2_profile) out.ikev2_profile = e.ikev2_profile->name;
    out.ikev1 = m.dialect == Dialect::Asa ? e.ikev2_proposals.empty() && !e.transform_sets.empty()
                                          : !e.ikev2_profile.has_value();
    out.pfs = e.pfs;
    out.aggressive = e.phase1_aggressive;
    out.aggressive_group = e.phase1_group;
    std::uint32_t default_life = m.dialect == Dialect::Asa ? 28800 : 3600;
    out.lifetime = std::chrono::seconds(e.lifetime.seconds.value_or(default_life));
    out.lifetime_kilobytes = e.lifetime.kilobytes_unlimited ? 0 : e.lifetime.kilobytes.value_or(4608000);
    for (const auto& peer : e.peers)
      if (peer.address) out.peers.push_back(*peer.address);
    if (e.match_address) {
      const auto* acl = m.access_list(e.match_address->name);
      if (!acl) return false;
      for (const auto& ae : acl->entries) {
        if (ae.is_remark) continue;
        std::string text = acl_entry_text(m, *acl, ae);
        auto sp = port_range(ae.source_port);
        auto dport = port_range(ae.destination_port);
        for (const auto& src : ranges(m, ae.source))
          for (const auto& dst : ranges(m, ae.destination)) {
            AclEntry entry;
            entry.text = text;
            entry.permit = ae.action == config::AclAction::Permit;
            entry.selector.src_start = src.start;
            entry.selector.src_end = src.end;
            entry.selector.dst_start = dst.start;
            entry.selector.dst_end = dst.end;
            entry.selector.protocol = ae.protocol.kind == config::Protocol::Kind::Number ? ae.protocol.number : 0;
            entry.selector.src_port_start = sp.first;
            entry.selector.src_port_end = sp.second;
            entry.selector.dst_port_start = dport.first;
            entry.selector.dst_port_end = dport.second;
            out.acl.push_back(std::move(entry));
          }
      }
    } else if (out.peers.empty()) {
      // A dynamic entry without `match address` accepts whatever the peer proposes.
      AclEntry any;
      any.text = "any";
      auto r = any_range(false);
      any.selector = Selector{r.start, r.end, r.start, r.end};
      out.acl.push_back(std::move(any));
    }
    return true;
  };

  for (const auto& map : m.crypto_maps) {
    std::string ifname;
    IpAddress local;
    for (const auto& iref : map.interfaces) ifname = iref.name;  // ASA
    if (ifname.empty())
      for (const auto& i : m.interfaces)
        if (i.crypto_map && i.crypto_map->name == map.name) ifname = i.name;  // IOS
    if (!ifname.empty())
      if (auto a = interface_address(m, learned, ifname)) local = *a;
    for (const auto& e : map.entries) {
      if (e.dynamic_map) {
        const auto* dm = m.dynamic_map(e.dynamic_map->name);
        if (!dm) return fail(fmt::format("crypto map {} {}: no dynamic-map named '{}'", map.name, e.sequence, e.dynamic_map->name));
        for (const auto& de : dm->entries) {
          CryptoMapEntry out;
          out.map = map.name;
          out.seq = static_cast<std::uint32_t>(e.sequence) * 1000 + static_cast<std::uint32_t>(de.sequence);
          out.interface = ifname;
          out.local_address = local;
          out.dynamic = true;
          if (!esp_from(de, out))
            return fail(fmt::format("crypto dynamic-map {} {}: no access-list named '{}'", dm->name, de.sequence,
                                    de.match_address->name));
          if (de.match_address) out.acl_name = de.match_address->name;
          p.map_entries.push_back(std::move(out));
        }
        continue;
      }
      CryptoMapEntry out;
      out.map = map.name;
      out.seq = static_cast<std::uint32_t>(e.sequence);
      out.interface = ifname;
      out.local_address = local;
      if (!esp_from(e, out))
        return fail(fmt::format("crypto map {} {}: no access-list named '{}'", map.name, e.sequence, e.match_address->name));
      if (e.match_address) out.acl_name = e.match_address->name;
      p.map_entries.push_back(std::move(out));
    }
  }

  // Peers and their keys.
  for (const auto& tg : m.tunnel_groups) {
    read_dpd(tg, p.dpd);
    auto addr = IpAddress::parse(tg.name);
    if (!addr) continue;  // named groups serve remote access and certificate maps
    PeerAuth pa;
    pa.name = tg.name;
    pa.address = *addr;
    pa.prefix = addr->is_v4() ? 32 : 128;
    pa.local_psk = secret_of(tg.ikev2_local.key);
    pa.remote_psk = secret_of(tg.ikev2_remote.key);
    pa.local_psk_masked = masked(tg.ikev2_local.key);
    pa.remote_psk_masked = masked(tg.ikev2_remote.key);
    if (pa.local_psk.empty() && pa.remote_psk.empty() && tg.ikev1_pre_shared_key.usable()) {
      pa.local_psk = pa.remote_psk = secret_of(tg.ikev1_pre_shared_key);
    }
    p.peers.push_back(std::move(pa));
  }
  for (const auto& kr : m.keyrings)
    for (const auto& kp : kr.peers) {
      if (!kp.address) continue;
      PeerAuth pa;
      pa.name = kp.name;
      pa.address = *kp.address;
      pa.prefix = kp.netmask ? netmask_to_prefix(*kp.netmask).value_or(32) : 32;
      if (!kp.hostname.empty()) pa.identity = kp.hostname;
      const auto& local = kp.local_key.is_set() ? kp.local_key : kp.key;
      const auto& remote = kp.remote_key.is_set() ? kp.remote_key : kp.key;
      pa.local_psk = secret_of(local);
      pa.remote_psk = secret_of(remote);
      pa.local_psk_masked = masked(local);
      pa.remote_psk_masked = masked(remote);
      pa.group_type = "L2L";
      p.peers.push_back(std::move(pa));
    }
  for (const auto& k : m.isakmp_keys) {
    if (!k.address) continue;
    PeerAuth pa;
    pa.name = k.address->to_string();
    pa.address = *k.address;
    pa.prefix = k.netmask ? netmask_to_prefix(*k.netmask).value_or(32) : 32;
    pa.local_psk = pa.remote_psk = secret_of(k.key);
    pa.local_psk_masked = pa.remote_psk_masked = masked(k.key);
    p.peers.push_back(std::move(pa));
  }

  // RFC 7383. An ASA offers IKEv2 fragmentation unless told not to; IOS only when configured.
  // 576 octets is Cisco's default fragment MTU, the IPv4 minimum every path carries.
  constexpr std::size_t kDefaultFragmentMtu = 576;
  if (m.ikev2_fragmentation)
    p.ikev2_fragment_mtu = m.ikev2_fragmentation->enabled ? m.ikev2_fragmentation->mtu.value_or(kDefaultFragmentMtu) : 0;
  else
    p.ikev2_fragment_mtu = m.dialect == Dialect::Asa ? kDefaultFragmentMtu : 0;
  for (const auto& en : m.ikev2_enabled)
    if (auto a = interface_address(m, learned, en.interface.name)) p.ikev2_addresses.push_back(*a);
  for (const auto& en : m.ikev1_enabled)
    if (auto a = interface_address(m, learned, en.name)) p.ikev1_addresses.push_back(*a);
  if (m.dialect == Dialect::Ios)
    for (const auto& i : m.interfaces)
      if (i.crypto_map && i.address_mode == config::Interface::AddressMode::Static) {
        p.ikev2_addresses.push_back(i.address);
        p.ikev1_addresses.push_back(i.address);
      }
  return p;
}

}  // namespace ikegate::policy
