// The view model of the `show crypto ...` and `show vpn-sessiondb` commands: plain values that
// the IKEv2/IKEv1 engines and the data plane fill, and that the ASA and IOS formatters
// (show_asa.h, show_ios.h) render. Nothing here is computed by the formatters: counters,
// lifetimes, identifiers and states are given, the formatters only choose the words and the
// columns of each personality. No key material has a field here, so none can be printed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/iana.h"
#include "common/ip.h"

namespace ikegate::cli {

using Seconds = std::chrono::seconds;

enum class IkeVersion : std::uint8_t { IKEv1, IKEv2 };
enum class IkeRole : std::uint8_t { Initiator, Responder };
enum class IpsecMode : std::uint8_t { Tunnel, Transport };
enum class AuthMethod : std::uint8_t { None, Psk, Rsa, Ecdsa, Eap };
// Where NAT-T saw a NAT (RFC 7296 2.23): "NAT-T is not detected" / "detected inside|outside".
enum class NatDetected : std::uint8_t { None, Inside, Outside };

// IKEv2 SA states as both personalities print them in the table's Status column.
enum class IkeSaStatus : std::uint8_t { Ready, InNeg, Delete, Deleted, Unknown };
// IKEv1 phase 1 states (RFC 2409 Main/Aggressive Mode, Quick Mode idle).
enum class IkeV1State : std::uint8_t {
  MmNoState, MmSaSetup, MmKeyExch, MmActive, AmActive, QmIdle, Deleted
};

// A traffic selector as `ident (addr/mask/prot/port)`; port 0 is "any". IPv6 prints prefixes.
struct IdentView {
  IpAddress address;
  int prefix_len = 32;  // /32 host, /24 is 255.255.255.0
  std::uint8_t protocol = 0;
  std::uint16_t port = 0;
};

// A selector range as IKEv2 negotiates it (RFC 7296 3.13.1), printed `a/p1 - b/p2`.
struct SelectorRange {
  IpAddress start;
  IpAddress end;
  std::uint16_t start_port = 0;
  std::uint16_t end_port = 65535;
};

// The ESP transform of a CHILD SA (or IKEv1 phase 2 SA).
struct EspTransform {
  EncrId encr = EncrId::AES_CBC;
  std::uint16_t key_bits = 128;        // 0 for fixed-size ciphers (DES, 3DES)
  IntegId integ = IntegId::HMAC_SHA1_96;  // NONE with AEAD
};

// One direction of an ESP SA: a line group under `inbound esp sas:` / `outbound esp sas:`.
struct EspSaView {
  std::uint32_t spi = 0;
  EspTransform transform;
  std::uint64_t conn_id = 0;                       // ASA conn_id / IOS conn id
  std::optional<std::string> flow_id;              // IOS "SW:7"
  std::optional<std::uint32_t> sibling_flags;      // IOS, hex
  unsigned slot = 0;                               // ASA
  std::uint64_t remaining_kilobytes = 0;           // sa timing (kB/sec)
  Seconds remaining_seconds{0};
  unsigned iv_size_bytes = 16;
  bool replay_detection = true;
  // ASA `Anti replay bitmap:` as the 32-bit words it prints, most significant first.
  std::vector<std::uint32_t> anti_replay_bitmap;
  std::string status = "ACTIVE";                   // IOS `Status: ACTIVE(ACTIVE)`
  std::optional<std::string> hw_status;            // the parenthesised part
};

// Packet counters of one SA pair, from the data plane.
struct IpsecCounters {
  std::uint64_t encaps = 0, encrypt = 0, digest = 0;
  std::uint64_t decaps = 0, decrypt = 0, verify = 0;
  std::uint64_t compressed = 0, decompressed = 0, not_compressed = 0;
  std::uint64_t comp_failed = 0, decomp_failed = 0, not_decompressed = 0;
  std::uint64_t prefrag_successes = 0, prefrag_failures = 0, fragments_created = 0;
  std::uint64_t pmtus_sent = 0, pmtus_rcvd = 0, decap_frags_needing_reassembly = 0;
  std::uint64_t send_errors = 0, recv_errors = 0, replay_failures = 0;
  std::uint64_t encrypt_drops = 0, decrypt_drops = 0;  // IOS session `drop`
};

// One CHILD SA (IKEv2) or phase 2 SA bundle (IKEv1) under a crypto map entry:
// a block of `show crypto ipsec sa`.
struct ChildSaView {
  std::string interface_name;     // ASA nameif ("outside") or IOS interface ("Ethernet0/0")
  std::string crypto_map;         // "outside_map"
  unsigned crypto_map_seq = 0;
  bool dynamic_map = false;
  // The crypto ACL line as the ASA prints it, without the `access-list` keyword's line number:
  // "access-list l2l_list extended permit ip host 192.168.1.1 host 192.168.2.99".
  std::string acl_line;
  std::string protected_vrf;      // IOS; empty prints "(none)"
  IdentView local_ident;
  IdentView remote_ident;
  Endpoint local_endpoint;        // crypto endpoints (port shown by the ASA and IOS peer line)
  Endpoint remote_endpoint;
  std::string ios_flags = "origin_is_acl,";  // IOS `PERMIT, flags={...}`
  IpsecCounters counters;
  unsigned path_mtu = 1500;
  unsigned media_mtu = 1500;       // ASA media mtu / IOS ip mtu
  unsigned ipsec_overhead = 0;     // ASA
  std::optional<unsigned> plaintext_mtu;  // IOS 15 prints it; older releases do not
  IpsecMode mode = IpsecMode::Tunnel;
  bool remote_access = false;      // ASA `in use settings ={RA, ...}` vs `{L2L, ...}`
  bool nat_t = false;              // ESP in UDP (RFC 3948)
  IkeVersion ike_version = IkeVersion::IKEv2;
  // PFS group of the CHILD SA; NONE is "PFS (Y/N): N". nullopt omits the line (older IOS).
  std::optional<DhGroup> pfs_group = DhGroup::NONE;
  Seconds lifetime_seconds{28800};     // configured
  std::uint64_t lifetime_kilobytes = 4608000;
  std::vector<EspSaView> inbound;  // more than one while a rekey overlaps
  std::vector<EspSaView> outbound;
  // The backend carrying the SAs ("userspace", "xfrm"); empty prints no line (the seeds).
  std::string dataplane;
};

// A CHILD SA as `show crypto ikev2 sa` lists it under its IKE SA.
struct IkeChildView {
  SelectorRange local_selector;
  SelectorRange remote_selector;
  std::uint32_t esp_spi_in = 0;
  std::uint32_t esp_spi_out = 0;
  std::uint32_t ah_spi_in = 0, ah_spi_out = 0;
  std::uint16_t cpi_in = 0, cpi_out = 0;
  EspTransform transform;
  IpsecMode mode = IpsecMode::Tunnel;
};

// One IKE SA (IKEv2, or an IKEv1 phase 1 SA).
struct IkeSaView {
  IkeVersion version = IkeVersion::IKEv2;
  std::uint64_t tunnel_id = 0;       // ASA Tunnel-id, IOS Tunnel-id / C-id / conn-id
  std::uint64_t session_id = 0;      // groups IKE SAs in ASA "Session-id:N"
  std::optional<std::uint64_t> ce_id;  // IOS "CE id"
  Endpoint local;
  Endpoint remote;
  std::string fvrf;                  // IOS; empty prints "none"
  std::string ivrf;
  IkeSaStatus status = IkeSaStatus::Ready;
  std::string status_description = "Negotiation done";
  IkeRole role = IkeRole::Initiator;
  EncrId encr = EncrId::AES_CBC;
  std::uint16_t key_bits = 128;
  IntegId integ = IntegId::HMAC_SHA1_96;
  PrfId prf = PrfId::HMAC_SHA1;
  DhGroup dh_group = DhGroup::MODP_1024;
  AuthMethod auth_sign = AuthMethod::Psk;    // how we authenticate
  AuthMethod auth_verify = AuthMethod::Psk;  // how the peer authenticated
  Seconds lifetime{86400};
  Seconds active_time{0};
  std::uint64_t local_spi = 0;
  std::uint64_t remote_spi = 0;
  std::string local_id;              // "10.0.0.1", "hostname=ASA-IKEV2"
  std::string remote_id;
  // RFC 7296 2.3 message-ID windows.
  std::uint32_t local_req_msg_id = 0, remote_req_msg_id = 0;
  std::uint32_t local_next_msg_id = 0, remote_next_msg_id = 0;
  std::uint32_t local_req_queued = 0, remote_req_queued = 0;
  std::uint32_t local_window = 1, remote_window = 1;
  Seconds dpd_interval{10};          // 0: not configured
  unsigned dpd_retry = 2;
  NatDetected nat = NatDetected::None;
  bool fragmentation_configured = false;   // RFC 7383, IOS "Fragmentation not configured."
  bool extended_auth_configured = false;
  std::optional<IpAddress> assigned_address;  // remote access: "Assigned host addr"
  std::vector<IkeChildView> children;
  // IKEv1 (RFC 2409) specifics.
  IkeV1State v1_state = IkeV1State::MmActive;
  bool l2l = true;                   // ASA "Type : L2L" (else "user")
  bool rekey = false;                // ASA "Rekey : no"
  Seconds lifetime_remaining{0};     // ASA IKEv1 detail, IOS Lifetime column
  std::string engine_conn = "SW:1";  // IOS "Engine-id:Conn-id"
  unsigned slot = 0;                 // old IOS isakmp table
  std::string capabilities;          // IOS "Cap." column / "Capabilities:(none)"
};

// One IPSEC FLOW of `show crypto session detail`.
struct SessionFlowView {
  std::string acl_text;              // "permit ip 192.168.1.0/255.255.255.0 192.168.2.0/255.255.255.0"
  unsigned active_sas = 0;
  std::string origin = "crypto map";
  std::uint64_t pkts_decrypted = 0, decrypt_drops = 0;
  std::uint64_t pkts_encrypted = 0, encrypt_drops = 0;
  std::uint64_t inbound_kilobytes_left = 0, outbound_kilobytes_left = 0;
  Seconds inbound_seconds_left{0}, outbound_seconds_left{0};
};

// One IKE SA line pair of `show crypto session detail`.
struct SessionIkeView {
  IkeVersion version = IkeVersion::IKEv2;
  Endpoint local;
  Endpoint remote;
  bool active = true;
  std::string capabilities;          // empty prints "(none)"
  std::uint64_t conn_id = 0;
  Seconds lifetime_remaining{0};
};

// IOS `show crypto session detail`: one session per peer.
struct SessionView {
  std::string interface_name;
  std::optional<std::string> profile;  // IKEv2/ISAKMP profile name
  Seconds uptime{0};
  std::string status = "UP-ACTIVE";
  Endpoint peer;
  std::string fvrf;                  // empty prints "(none)"
  std::string ivrf;
  std::string phase1_id;
  std::string description;           // empty prints "(none)"
  std::vector<SessionIkeView> ike_sas;
  std::vector<SessionFlowView> flows;
};

// ASA `show vpn-sessiondb detail anyconnect`: one user session and its tunnels.
struct VpnSessionView {
  std::string username;
  std::uint64_t index = 0;
  IpAddress assigned_ip;
  IpAddress public_ip;
  std::string protocol = "IKEv2 IPsecOverNatT AnyConnect-Parent";
  std::string license = "AnyConnect Premium";
  std::string encryption;            // session summary, e.g. "AES192 AES256"
  std::string hashing;               // "none SHA1 SHA1"
  std::uint64_t bytes_tx = 0, bytes_rx = 0, pkts_tx = 0, pkts_rx = 0;
  std::uint64_t pkts_tx_drop = 0, pkts_rx_drop = 0;
  std::string group_policy;
  std::string tunnel_group;
  std::string login_time;            // wall-clock text as the box prints it
  Seconds duration{0};
  Seconds inactivity{0};
  std::string nac_result = "Unknown";
  std::string vlan_mapping = "N/A";
  std::string vlan = "none";

  struct Parent {  // AnyConnect-Parent tunnel
    std::string tunnel_id;           // "2.1"
    std::string encryption = "none";
    std::string auth_mode = "userPassword";
    std::chrono::minutes idle_timeout{30}, idle_left{30};
    std::string client_type = "AnyConnect";
    std::string client_version;
  };
  struct Ikev2 {
    std::string tunnel_id;
    std::uint16_t udp_src_port = 0, udp_dst_port = 0;
    std::string rem_auth_mode = "userPassword";
    std::string loc_auth_mode = "rsaCertificate";
    EncrId encr = EncrId::AES_CBC;
    std::uint16_t key_bits = 128;
    IntegId integ = IntegId::HMAC_SHA1_96;
    PrfId prf = PrfId::HMAC_SHA1;
    DhGroup dh_group = DhGroup::MODP_1024;
    Seconds rekey_interval{86400}, rekey_left{86400};
    std::string filter_name;
    std::string client_os;
  };
  struct Ipsec {  // IPsec or IPsecOverNatT
    std::string tunnel_id;
    IdentView local_addr;
    IdentView remote_addr;
    EncrId encr = EncrId::AES_CBC;
    std::uint16_t key_bits = 128;
    IntegId integ = IntegId::HMAC_SHA1_96;
    IpsecMode mode = IpsecMode::Tunnel;
    Seconds rekey_interval{28800}, rekey_left{28800};
    std::uint64_t rekey_kilobytes = 4608000, rekey_kilobytes_left = 4608000;
    std::chrono::minutes idle_timeout{30}, idle_left{30};
    std::uint64_t bytes_tx = 0, bytes_rx = 0, pkts_tx = 0, pkts_rx = 0;
  };
  std::optional<Parent> parent;
  std::optional<Ikev2> ikev2;
  std::optional<Ipsec> ipsec;
  bool nat_t = true;                 // the IPsec tunnel's name: IPsecOverNatT or IPsec
  Seconds eou_age{0};
};

}  // namespace ikegate::cli
