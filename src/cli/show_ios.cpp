#include "cli/show_ios.h"

#include <fmt/format.h>

#include <algorithm>

#include "cli/show_common.h"

namespace ikegate::cli::ios {
namespace {

using show::two_columns;

// IOS ESP transform names, one table: "esp-aes", "esp-256-aes", "esp-gcm 256".
std::string esp_encr_name(EncrId encr, std::uint16_t key_bits) {
  bool default_size = key_bits == 128 || key_bits == 0;
  switch (encr) {
    case EncrId::DES_IV64:
    case EncrId::DES: return "esp-des";
    case EncrId::TRIPLE_DES: return "esp-3des";
    case EncrId::NULL_ENCR: return "esp-null";
    case EncrId::AES_CBC: return default_size ? "esp-aes" : fmt::format("esp-{}-aes", key_bits);
    case EncrId::AES_CTR: return default_size ? "esp-aes-ctr" : fmt::format("esp-aes-ctr {}", key_bits);
    case EncrId::AES_GCM_8:
    case EncrId::AES_GCM_12:
    case EncrId::AES_GCM_16: return default_size ? "esp-gcm" : fmt::format("esp-gcm {}", key_bits);
  }
  return "esp-unknown";
}

// IKEv1 words of the isakmp detail table ("aes", "sha", "psk").
std::string v1_encr_name(EncrId encr, std::uint16_t key_bits) {
  switch (encr) {
    case EncrId::DES_IV64:
    case EncrId::DES: return "des";
    case EncrId::TRIPLE_DES: return "3des";
    case EncrId::AES_CBC: return key_bits == 128 ? "aes" : fmt::format("aes{}", key_bits);
    default: return "unkn";
  }
}

std::string_view v1_hash_name(IntegId integ) {
  switch (integ) {
    case IntegId::HMAC_MD5_96: return "md5";
    case IntegId::HMAC_SHA1_96: return "sha";
    case IntegId::HMAC_SHA2_256_128: return "sha256";
    case IntegId::HMAC_SHA2_384_192: return "sha384";
    case IntegId::HMAC_SHA2_512_256: return "sha512";
    default: return "none";
  }
}

std::string_view v1_auth_name(AuthMethod auth) {
  switch (auth) {
    case AuthMethod::Psk: return "psk";
    case AuthMethod::Rsa: return "rsig";
    case AuthMethod::Ecdsa: return "ecdsa";
    default: return "none";
  }
}

std::string_view v1_status_name(IkeSaStatus status) {
  return status == IkeSaStatus::Ready ? "ACTIVE" : show::ike_status_name(status);
}

std::string or_none(std::string_view s, std::string_view none) {
  return std::string{s.empty() ? none : s};
}

// The SAs of one address family, in the order given.
std::vector<const IkeSaView*> of_family(const std::vector<IkeSaView>& sas, IkeVersion version,
                                        bool v4) {
  std::vector<const IkeSaView*> out;
  for (const auto& sa : sas) {
    if (sa.version == version && sa.local.address.is_v4() == v4) out.push_back(&sa);
  }
  return out;
}

void append_ikev2_family(std::string& out, const std::vector<const IkeSaView*>& sas,
                         bool detailed, const IosStyle& style) {
  if (sas.empty()) return;
  // Long ids and IPv6 endpoints widen a column for every row.
  std::size_t wid = 9, wl = 22, wr = 22;
  for (const auto* sa : sas) {
    wid = std::max(wid, fmt::format("{}", sa->tunnel_id).size());
    wl = std::max(wl, show::endpoint_slash(sa->local).size() + 1);
    wr = std::max(wr, show::endpoint_slash(sa->remote).size() + 1);
  }
  out += fmt::format("{:<{}} {:<{}}{:<{}}{:<21}{}\n", "Tunnel-id", wid, "Local", wl, "Remote", wr,
                     "fvrf/ivrf", "Status");
  for (const auto* sa : sas) {
    auto vrfs = fmt::format("{}/{}", or_none(sa->fvrf, "none"), or_none(sa->ivrf, "none"));
    out += fmt::format("{:<{}} {:<{}}{:<{}}{:<20} {}\n", sa->tunnel_id, wid,
                       show::endpoint_slash(sa->local), wl, show::endpoint_slash(sa->remote), wr,
                       vrfs, show::ike_status_name(sa->status));
    out += fmt::format("      {}\n", show::ike_algorithms_line(*sa, style.ikev2_prf));
    out += fmt::format("      Life/Active Time: {}/{} sec\n", sa->lifetime.count(),
                       sa->active_time.count());
    if (!detailed) continue;
    constexpr std::size_t kCol = 34;  // where "Remote ..." starts
    auto pair = [&](std::string_view what, auto local, auto remote) {
      out += "      " +
             two_columns(fmt::format("{:<19}{}", fmt::format("Local {}:", what), local),
                         fmt::format("{:<20}{}", fmt::format("Remote {}:", what), remote), kCol) +
             "\n";
    };
    if (sa->ce_id) {
      out += fmt::format("      CE id: {}, Session-id: {}\n", *sa->ce_id, sa->session_id);
    } else {
      out += fmt::format("      Session-id: {}\n", sa->session_id);
    }
    out += fmt::format("      Status Description: {}\n", sa->status_description);
    out += "      " +
           two_columns(fmt::format("Local spi: {:016X}", sa->local_spi),
                       fmt::format("Remote spi: {:016X}", sa->remote_spi), kCol) +
           "\n";
    out += fmt::format("      Local id: {}\n", sa->local_id);
    out += fmt::format("      Remote id: {}\n", sa->remote_id);
    pair("req msg id", sa->local_req_msg_id, sa->remote_req_msg_id);
    pair("next msg id", sa->local_next_msg_id, sa->remote_next_msg_id);
    pair("req queued", sa->local_req_queued, sa->remote_req_queued);
    pair("window", sa->local_window, sa->remote_window);
    out += fmt::format("      DPD configured for {} seconds, retry {}\n",
                       sa->dpd_interval.count(), sa->dpd_retry);
    out += fmt::format("      Fragmentation {}configured.\n",
                       sa->fragmentation_configured ? "" : "not ");
    out += fmt::format("      Extended Authentication {}configured.\n",
                       sa->extended_auth_configured ? "" : "not ");
    out += fmt::format("      {}\n", show::nat_text(sa->nat));
    if (sa->assigned_address) {
      out += fmt::format("      Assigned host addr: {}\n", sa->assigned_address->to_string());
    }
    out += "      Cisco Trust Security SGT is disabled\n";
    out += fmt::format("      Initiator of SA : {}\n",
                       sa->role == IkeRole::Initiator ? "Yes" : "No");
  }
  out += "\n";
}

void append_isakmp_family(std::string& out, const std::vector<const IkeSaView*>& sas,
                          bool detail, const IosStyle& style) {
  if (sas.empty()) return;
  if (detail) {
    out += fmt::format("{:<5} {:<15} {:<15} {:<6} {:<6} {:<4} {:<6} {:<4} {:<2} {:<8} {}\n\n",
                       "C-id", "Local", "Remote", "I-VRF", "Status", "Encr", "Hash", "Auth", "DH",
                       "Lifetime", "Cap.");
  } else {
    out += fmt::format("{:<15} {:<15} {:<15}{:>7}{} status\n", "dst", "src", "state", "conn-id",
                       style.isakmp_slot_column ? " slot" : "");
  }
  for (const auto* sa : sas) {
    if (detail) {
      out += fmt::format("{:<5} {:<15} {:<15} {:<6} {:<6} {:<4} {:<6} {:<4} {:<2} {:<8} {}\n",
                         sa->tunnel_id, sa->local.address.to_string(),
                         sa->remote.address.to_string(), sa->ivrf, v1_status_name(sa->status),
                         v1_encr_name(sa->encr, sa->key_bits), v1_hash_name(sa->integ),
                         v1_auth_name(sa->auth_sign), static_cast<unsigned>(sa->dh_group),
                         show::hms(sa->lifetime_remaining), sa->capabilities);
      out += fmt::format("       Engine-id:Conn-id =  {}\n\n", sa->engine_conn);
      continue;
    }
    bool initiator = sa->role == IkeRole::Initiator;
    const auto& dst = initiator ? sa->remote : sa->local;
    const auto& src = initiator ? sa->local : sa->remote;
    auto slot = style.isakmp_slot_column ? fmt::format(" {:>4}", sa->slot) : std::string{};
    out += fmt::format("{:<15} {:<15} {:<15}{:>7}{} {}\n", dst.address.to_string(),
                       src.address.to_string(), show::v1_state_name(sa->v1_state),
                       sa->tunnel_id, slot, v1_status_name(sa->status));
  }
  if (!detail) out += "\n";
}

void append_flow(std::string& out, const ChildSaView& c) {
  const auto& k = c.counters;
  out += fmt::format("   protected vrf: {}\n", or_none(c.protected_vrf, "(none)"));
  out += fmt::format("   local  ident (addr/mask/prot/port): {}\n", show::ident_text(c.local_ident));
  out += fmt::format("   remote ident (addr/mask/prot/port): {}\n",
                     show::ident_text(c.remote_ident));
  out += fmt::format("   current_peer {} port {}\n", c.remote_endpoint.address.to_string(),
                     c.remote_endpoint.port);
  out += fmt::format("     PERMIT, flags={{{}}}\n", c.ios_flags);
  out += fmt::format("    #pkts encaps: {}, #pkts encrypt: {}, #pkts digest: {}\n", k.encaps,
                     k.encrypt, k.digest);
  out += fmt::format("    #pkts decaps: {}, #pkts decrypt: {}, #pkts verify: {}\n", k.decaps,
                     k.decrypt, k.verify);
  out += fmt::format("    #pkts compressed: {}, #pkts decompressed: {}\n", k.compressed,
                     k.decompressed);
  out += fmt::format("    #pkts not compressed: {}, #pkts compr. failed: {}\n",
                     k.not_compressed, k.comp_failed);
  out += fmt::format("    #pkts not decompressed: {}, #pkts decompress failed: {}\n",
                     k.not_decompressed, k.decomp_failed);
  out += fmt::format("    #send errors {}, #recv errors {}\n\n", k.send_errors, k.recv_errors);
  out += fmt::format("     local crypto endpt.: {}, remote crypto endpt.: {}\n",
                     c.local_endpoint.address.to_string(), c.remote_endpoint.address.to_string());
  out += "     ";
  if (c.plaintext_mtu) out += fmt::format("plaintext mtu {}, ", *c.plaintext_mtu);
  out += fmt::format("path mtu {}, ip mtu {}, ip mtu idb {}\n", c.path_mtu, c.media_mtu,
                     c.interface_name);
  // The newest outbound SA is the current one.
  auto current = c.outbound.empty() ? 0u : c.outbound.back().spi;
  out += fmt::format("     current outbound spi: 0x{:X}({})\n", current, current);
  if (c.pfs_group) {
    if (*c.pfs_group == DhGroup::NONE) {
      out += "     PFS (Y/N): N, DH group: none\n";
    } else {
      out += fmt::format("     PFS (Y/N): Y, DH group: group{}\n",
                         static_cast<unsigned>(*c.pfs_group));
    }
  }
  out += "\n";

  auto settings = fmt::format("{}{}, ", c.mode == IpsecMode::Tunnel ? "Tunnel" : "Transport",
                              c.nat_t ? " UDP-Encaps" : "");
  auto direction = [&](std::string_view name, const std::vector<EspSaView>& sas) {
    out += fmt::format("     {} esp sas:\n", name);
    for (const auto& e : sas) {
      out += fmt::format("      spi: 0x{:X}({})\n", e.spi, e.spi);
      out += fmt::format("        transform: {} ,\n", esp_transform_name(e.transform));
      out += fmt::format("        in use settings ={{{}}}\n", settings);
      out += fmt::format("        conn id: {}, ", e.conn_id);
      if (e.flow_id) out += fmt::format("flow_id: {}, ", *e.flow_id);
      if (e.sibling_flags) out += fmt::format("sibling_flags {:X}, ", *e.sibling_flags);
      out += fmt::format("crypto map: {}\n", c.crypto_map);
      if (!c.dataplane.empty()) out += fmt::format("        data plane: {}\n", c.dataplane);
      out += fmt::format("        sa timing: remaining key lifetime (k/sec): ({}/{})\n",
                         e.remaining_kilobytes, e.remaining_seconds.count());
      out += fmt::format("        IV size: {} bytes\n", e.iv_size_bytes);
      out += fmt::format("        replay detection support: {}\n", e.replay_detection ? 'Y' : 'N');
      out += fmt::format("        Status: {}{}\n", e.status,
                         e.hw_status ? fmt::format("({})", *e.hw_status) : std::string{});
    }
    out += fmt::format("\n     {} ah sas:\n\n     {} pcp sas:\n", name, name);
  };
  direction("inbound", c.inbound);
  out += "\n";
  direction("outbound", c.outbound);
}

void append_session(std::string& out, const SessionView& s) {
  out += fmt::format("Interface: {}\n", s.interface_name);
  if (s.profile) out += fmt::format("Profile: {}\n", *s.profile);
  out += fmt::format("Uptime: {}\n", show::hms(s.uptime));
  out += fmt::format("Session status: {}\n", s.status);
  out += fmt::format("Peer: {} port {} fvrf: {} ivrf: {}\n", s.peer.address.to_string(),
                     s.peer.port, or_none(s.fvrf, "(none)"), or_none(s.ivrf, "(none)"));
  out += fmt::format("      Phase1_id: {}\n", s.phase1_id);
  out += fmt::format("      Desc: {}\n", or_none(s.description, "(none)"));
  for (const auto& ike : s.ike_sas) {
    out += fmt::format("  {} SA: local {} remote {} {}\n",
                       ike.version == IkeVersion::IKEv1 ? "IKEv1" : "IKEv2",
                       show::endpoint_slash(ike.local), show::endpoint_slash(ike.remote),
                       ike.active ? "Active" : "Inactive");
    out += fmt::format("          Capabilities:{} connid:{} lifetime:{}\n",
                       or_none(ike.capabilities, "(none)"), ike.conn_id,
                       show::hms(ike.lifetime_remaining));
  }
  for (const auto& f : s.flows) {
    out += fmt::format("  IPSEC FLOW: {}\n", f.acl_text);
    out += fmt::format("        Active SAs: {}, origin: {}\n", f.active_sas, f.origin);
    out += fmt::format("        Inbound:  #pkts dec'ed {} drop {} life (KB/Sec) {}/{}\n",
                       f.pkts_decrypted, f.decrypt_drops, f.inbound_kilobytes_left,
                       f.inbound_seconds_left.count());
    out += fmt::format("        Outbound: #pkts enc'ed {} drop {} life (KB/Sec) {}/{}\n",
                       f.pkts_encrypted, f.encrypt_drops, f.outbound_kilobytes_left,
                       f.outbound_seconds_left.count());
  }
}

}  // namespace

namespace {

// The words of one protection suite, as IOS prints them (12.4(20)T and later).
std::string suite_encryption(const policy::EncrSpec& e) {
  switch (e.id) {
    case EncrId::DES: return "DES - Data Encryption Standard (56 bit keys).";
    case EncrId::TRIPLE_DES: return "Three key triple DES";
    case EncrId::AES_CBC: return fmt::format("AES - Advanced Encryption Standard ({} bit keys).", e.key_bits);
    default: return "unknown";
  }
}
std::string suite_hash(PrfId h) {
  switch (h) {
    case PrfId::HMAC_MD5: return "Message Digest 5";
    case PrfId::HMAC_SHA1: return "Secure Hash Standard";
    case PrfId::HMAC_SHA2_256: return "Secure Hash Standard 2 (256 bit)";
    case PrfId::HMAC_SHA2_384: return "Secure Hash Standard 2 (384 bit)";
    case PrfId::HMAC_SHA2_512: return "Secure Hash Standard 2 (512 bit)";
  }
  return "unknown";
}
std::string suite_group(DhGroup g) {
  switch (g) {
    case DhGroup::MODP_768: return "#1 (768 bit)";
    case DhGroup::MODP_1024: return "#2 (1024 bit)";
    case DhGroup::MODP_1536: return "#5 (1536 bit)";
    case DhGroup::MODP_2048: return "#14 (2048 bit)";
    case DhGroup::MODP_3072: return "#15 (3072 bit)";
    case DhGroup::MODP_4096: return "#16 (4096 bit)";
    case DhGroup::ECP_256: return "#19 (256 bit)";
    case DhGroup::ECP_384: return "#20 (384 bit)";
    case DhGroup::ECP_521: return "#21 (521 bit)";
    default: return fmt::format("#{}", static_cast<unsigned>(g));
  }
}

std::string suites(const std::vector<policy::IsakmpProposal>& list, std::string_view title, std::string_view suite) {
  std::string out = fmt::format("{}\n", title);
  for (const auto& p : list) {
    out += fmt::format("{} of priority {}\n", suite, p.priority);
    out += fmt::format("\t{:<24}{}\n", "encryption algorithm:", suite_encryption(p.encr));
    out += fmt::format("\t{:<24}{}\n", "hash algorithm:", suite_hash(p.hash));
    out += fmt::format("\t{:<24}{}\n", "authentication method:",
                       p.pre_share ? "Pre-Shared Key" : "Rivest-Shamir-Adleman Signature");
    out += fmt::format("\t{:<24}{}\n", "Diffie-Hellman group:", suite_group(p.group));
    out += fmt::format("\t{:<24}{} seconds, no volume limit\n", "lifetime:", p.lifetime.count());
  }
  return out;
}

}  // namespace

std::string show_crypto_isakmp_policy(const std::vector<policy::IsakmpProposal>& policies) {
  bool defaults = !policies.empty() && policies.front().priority >= 65507;
  return suites(policies, defaults ? "Default IKE policy" : "Global IKE policy", "Protection suite");
}

std::string show_crypto_isakmp_default_policy(const std::vector<policy::IsakmpProposal>& defaults) {
  return suites(defaults, "Default IKE policy", "Default protection suite");
}

std::string esp_transform_name(const EspTransform& t) {
  // AEAD transforms have no separate integrity name on IOS ("esp-gcm 256").
  auto encr = esp_encr_name(t.encr, t.key_bits);
  return t.integ == IntegId::NONE ? encr
                                  : fmt::format("{} {}", encr, show::esp_hmac_name(t.integ));
}

std::string show_crypto_ikev2_sa(const std::vector<IkeSaView>& sas, bool detailed,
                                 const IosStyle& style) {
  std::string out = " IPv4 Crypto IKEv2  SA\n\n";
  append_ikev2_family(out, of_family(sas, IkeVersion::IKEv2, true), detailed, style);
  out += " IPv6 Crypto IKEv2  SA\n\n";
  append_ikev2_family(out, of_family(sas, IkeVersion::IKEv2, false), detailed, style);
  return show::trim_line_ends(out);
}

std::string show_crypto_isakmp_sa(const std::vector<IkeSaView>& sas, bool detail,
                                  const IosStyle& style) {
  std::string out;
  if (detail) {
    out += "Codes: C - IKE configuration mode, D - Dead Peer Detection\n"
           "       K - Keepalives, N - NAT-traversal\n"
           "       T - cTCP encapsulation, X - IKE Extended Authentication\n"
           "       psk - Preshared key, rsig - RSA signature\n"
           "       renc - RSA encryption\n";
  }
  out += detail ? "IPv4 Crypto ISAKMP SA\n\n" : "IPv4 Crypto ISAKMP SA\n";
  append_isakmp_family(out, of_family(sas, IkeVersion::IKEv1, true), detail, style);
  out += "IPv6 Crypto ISAKMP SA\n\n";
  append_isakmp_family(out, of_family(sas, IkeVersion::IKEv1, false), detail, style);
  return show::trim_line_ends(out);
}

std::string show_crypto_ipsec_sa(const std::vector<ChildSaView>& sas) {
  std::string out;
  const ChildSaView* previous = nullptr;
  for (const auto& c : sas) {
    bool new_interface = previous == nullptr || previous->interface_name != c.interface_name;
    if (previous != nullptr) out += "\n";
    if (new_interface) out += fmt::format("interface: {}\n", c.interface_name);
    if (new_interface || previous->crypto_map != c.crypto_map ||
        previous->local_endpoint.address != c.local_endpoint.address) {
      out += fmt::format("    Crypto map tag: {}, local addr {}\n\n", c.crypto_map,
                         c.local_endpoint.address.to_string());
    }
    append_flow(out, c);
    previous = &c;
  }
  return show::trim_line_ends(out);
}

std::string show_crypto_session_detail(const std::vector<SessionView>& sessions) {
  std::string out =
      "Crypto session current status\n\n"
      "Code: C - IKE Configuration mode, D - Dead Peer Detection\n"
      "K - Keepalives, N - NAT-traversal, T - cTCP encapsulation\n"
      "X - IKE Extended Authentication, F - IKE Fragmentation\n";
  for (const auto& s : sessions) {
    out += "\n";
    append_session(out, s);
  }
  return show::trim_line_ends(out + "\n");
}

}  // namespace ikegate::cli::ios
