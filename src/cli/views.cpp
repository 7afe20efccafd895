#include "cli/views.h"

#include "common/selector.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string_view>

namespace ikegate::cli {
namespace {

IkeSaStatus status_of(std::string_view s) {
  if (s == "READY") return IkeSaStatus::Ready;
  if (s == "IN-NEG") return IkeSaStatus::InNeg;
  if (s == "DELETE") return IkeSaStatus::Delete;
  if (s == "DELETED") return IkeSaStatus::Deleted;
  return IkeSaStatus::Unknown;
}

AuthMethod auth_of(std::string_view s) {
  if (s == "PSK") return AuthMethod::Psk;
  if (s == "RSA") return AuthMethod::Rsa;
  if (s == "ECDSA") return AuthMethod::Ecdsa;
  if (s == "EAP") return AuthMethod::Eap;
  return AuthMethod::None;
}

// Cisco's "NAT-T is detected inside" means this box is behind the NAT, "outside" the peer.
NatDetected nat_of(const ikev2::IkeSaInfo& sa) {
  if (sa.nat_local) return NatDetected::Inside;
  if (sa.nat_remote) return NatDetected::Outside;
  return NatDetected::None;
}

// RFC 4303 2.3 and the ciphers' RFCs: IV in the payload, cipher block (padding unit), ICV.
unsigned iv_size(EncrId e) {
  switch (e) {
    case EncrId::AES_CBC: return 16;
    case EncrId::DES: case EncrId::DES_IV64: case EncrId::TRIPLE_DES: return 8;
    case EncrId::AES_CTR: case EncrId::AES_GCM_8: case EncrId::AES_GCM_12:
    case EncrId::AES_GCM_16: return 8;  // RFC 3686, RFC 4106
    case EncrId::NULL_ENCR: return 0;
  }
  return 0;
}

unsigned block_size(EncrId e) {
  switch (e) {
    case EncrId::AES_CBC: return 16;
    case EncrId::DES: case EncrId::DES_IV64: case EncrId::TRIPLE_DES: return 8;
    default: return 4;  // stream modes pad to ESP's 4-octet alignment
  }
}

unsigned icv_size(EncrId e, IntegId i) {
  switch (e) {
    case EncrId::AES_GCM_8: return 8;
    case EncrId::AES_GCM_12: return 12;
    case EncrId::AES_GCM_16: return 16;
    default: break;
  }
  switch (i) {
    case IntegId::NONE: return 0;
    case IntegId::HMAC_MD5_96: case IntegId::HMAC_SHA1_96: return 12;
    case IntegId::HMAC_SHA2_256_128: return 16;
    case IntegId::HMAC_SHA2_384_192: return 24;
    case IntegId::HMAC_SHA2_512_256: return 32;
  }
  return 12;
}

unsigned outer_ip_header(const Endpoint& e) { return e.address.is_v4() ? 20 : 40; }

// The ASA's "ipsec overhead": outer IP header, ESP header (SPI and sequence number), IV, a full
// block of padding, pad length and next header, ICV, and the UDP header under NAT-T. The seed's
// AES-256/SHA1 SA prints 74 = 20 + 8 + 16 + 16 + 2 + 12.
unsigned esp_overhead(EncrId encr, IntegId integ, bool nat_t, const Endpoint& local) {
  return outer_ip_header(local) + 8 + iv_size(encr) + block_size(encr) + 2 +
         icv_size(encr, integ) + (nat_t ? 8 : 0);
}

// IOS "plaintext mtu": the largest inner packet that still fits the path MTU once padded. The
// seed's AES-128/SHA1 SA prints 1438 = (1500 - 20 - 8 - 16 - 12) rounded down to 16, minus 2.
unsigned plaintext_mtu(EncrId encr, IntegId integ, bool nat_t, const Endpoint& local,
                       unsigned mtu) {
  unsigned fixed = outer_ip_header(local) + 8 + iv_size(encr) + icv_size(encr, integ) +
                   (nat_t ? 8 : 0);
  if (mtu <= fixed + 2) return 0;
  unsigned block = block_size(encr);
  return (mtu - fixed) / block * block - 2;
}

std::uint64_t kilobytes_left(std::uint64_t lifetime_kb, std::uint64_t bytes) {
  std::uint64_t used = bytes / 1024;
  return used >= lifetime_kb ? 0 : lifetime_kb - used;
}


SelectorRange range_of(const IpAddress& start, const IpAddress& end, std::uint16_t p1,
                       std::uint16_t p2) {
  return {start, end, p1, p2};
}

// What an ESP SA view needs of a CHILD SA (IKEv2) or phase 2 SA (IKEv1).
struct Phase2 {
  EncrId encr;
  std::uint16_t key_bits;
  IntegId integ;
  std::uint32_t reqid;
  std::uint64_t lifetime_kb;
  Seconds remaining;
};

EspSaView esp_view(std::uint32_t spi, const Phase2& c, std::uint64_t bytes,
                   policy::Personality personality) {
  EspSaView e;
  e.spi = spi;
  e.transform = {c.encr, c.key_bits, c.integ};
  e.conn_id = c.reqid;
  e.remaining_kilobytes = kilobytes_left(c.lifetime_kb, bytes);
  e.remaining_seconds = c.remaining;
  e.iv_size_bytes = iv_size(c.encr);
  if (personality == policy::Personality::Ios) {
    e.flow_id = fmt::format("SW:{}", c.reqid);
    e.sibling_flags = 0x80000040;
    e.hw_status = "ACTIVE";
  }
  return e;
}

const policy::CryptoMapEntry* entry_for(const policy::Policy& policy,
                                        const ikev2::ChildSaInfo& c) {
  return policy.find_entry(c.map, c.seq);
}

// The interface a peer's session belongs to: that of a CHILD SA's map entry, else that of the
// first map entry naming the peer.
std::string interface_for(const policy::Policy& policy, const ikev2::IkeSaInfo& sa) {
  for (const auto& c : sa.children)
    if (const auto* e = entry_for(policy, c)) return e->interface;
  for (const auto& e : policy.map_entries)
    if (std::find(e.peers.begin(), e.peers.end(), sa.remote.address) != e.peers.end())
      return e.interface;
  return {};
}

std::string ios_flow_text(const policy::Selector& s) {
  auto side = [](const IpAddress& a, const IpAddress& b, std::uint16_t p1, std::uint16_t p2) {
    IdentView id = ident_of(a, b, 0, p1, p2);
    std::string text = a.is_v4() ? fmt::format("{}/{}", id.address.to_string(),
                                                IpAddress::v4(prefix_to_netmask(id.prefix_len)).to_string())
                                 : fmt::format("{}/{}", id.address.to_string(), id.prefix_len);
    if (id.port != 0) text += fmt::format(" port {}", id.port);
    return text;
  };
  auto proto = ip_protocol_keyword(s.protocol);
  return fmt::format("permit {} {} {}",
                     proto.empty() ? fmt::format("{}", s.protocol) : std::string(proto),
                     side(s.src_start, s.src_end, s.src_port_start, s.src_port_end),
                     side(s.dst_start, s.dst_end, s.dst_port_start, s.dst_port_end));
}

// The crypto map part of a `show crypto ipsec sa` block: the entry, its ACL line, the idents.
ChildSaView map_block(const policy::CryptoMapEntry* entry, const std::string& map,
                      std::uint32_t seq, const std::string& acl_text,
                      const policy::Selector& s) {
  ChildSaView v;
  v.interface_name = entry ? entry->interface : std::string{};
  v.crypto_map = map;
  v.crypto_map_seq = seq;
  v.dynamic_map = entry && entry->dynamic;
  v.acl_line = acl_text;
  v.local_ident = ident_of(s.src_start, s.src_end, s.protocol, s.src_port_start, s.src_port_end);
  v.remote_ident = ident_of(s.dst_start, s.dst_end, s.protocol, s.dst_port_start, s.dst_port_end);
  return v;
}

// The counters, MTU figures and ESP SAs of a `show crypto ipsec sa` block, for either engine.
// Counters from the data plane: encaps/encrypt/digest and send errors from the outbound SA,
// decaps/decrypt/verify and replay failures from the inbound one.
void fill_phase2(ChildSaView& v, const Phase2& p, std::uint32_t spi_in, std::uint32_t spi_out,
                 const dataplane::SaCounters& in, const dataplane::SaCounters& out, bool nat_t,
                 const Endpoint& local, policy::Personality personality) {
  auto& k = v.counters;
  k.encaps = out.encaps_or_decaps;
  k.encrypt = out.encrypt_or_decrypt;
  k.digest = out.digest_or_verify;
  k.decaps = in.encaps_or_decaps;
  k.decrypt = in.encrypt_or_decrypt;
  k.verify = in.digest_or_verify;
  k.send_errors = out.send_errors;
  k.recv_errors = in.recv_errors + in.auth_failures;
  k.replay_failures = in.replay_failures;
  // Nothing is compressed: the ASA counts every encapsulated packet as "not compressed"
  // (the seed's 3 pings print 3), IOS leaves the counter at 0 (the seed's 100 print 0).
  if (personality == policy::Personality::Asa) k.not_compressed = k.encaps;
  k.encrypt_drops = out.send_errors;
  k.decrypt_drops = in.recv_errors + in.auth_failures + in.replay_failures;
  v.ipsec_overhead = esp_overhead(p.encr, p.integ, nat_t, local);
  if (personality == policy::Personality::Ios)
    v.plaintext_mtu = plaintext_mtu(p.encr, p.integ, nat_t, local, v.path_mtu);
  v.nat_t = nat_t;
  v.lifetime_kilobytes = p.lifetime_kb;
  v.inbound.push_back(esp_view(spi_in, p, in.bytes, personality));
  v.outbound.push_back(esp_view(spi_out, p, out.bytes, personality));
}

// One IPSEC FLOW of `show crypto session detail`, for either engine.
SessionFlowView flow_view(const policy::Selector& selector, const dataplane::SaCounters& in,
                          const dataplane::SaCounters& out, std::uint64_t lifetime_kb,
                          Seconds remaining) {
  SessionFlowView f;
  f.acl_text = ios_flow_text(selector);
  f.active_sas = 2;
  f.pkts_decrypted = in.encrypt_or_decrypt;
  f.decrypt_drops = in.recv_errors + in.auth_failures + in.replay_failures;
  f.pkts_encrypted = out.encrypt_or_decrypt;
  f.encrypt_drops = out.send_errors;
  f.inbound_kilobytes_left = kilobytes_left(lifetime_kb, in.bytes);
  f.outbound_kilobytes_left = kilobytes_left(lifetime_kb, out.bytes);
  f.inbound_seconds_left = f.outbound_seconds_left = remaining;
  return f;
}

}  // namespace

IdentView ident_of(const IpAddress& start, const IpAddress& end, std::uint8_t protocol,
                   std::uint16_t port_start, std::uint16_t port_end) {
  IdentView id;
  id.protocol = protocol;
  id.port = port_start == port_end ? port_start : 0;
  auto a = start.bytes();
  auto b = end.bytes();
  int bits = static_cast<int>(a.size()) * 8;
  if (start.family() != end.family()) {
    id.address = start;
    id.prefix_len = bits;
    return id;
  }
  // The longest common prefix covers the range; it is the range exactly when start and end
  // differ only in the host bits that follow it.
  int common = 0;
  while (common < bits) {
    int byte = common / 8, bit = 7 - common % 8;
    if (((a[byte] >> bit) & 1) != ((b[byte] >> bit) & 1)) break;
    ++common;
  }
  std::array<std::uint8_t, 16> octets{};
  for (int i = 0; i < bits; ++i) {
    int byte = i / 8, bit = 7 - i % 8;
    if (i < common && ((a[byte] >> bit) & 1)) octets[byte] |= static_cast<std::uint8_t>(1u << bit);
  }
  id.address = start.is_v4() ? *IpAddress::from_bytes({octets.data(), 4})
                             : *IpAddress::from_bytes({octets.data(), 16});
  id.prefix_len = common;
  return id;
}

std::vector<IkeSaView> ike_sa_views(const std::vector<ikev2::IkeSaInfo>& sas,
                                    policy::Personality personality) {
  std::vector<IkeSaView> out;
  out.reserve(sas.size());
  for (const auto& sa : sas) {
    IkeSaView v;
    v.version = IkeVersion::IKEv2;
    v.tunnel_id = sa.id;
    v.session_id = sa.id;
    v.local = sa.local;
    v.remote = sa.remote;
    v.status = status_of(sa.status);
    v.status_description = v.status == IkeSaStatus::Ready ? "Negotiation done"
                                                          : "Negotiation in progress";
    v.role = sa.initiator ? IkeRole::Initiator : IkeRole::Responder;
    v.encr = sa.encr;
    v.key_bits = sa.key_bits;
    v.integ = sa.integ;
    v.prf = sa.prf;
    v.dh_group = sa.dh;
    v.auth_sign = auth_of(sa.auth_sign);
    v.auth_verify = auth_of(sa.auth_verify);
    v.lifetime = sa.lifetime;
    v.active_time = sa.active;
    v.local_spi = sa.spi_local;
    v.remote_spi = sa.spi_remote;
    v.local_id = sa.local_id;
    v.remote_id = sa.remote_id;
    v.local_req_msg_id = v.local_next_msg_id = v.local_req_queued = sa.local_req_mid;
    v.remote_req_msg_id = v.remote_next_msg_id = v.remote_req_queued = sa.remote_req_mid;
    v.local_window = sa.window;
    v.remote_window = 1;
    v.dpd_interval = sa.dpd_interval;
    v.dpd_retry = static_cast<unsigned>(std::max<std::int64_t>(0, sa.dpd_retry.count()));
    v.nat = nat_of(sa);
    v.fragmentation_configured = sa.fragmentation;
    v.l2l = true;
    v.lifetime_remaining = std::max(Seconds{0}, sa.lifetime - sa.active);
    if (personality == policy::Personality::Ios) v.engine_conn = fmt::format("SW:{}", sa.id);
    // Newest first, as the seed's ASA lists them: the CREATE_CHILD_SA child (192.168.1.12)
    // above the IKE_AUTH one (192.168.1.1).
    for (auto it = sa.children.rbegin(); it != sa.children.rend(); ++it) {
      const auto& c = *it;
      const auto& s = c.selector;
      IkeChildView cv;
      cv.local_selector = range_of(s.src_start, s.src_end, s.src_port_start, s.src_port_end);
      cv.remote_selector = range_of(s.dst_start, s.dst_end, s.dst_port_start, s.dst_port_end);
      cv.esp_spi_in = c.spi_in;
      cv.esp_spi_out = c.spi_out;
      cv.transform = {c.encr, c.key_bits, c.integ};
      v.children.push_back(cv);
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<ChildSaView> child_sa_views(const std::vector<ikev2::IkeSaInfo>& sas,
                                        const policy::Policy& policy) {
  std::vector<ChildSaView> out;
  for (const auto& sa : sas) {
    for (const auto& c : sa.children) {
      ChildSaView v = map_block(entry_for(policy, c), c.map, c.seq, c.acl_text, c.selector);
      v.local_endpoint = sa.local;
      v.remote_endpoint = sa.remote;
      if (c.nat_t && c.encap_local_port != 0) v.local_endpoint.port = c.encap_local_port;
      if (c.nat_t && c.encap_remote_port != 0) v.remote_endpoint.port = c.encap_remote_port;
      v.ike_version = IkeVersion::IKEv2;
      fill_phase2(v, {c.encr, c.key_bits, c.integ, c.reqid, c.lifetime_kb, c.remaining},
                  c.spi_in, c.spi_out, c.in, c.out, c.nat_t, sa.local, policy.personality);
      v.pfs_group = c.pfs.value_or(DhGroup::NONE);
      v.lifetime_seconds = c.lifetime;
      out.push_back(std::move(v));
    }
  }
  return out;
}

std::vector<SessionView> session_views(const std::vector<ikev2::IkeSaInfo>& sas,
                                       const policy::Policy& policy) {
  std::vector<SessionView> out;
  std::map<IpAddress, std::size_t> by_peer;
  for (const auto& sa : sas) {
    auto [it, fresh] = by_peer.try_emplace(sa.remote.address, out.size());
    if (fresh) {
      SessionView s;
      s.interface_name = interface_for(policy, sa);
      for (const auto& c : sa.children) {
        const auto* e = entry_for(policy, c);
        if (e && !e->ikev2_profile.empty()) {
          s.profile = e->ikev2_profile;
          break;
        }
      }
      s.peer = sa.remote;
      s.phase1_id = sa.remote_id.empty() ? sa.remote.address.to_string() : sa.remote_id;
      s.status = "DOWN-NEGOTIATING";
      out.push_back(std::move(s));
    }
    SessionView& s = out[it->second];
    bool ready = sa.status == "READY";
    if (ready) {
      s.status = sa.children.empty() && s.flows.empty() ? "UP-IDLE" : "UP-ACTIVE";
      s.uptime = std::max(s.uptime, sa.active);
    }
    std::string caps;
    if (sa.dpd_interval.count() > 0) caps += 'D';
    if (sa.nat_local || sa.nat_remote) caps += 'N';
    if (sa.fragmentation) caps += 'F';
    s.ike_sas.push_back({IkeVersion::IKEv2, sa.local, sa.remote, ready, caps, sa.id,
                         std::max(Seconds{0}, sa.lifetime - sa.active)});
    for (const auto& c : sa.children) {
      s.flows.push_back(flow_view(c.selector, c.in, c.out, c.lifetime_kb, c.remaining));
      if (ready) s.status = "UP-ACTIVE";
    }
  }
  return out;
}

namespace {

IkeV1State v1_state_of(const ikev1::IsakmpSaInfo& sa, policy::Personality personality) {
  if (sa.established)
    return personality == policy::Personality::Asa ? IkeV1State::MmActive : IkeV1State::QmIdle;
  if (sa.state == "MM_SA_SETUP") return IkeV1State::MmSaSetup;
  if (sa.state == "MM_KEY_EXCH") return IkeV1State::MmKeyExch;
  return IkeV1State::MmNoState;
}

// IKEv1's hash algorithm (RFC 2409 appendix A) printed with the words of the integrity ids.
IntegId integ_of(PrfId hash) {
  switch (hash) {
    case PrfId::HMAC_MD5: return IntegId::HMAC_MD5_96;
    case PrfId::HMAC_SHA1: return IntegId::HMAC_SHA1_96;
    case PrfId::HMAC_SHA2_256: return IntegId::HMAC_SHA2_256_128;
    case PrfId::HMAC_SHA2_384: return IntegId::HMAC_SHA2_384_192;
    case PrfId::HMAC_SHA2_512: return IntegId::HMAC_SHA2_512_256;
  }
  return IntegId::NONE;
}

std::string v1_capabilities(const ikev1::IsakmpSaInfo& sa) {
  return sa.nat_local || sa.nat_remote ? "N" : "";
}

// The ISAKMP SA an IPsec SA belongs to: the one the engine names (its C-id), else an
// established one with the same peer.
const ikev1::IsakmpSaInfo* isakmp_of(const ikev1::Snapshot& snapshot, const ikev1::IpsecSaInfo& c) {
  const ikev1::IsakmpSaInfo* same_peer = nullptr;
  for (const auto& sa : snapshot.isakmp) {
    if (!sa.established) continue;
    if (c.conn_id != 0 && sa.conn_id == c.conn_id) return &sa;
    if (!same_peer && sa.remote.address == c.remote.address) same_peer = &sa;
  }
  return same_peer;
}

}  // namespace

std::vector<IkeSaView> ike_sa_views(const ikev1::Snapshot& snapshot,
                                    policy::Personality personality) {
  std::vector<IkeSaView> out;
  out.reserve(snapshot.isakmp.size());
  for (const auto& sa : snapshot.isakmp) {
    IkeSaView v;
    v.version = IkeVersion::IKEv1;
    v.tunnel_id = sa.conn_id;
    v.session_id = sa.conn_id;
    v.local = sa.local;
    v.remote = sa.remote;
    v.status = sa.established ? IkeSaStatus::Ready : IkeSaStatus::InNeg;
    v.status_description = sa.established ? "Negotiation done" : "Negotiation in progress";
    v.role = sa.initiator ? IkeRole::Initiator : IkeRole::Responder;
    v.encr = sa.encr;
    v.key_bits = sa.key_bits;
    v.integ = integ_of(sa.hash);
    v.prf = sa.hash;
    v.dh_group = sa.dh;
    v.auth_sign = v.auth_verify = AuthMethod::Psk;  // the engine speaks pre-shared keys only
    v.lifetime = sa.lifetime;
    v.lifetime_remaining = sa.remaining;
    v.active_time = sa.established ? std::max(Seconds{0}, sa.lifetime - sa.remaining) : Seconds{0};
    v.local_spi = sa.initiator ? sa.cookie_i : sa.cookie_r;
    v.remote_spi = sa.initiator ? sa.cookie_r : sa.cookie_i;
    v.local_id = sa.local.address.to_string();
    v.remote_id = sa.tunnel_group.empty() ? sa.remote.address.to_string() : sa.tunnel_group;
    v.nat = sa.nat_local ? NatDetected::Inside : sa.nat_remote ? NatDetected::Outside
                                                              : NatDetected::None;
    v.v1_state = v1_state_of(sa, personality);
    v.l2l = true;
    v.engine_conn = fmt::format("SW:{}", sa.conn_id > 1000 ? sa.conn_id - 1000 : sa.conn_id);
    v.capabilities = v1_capabilities(sa);
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<ChildSaView> child_sa_views(const ikev1::Snapshot& snapshot,
                                        const policy::Policy& policy) {
  std::vector<ChildSaView> out;
  for (const auto& c : snapshot.ipsec) {
    const auto* entry = policy.find_entry(c.map, c.seq);
    ChildSaView v = map_block(entry, c.map, c.seq, c.acl_text, c.selector);
    // The SA's own endpoints: with a dynamic crypto map, several peers share one entry.
    v.local_endpoint = c.local;
    v.remote_endpoint = c.remote;
    v.ike_version = IkeVersion::IKEv1;
    std::uint64_t lifetime_kb = entry ? entry->lifetime_kilobytes : v.lifetime_kilobytes;
    fill_phase2(v, {c.encr, c.key_bits, c.integ, c.reqid, lifetime_kb, c.remaining}, c.spi_in,
                c.spi_out, c.in, c.out, c.nat_t, v.local_endpoint, policy.personality);
    v.pfs_group = c.pfs.value_or(DhGroup::NONE);
    v.lifetime_seconds = c.lifetime;
    out.push_back(std::move(v));
  }
  return out;
}

void add_session_views(std::vector<SessionView>& sessions, const ikev1::Snapshot& snapshot,
                       const policy::Policy& policy) {
  auto session_for = [&](const ikev1::IsakmpSaInfo& sa) -> SessionView& {
    for (auto& s : sessions)
      if (s.peer.address == sa.remote.address) return s;
    SessionView s;
    for (const auto& e : policy.map_entries)
      if (std::find(e.peers.begin(), e.peers.end(), sa.remote.address) != e.peers.end()) {
        s.interface_name = e.interface;
        break;
      }
    s.peer = sa.remote;
    s.phase1_id = sa.remote.address.to_string();
    s.status = "DOWN-NEGOTIATING";
    sessions.push_back(std::move(s));
    return sessions.back();
  };
  for (const auto& sa : snapshot.isakmp) {
    SessionView& s = session_for(sa);
    if (sa.established) {
      if (s.status == "DOWN-NEGOTIATING") s.status = "UP-IDLE";
      s.uptime = std::max(s.uptime, sa.lifetime - sa.remaining);
    }
    s.ike_sas.push_back({IkeVersion::IKEv1, sa.local, sa.remote, sa.established,
                         v1_capabilities(sa), sa.conn_id, sa.remaining});
  }
  for (const auto& c : snapshot.ipsec) {
    const auto* entry = policy.find_entry(c.map, c.seq);
    const auto* isakmp = isakmp_of(snapshot, c);
    if (!isakmp) continue;
    SessionView& s = session_for(*isakmp);
    if (s.interface_name.empty() && entry) s.interface_name = entry->interface;
    std::uint64_t lifetime_kb = entry ? entry->lifetime_kilobytes : 4608000;
    s.flows.push_back(flow_view(c.selector, c.in, c.out, lifetime_kb, c.remaining));
    s.status = "UP-ACTIVE";
  }
}

}  // namespace ikegate::cli
