#include "cli/show_asa.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "cli/show_common.h"

namespace ikegate::cli::asa {
namespace {

using show::two_columns;

// ASA ESP transform names, one table: "esp-aes-256", "esp-aes-gcm-192", "esp-sha-hmac".
std::string esp_encr_name(EncrId encr, std::uint16_t key_bits) {
  auto aes = [key_bits](std::string_view base) {
    return key_bits == 128 || key_bits == 0 ? std::string{base}
                                            : fmt::format("{}-{}", base, key_bits);
  };
  switch (encr) {
    case EncrId::DES_IV64:
    case EncrId::DES: return "esp-des";
    case EncrId::TRIPLE_DES: return "esp-3des";
    case EncrId::NULL_ENCR: return "esp-null";
    case EncrId::AES_CBC: return aes("esp-aes");
    case EncrId::AES_CTR: return aes("esp-aes-ctr");
    case EncrId::AES_GCM_8:
    case EncrId::AES_GCM_12:
    case EncrId::AES_GCM_16: return aes("esp-aes-gcm");
  }
  return "esp-unknown";
}

// IKEv1 detail words ("Encrypt : aes-256", "Hash    : SHA", "Auth    : preshared").
std::string v1_encr_name(EncrId encr, std::uint16_t key_bits) {
  switch (encr) {
    case EncrId::DES_IV64:
    case EncrId::DES: return "des";
    case EncrId::TRIPLE_DES: return "3des";
    case EncrId::AES_CBC: return key_bits == 128 ? "aes" : fmt::format("aes-{}", key_bits);
    default: return "unknown";
  }
}

std::string_view v1_hash_name(IntegId integ) {
  switch (integ) {
    case IntegId::HMAC_MD5_96: return "MD5";
    case IntegId::HMAC_SHA1_96: return "SHA";
    case IntegId::HMAC_SHA2_256_128: return "SHA256";
    case IntegId::HMAC_SHA2_384_192: return "SHA384";
    case IntegId::HMAC_SHA2_512_256: return "SHA512";
    default: return "none";
  }
}

std::string_view v1_auth_name(AuthMethod auth) {
  switch (auth) {
    case AuthMethod::Psk: return "preshared";
    case AuthMethod::Rsa: return "rsa-sig";
    case AuthMethod::Ecdsa: return "ecdsa-sig";
    default: return "none";
  }
}

// VPN session database words ("AES256", "SHA1").
std::string vpn_encr_name(EncrId encr, std::uint16_t key_bits) {
  switch (encr) {
    case EncrId::DES_IV64:
    case EncrId::DES: return "DES";
    case EncrId::TRIPLE_DES: return "3DES";
    case EncrId::NULL_ENCR: return "none";
    case EncrId::AES_CBC: return fmt::format("AES{}", key_bits);
    case EncrId::AES_CTR: return fmt::format("AES-CTR-{}", key_bits);
    default: return fmt::format("AES-GCM-{}", key_bits);
  }
}

std::string_view vpn_hash_name(IntegId integ) {
  switch (integ) {
    case IntegId::NONE: return "none";
    case IntegId::HMAC_MD5_96: return "MD5";
    case IntegId::HMAC_SHA1_96: return "SHA1";
    case IntegId::HMAC_SHA2_256_128: return "SHA256";
    case IntegId::HMAC_SHA2_384_192: return "SHA384";
    case IntegId::HMAC_SHA2_512_256: return "SHA512";
  }
  return "none";
}

// The SA table: right-aligned columns, widened together when an endpoint (IPv6) is longer.
struct TableWidths {
  std::size_t id = 10, local = 20, remote = 20;
};

TableWidths widths_for(const std::vector<const IkeSaView*>& sas) {
  TableWidths w;
  for (const auto* sa : sas) {
    w.id = std::max(w.id, fmt::format("{}", sa->tunnel_id).size());
    w.local = std::max(w.local, show::endpoint_slash(sa->local).size());
    w.remote = std::max(w.remote, show::endpoint_slash(sa->remote).size());
  }
  return w;
}

void append_ikev2_sa(std::string& out, const IkeSaView& sa, const TableWidths& w, bool detail) {
  constexpr std::size_t kCol = 34;  // where "Remote ..." starts in the detail lines
  out += fmt::format("{:>{}} {:>{}} {:>{}} {:>8} {:>11}\n", sa.tunnel_id, w.id,
                     show::endpoint_slash(sa.local), w.local, show::endpoint_slash(sa.remote),
                     w.remote, show::ike_status_name(sa.status), show::role_name(sa.role));
  out += fmt::format("      {}\n", show::ike_algorithms_line(sa, false));
  out += fmt::format("      Life/Active Time: {}/{} sec\n", sa.lifetime.count(),
                     sa.active_time.count());
  if (detail) {
    auto pair = [&](std::string left, std::string right) {
      out += "      " + two_columns(left, right, kCol) + "\n";
    };
    out += fmt::format("      Session-id: {}\n", sa.session_id);
    out += fmt::format("      Status Description: {}\n", sa.status_description);
    pair(fmt::format("Local spi: {:016X}", sa.local_spi),
         fmt::format("Remote spi: {:016X}", sa.remote_spi));
    out += fmt::format("      Local id: {}\n", sa.local_id);
    out += fmt::format("      Remote id: {}\n", sa.remote_id);
    pair(fmt::format("Local req mess id: {}", sa.local_req_msg_id),
         fmt::format("Remote req mess id: {}", sa.remote_req_msg_id));
    pair(fmt::format("Local next mess id: {}", sa.local_next_msg_id),
         fmt::format("Remote next mess id: {}", sa.remote_next_msg_id));
    pair(fmt::format("Local req queued: {}", sa.local_req_queued),
         fmt::format("Remote req queued: {}", sa.remote_req_queued));
    pair(fmt::format("Local window: {}", sa.local_window),
         fmt::format("Remote window: {}", sa.remote_window));
    out += fmt::format("      DPD configured for {} seconds, retry {}\n", sa.dpd_interval.count(),
                       sa.dpd_retry);
    out += fmt::format("      {}\n", show::nat_text(sa.nat));
    if (sa.assigned_address) {
      out += fmt::format("      Assigned host addr: {}\n", sa.assigned_address->to_string());
    }
  }
  for (const auto& c : sa.children) {
    out += fmt::format("Child sa: local selector  {}\n", show::selector_text(c.local_selector));
    out += fmt::format("          remote selector {}\n", show::selector_text(c.remote_selector));
    out += fmt::format("          ESP spi in/out: {:#x}/{:#x}\n", c.esp_spi_in, c.esp_spi_out);
    if (detail) {
      out += fmt::format("          AH spi in/out: {:#x}/{:#x}\n", c.ah_spi_in, c.ah_spi_out);
      out += fmt::format("          CPI in/out: {:#x}/{:#x}\n", c.cpi_in, c.cpi_out);
      out += fmt::format("          Encr: {}, esp_hmac: {}\n",
                         show::ike_encr_text(c.transform.encr, c.transform.key_bits),
                         show::ike_hash_name(c.transform.integ));
      out += fmt::format("          ah_hmac: None, comp: IPCOMP_NONE, mode {}\n",
                         c.mode == IpsecMode::Tunnel ? "tunnel" : "transport");
    }
  }
}

std::string ikev2_body(const std::vector<const IkeSaView*>& sas, bool detail) {
  if (sas.empty()) return "There are no IKEv2 SAs\n";
  std::string out = "IKEv2 SAs:\n";
  auto w = widths_for(sas);
  std::vector<std::uint64_t> sessions;
  for (const auto* sa : sas) {
    if (std::find(sessions.begin(), sessions.end(), sa->session_id) == sessions.end()) {
      sessions.push_back(sa->session_id);
    }
  }
  for (auto id : sessions) {
    std::vector<const IkeSaView*> group;
    std::copy_if(sas.begin(), sas.end(), std::back_inserter(group),
                 [id](const IkeSaView* sa) { return sa->session_id == id; });
    std::size_t children = 0;
    bool up = false;
    for (const auto* sa : group) {
      children += sa->children.size();
      up = up || sa->status == IkeSaStatus::Ready;
    }
    out += fmt::format("\nSession-id:{}, Status:{}, IKE count:{}, CHILD count:{}\n\n", id,
                       up ? "UP-ACTIVE" : "DOWN-NEGOTIATING", group.size(), children);
    out += fmt::format("{:>{}} {:>{}} {:>{}} {:>8} {:>11}\n", "Tunnel-id", w.id, "Local",
                       w.local, "Remote", w.remote, "Status", "Role");
    for (const auto* sa : group) append_ikev2_sa(out, *sa, w, detail);
  }
  return out;
}

std::vector<const IkeSaView*> of_version(const std::vector<IkeSaView>& sas, IkeVersion v) {
  std::vector<const IkeSaView*> out;
  for (const auto& sa : sas) {
    if (sa.version == v) out.push_back(&sa);
  }
  return out;
}

std::string ikev1_body(const std::vector<const IkeSaView*>& sas, bool detail) {
  if (sas.empty()) return "There are no IKEv1 SAs\n";
  auto rekeying = static_cast<std::size_t>(
      std::count_if(sas.begin(), sas.end(), [](const IkeSaView* sa) { return sa->rekey; }));
  std::string out = "IKEv1 SAs:\n\n";
  out += fmt::format("   Active SA: {}\n", sas.size() - rekeying);
  out += fmt::format("    Rekey SA: {} (A tunnel will report 1 Active and 1 Rekey SA during "
                     "rekey)\n",
                     rekeying);
  out += fmt::format("Total IKE SA: {}\n", sas.size());
  std::size_t n = 0;
  for (const auto* sa : sas) {
    auto pair = [&](std::string_view l1, std::string_view v1, std::string_view l2,
                    std::string_view v2) {
      out += "    " +
             two_columns(fmt::format("{:<8}: {}", l1, v1), fmt::format("{:<8}: {}", l2, v2), 26) +
             "\n";
    };
    out += fmt::format("\n{:<4}IKE Peer: {}\n", ++n, sa->remote.address.to_string());
    pair("Type", sa->l2l ? "L2L" : "user", "Role",
         sa->role == IkeRole::Initiator ? "initiator" : "responder");
    pair("Rekey", sa->rekey ? "yes" : "no", "State", show::v1_state_name(sa->v1_state));
    if (detail) {
      pair("Encrypt", v1_encr_name(sa->encr, sa->key_bits), "Hash", v1_hash_name(sa->integ));
      pair("Auth", v1_auth_name(sa->auth_sign), "Lifetime",
           fmt::format("{}", sa->lifetime.count()));
      out += fmt::format("    Lifetime Remaining: {}\n", sa->lifetime_remaining.count());
    }
  }
  return out;
}

void append_child_sa(std::string& out, const ChildSaView& c) {
  const auto& k = c.counters;
  out += fmt::format("    Crypto map tag: {}, seq num: {}, local addr: {}\n\n", c.crypto_map,
                     c.crypto_map_seq, c.local_endpoint.address.to_string());
  if (!c.acl_line.empty()) out += fmt::format("      {}\n", c.acl_line);
  out += fmt::format("      local ident (addr/mask/prot/port): {}\n",
                     show::ident_text(c.local_ident));
  out += fmt::format("      remote ident (addr/mask/prot/port): {}\n",
                     show::ident_text(c.remote_ident));
  out += fmt::format("      current_peer: {}\n\n", c.remote_endpoint.address.to_string());
  out += fmt::format("      #pkts encaps: {}, #pkts encrypt: {}, #pkts digest: {}\n", k.encaps,
                     k.encrypt, k.digest);
  out += fmt::format("      #pkts decaps: {}, #pkts decrypt: {}, #pkts verify: {}\n", k.decaps,
                     k.decrypt, k.verify);
  out += fmt::format("      #pkts compressed: {}, #pkts decompressed: {}\n", k.compressed,
                     k.decompressed);
  out += fmt::format("      #pkts not compressed: {}, #pkts comp failed: {}, "
                     "#pkts decomp failed: {}\n",
                     k.not_compressed, k.comp_failed, k.decomp_failed);
  out += fmt::format("      #pre-frag successes: {}, #pre-frag failures: {}, "
                     "#fragments created: {}\n",
                     k.prefrag_successes, k.prefrag_failures, k.fragments_created);
  out += fmt::format("      #PMTUs sent: {}, #PMTUs rcvd: {}, "
                     "#decapsulated frgs needing reassembly: {}\n",
                     k.pmtus_sent, k.pmtus_rcvd, k.decap_frags_needing_reassembly);
  out += fmt::format("      #send errors: {}, #recv errors: {}\n\n", k.send_errors,
                     k.recv_errors);
  out += fmt::format("      local crypto endpt.: {}, remote crypto endpt.: {}\n",
                     show::endpoint_slash(c.local_endpoint),
                     show::endpoint_slash(c.remote_endpoint));
  out += fmt::format("      path mtu {}, ipsec overhead {}, media mtu {}\n", c.path_mtu,
                     c.ipsec_overhead, c.media_mtu);
  // The newest SA of each direction is the current one.
  out += fmt::format("      current outbound spi: {:08X}\n",
                     c.outbound.empty() ? 0u : c.outbound.back().spi);
  out += fmt::format("      current inbound spi : {:08X}\n\n",
                     c.inbound.empty() ? 0u : c.inbound.back().spi);

  std::string settings = fmt::format("{}{}, {}", c.remote_access ? "RA" : "L2L",
                                     c.mode == IpsecMode::Tunnel ? ", Tunnel" : ", Transport",
                                     c.nat_t ? "NAT-T-Encaps, " : "");
  auto direction = [&](std::string_view name, const std::vector<EspSaView>& sas) {
    out += fmt::format("    {} esp sas:\n", name);
    for (const auto& e : sas) {
      out += fmt::format("      spi: 0x{:08X} ({})\n", e.spi, e.spi);
      out += fmt::format("         transform: {} no compression\n",
                         esp_transform_name(e.transform));
      out += fmt::format("         in use settings ={{{}}}\n", settings);
      out += fmt::format("         slot: {}, conn_id: {}, crypto-map: {}\n", e.slot, e.conn_id,
                         c.crypto_map);
      if (!c.dataplane.empty()) out += fmt::format("         data plane: {}\n", c.dataplane);
      out += fmt::format("         sa timing: remaining key lifetime (kB/sec): ({}/{})\n",
                         e.remaining_kilobytes, e.remaining_seconds.count());
      out += fmt::format("         IV size: {} bytes\n", e.iv_size_bytes);
      out += fmt::format("         replay detection support: {}\n",
                         e.replay_detection ? 'Y' : 'N');
      if (!e.anti_replay_bitmap.empty()) {
        out += "         Anti replay bitmap:\n         ";
        for (auto word : e.anti_replay_bitmap) out += fmt::format(" 0x{:08X}", word);
        out += "\n";
      }
    }
  };
  direction("inbound", c.inbound);
  direction("outbound", c.outbound);
}

// "Label        : value" pairs of the session database, in two columns.
std::string kv(std::string_view indent, std::string_view label, std::string_view value) {
  return fmt::format("{}{:<13}: {}\n", indent, label, value);
}
std::string kv2(std::string_view indent, std::string_view l1, std::string_view v1,
                std::string_view l2, std::string_view v2) {
  return fmt::format("{}{:<13}: {:<23}{:<13}: {}\n", indent, l1, v1, l2, v2);
}

std::string duration_text(Seconds s) {
  auto t = std::max<Seconds::rep>(s.count(), 0);
  return fmt::format("{}h:{:02}m:{:02}s", t / 3600, (t / 60) % 60, t % 60);
}

std::string num(std::uint64_t v) { return fmt::format("{}", v); }

void append_vpn_session(std::string& out, const VpnSessionView& s) {
  out += kv2("", "Username", s.username, "Index", num(s.index));
  out += kv2("", "Assigned IP", s.assigned_ip.to_string(), "Public IP", s.public_ip.to_string());
  out += kv("", "Protocol", s.protocol);
  out += kv("", "License", s.license);
  out += kv2("", "Encryption", s.encryption, "Hashing", s.hashing);
  out += kv2("", "Bytes Tx", num(s.bytes_tx), "Bytes Rx", num(s.bytes_rx));
  out += kv2("", "Pkts Tx", num(s.pkts_tx), "Pkts Rx", num(s.pkts_rx));
  out += kv2("", "Pkts Tx Drop", num(s.pkts_tx_drop), "Pkts Rx Drop", num(s.pkts_rx_drop));
  out += kv2("", "Group Policy", s.group_policy, "Tunnel Group", s.tunnel_group);
  out += kv("", "Login Time", s.login_time);
  out += kv("", "Duration", duration_text(s.duration));
  out += kv("", "Inactivity", duration_text(s.inactivity));
  out += kv("", "NAC Result", s.nac_result);
  out += kv2("", "VLAN Mapping", s.vlan_mapping, "VLAN", s.vlan);

  const std::string_view ipsec_name = s.nat_t ? "IPsecOverNatT" : "IPsec";
  out += "\n";
  if (s.ikev2) out += "IKEv2 Tunnels: 1\n";
  if (s.ipsec) out += fmt::format("{} Tunnels: 1\n", ipsec_name);
  if (s.parent) out += "AnyConnect-Parent Tunnels: 1\n";

  constexpr std::string_view in = "  ";
  auto minutes = [](std::chrono::minutes m) { return fmt::format("{} Minutes", m.count()); };
  auto secs = [](Seconds t) { return fmt::format("{} Seconds", t.count()); };
  if (s.parent) {
    const auto& p = *s.parent;
    out += "\nAnyConnect-Parent:\n";
    out += kv(in, "Tunnel ID", p.tunnel_id);
    out += kv(in, "Public IP", s.public_ip.to_string());
    out += kv2(in, "Encryption", p.encryption, "Auth Mode", p.auth_mode);
    out += kv2(in, "Idle Time Out", minutes(p.idle_timeout), "Idle TO Left", minutes(p.idle_left));
    out += kv(in, "Client Type", p.client_type);
    out += kv(in, "Client Ver", p.client_version);
  }
  if (s.ikev2) {
    const auto& t = *s.ikev2;
    out += "\nIKEv2:\n";
    out += kv(in, "Tunnel ID", t.tunnel_id);
    out += kv2(in, "UDP Src Port", num(t.udp_src_port), "UDP Dst Port", num(t.udp_dst_port));
    out += kv(in, "Rem Auth Mode", t.rem_auth_mode);
    out += kv(in, "Loc Auth Mode", t.loc_auth_mode);
    out += kv2(in, "Encryption", vpn_encr_name(t.encr, t.key_bits), "Hashing",
               vpn_hash_name(t.integ));
    out += kv2(in, "Rekey Int (T)", secs(t.rekey_interval), "Rekey Left(T)", secs(t.rekey_left));
    out += kv2(in, "PRF", show::prf_name(t.prf), "D/H Group",
               num(static_cast<unsigned>(t.dh_group)));
    out += kv(in, "Filter Name", t.filter_name);
    out += kv(in, "Client OS", t.client_os);
  }
  if (s.ipsec) {
    const auto& t = *s.ipsec;
    auto addr = [](const IdentView& id) {
      return fmt::format("{}/{}/{}", show::addr_mask_text(id.address, id.prefix_len), id.protocol,
                         id.port);
    };
    auto kbytes = [](std::uint64_t k) { return fmt::format("{} K-Bytes", k); };
    out += fmt::format("\n{}:\n", ipsec_name);
    out += kv(in, "Tunnel ID", t.tunnel_id);
    out += kv(in, "Local Addr", addr(t.local_addr));
    out += kv(in, "Remote Addr", addr(t.remote_addr));
    out += kv2(in, "Encryption", vpn_encr_name(t.encr, t.key_bits), "Hashing",
               vpn_hash_name(t.integ));
    out += kv(in, "Encapsulation", t.mode == IpsecMode::Tunnel ? "Tunnel" : "Transport");
    out += kv2(in, "Rekey Int (T)", secs(t.rekey_interval), "Rekey Left(T)", secs(t.rekey_left));
    out += kv2(in, "Rekey Int (D)", kbytes(t.rekey_kilobytes), "Rekey Left(D)",
               kbytes(t.rekey_kilobytes_left));
    out += kv2(in, "Idle Time Out", minutes(t.idle_timeout), "Idle TO Left", minutes(t.idle_left));
    out += kv2(in, "Bytes Tx", num(t.bytes_tx), "Bytes Rx", num(t.bytes_rx));
    out += kv2(in, "Pkts Tx", num(t.pkts_tx), "Pkts Rx", num(t.pkts_rx));
  }
  out += "\nNAC:\n";
  out += kv2(in, "Reval Int (T)", secs(Seconds{0}), "Reval Left(T)", secs(Seconds{0}));
  out += kv2(in, "SQ Int (T)", secs(Seconds{0}), "EoU Age(T)", secs(s.eou_age));
  out += kv2(in, "Hold Left (T)", secs(Seconds{0}), "Posture Token", "");
  out += kv(in, "Redirect URL", "");
}

}  // namespace

std::string esp_transform_name(const EspTransform& t) {
  return fmt::format("{} {}", esp_encr_name(t.encr, t.key_bits), show::esp_hmac_name(t.integ));
}

std::string show_crypto_ikev2_sa(const std::vector<IkeSaView>& sas, bool detail) {
  return show::trim_line_ends(ikev2_body(of_version(sas, IkeVersion::IKEv2), detail));
}

std::string show_crypto_isakmp_sa(const std::vector<IkeSaView>& sas, bool detail) {
  return show::trim_line_ends(ikev1_body(of_version(sas, IkeVersion::IKEv1), detail) + "\n" +
                              ikev2_body(of_version(sas, IkeVersion::IKEv2), detail));
}

std::string show_crypto_ipsec_sa(const std::vector<ChildSaView>& sas) {
  if (sas.empty()) return "There are no ipsec sas\n";
  std::string out;
  const std::string* interface = nullptr;
  for (const auto& c : sas) {
    if (interface == nullptr || *interface != c.interface_name) {
      out += fmt::format("interface: {}\n", c.interface_name);
      interface = &c.interface_name;
    } else {
      out += "\n";
    }
    append_child_sa(out, c);
  }
  return show::trim_line_ends(out);
}

std::string show_vpn_sessiondb_detail_anyconnect(const std::vector<VpnSessionView>& sessions) {
  if (sessions.empty()) return "INFO: There are presently no active sessions\n";
  std::string out = "\nSession Type: AnyConnect Detailed\n\n";
  bool first = true;
  for (const auto& s : sessions) {
    if (!first) out += "\n";
    first = false;
    append_vpn_session(out, s);
  }
  return show::trim_line_ends(out);
}

}  // namespace ikegate::cli::asa
