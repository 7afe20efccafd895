// What the IKE engines need from the configuration, resolved and validated: IKE proposals in
// priority order, crypto map entries with their ACL selectors and ESP proposals, and peer
// authentication. Built from a config::Model by policy/from_model; engines never see the
// Cisco syntax.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/iana.h"
#include "common/ip.h"
#include "common/secret.h"
#include "common/selector.h"

namespace ikegate::policy {

enum class Personality : std::uint8_t { Asa, Ios };

struct EncrSpec {
  EncrId id = EncrId::AES_CBC;
  std::uint16_t key_bits = 128;  // 0 for fixed-size ciphers (3DES)
  friend bool operator==(const EncrSpec&, const EncrSpec&) = default;
};

// `crypto ikev2 policy N` (ASA) or `crypto ikev2 proposal` referenced by a policy (IOS).
struct IkeProposal {
  std::uint32_t priority = 1;
  std::string name;  // IOS proposal name; ASA: the policy number as text
  std::vector<EncrSpec> encrs;
  std::vector<IntegId> integs;  // empty for AEAD-only proposals
  std::vector<PrfId> prfs;
  std::vector<DhGroup> groups;
  std::chrono::seconds lifetime{86400};
};

// `crypto isakmp policy N` (ASA also `crypto ikev1 policy N`; IOS), IKEv1 phase 1. Only
// pre-shared-key policies can be negotiated; the others are kept so that matching can say why.
struct IsakmpProposal {
  std::uint32_t priority = 65535;
  bool pre_share = true;
  EncrSpec encr{EncrId::TRIPLE_DES, 0};
  PrfId hash = PrfId::HMAC_SHA1;  // the hash; IKEv1's PRF is its HMAC (RFC 2409 4)
  DhGroup group = DhGroup::MODP_1024;
  std::chrono::seconds lifetime{86400};
};

// `crypto ipsec ikev2 ipsec-proposal` (ASA) or `crypto ipsec transform-set` (IOS).
struct EspProposal {
  std::string name;
  std::vector<EncrSpec> encrs;
  std::vector<IntegId> integs;
  bool transport_mode = false;
};

// One traffic selector, as seen for OUTBOUND traffic (src = our protected side).
using Selector = TrafficSelector;

// One `permit` line of a crypto ACL; `text` is how the platform prints it.
struct AclEntry {
  std::string text;
  Selector selector;
  bool permit = true;
};

// One `crypto map NAME SEQ` entry (or a dynamic-map entry it references).
struct CryptoMapEntry {
  std::string map;
  std::uint32_t seq = 0;
  std::string acl_name;
  std::vector<AclEntry> acl;
  std::vector<IpAddress> peers;  // empty for dynamic entries
  std::vector<EspProposal> proposals;
  std::optional<DhGroup> pfs;
  std::chrono::seconds lifetime{28800};
  std::uint64_t lifetime_kilobytes = 4608000;
  bool dynamic = false;
  std::string interface;  // Cisco nameif / interface name
  IpAddress local_address;
  std::string ikev2_profile;  // IOS `set ikev2-profile`
  bool ikev1 = false;         // ASA: `set ikev1 transform-set`; IOS: no ikev2-profile
  // ASA `set ikev1 phase1-mode aggressive [groupN]`: phase 1 to this entry's peer is initiated
  // in Aggressive Mode (RFC 2409 5.4), offering `aggressive_group` (else the first policy's).
  bool aggressive = false;
  std::optional<DhGroup> aggressive_group;
};

// Pre-shared keys for a peer (tunnel-group on ASA, keyring peer on IOS). Secrets stay in
// SecretBytes and are never printed.
struct PeerAuth {
  std::string name;  // tunnel-group name or keyring peer name
  IpAddress address;
  int prefix = 32;  // IOS `address A M` and wildcard `0.0.0.0 0.0.0.0` (prefix 0)
  std::optional<std::string> identity;  // IOS `hostname`/`identity`; ASA uses the address
  SecretBytes local_psk;
  SecretBytes remote_psk;
  bool local_psk_masked = false;  // the config had `*****`: this peer cannot authenticate
  bool remote_psk_masked = false;
  std::string group_type = "L2L";
};

struct Dpd {
  std::chrono::seconds interval{10};
  std::chrono::seconds retry{2};
};

struct Policy {
  Personality personality = Personality::Asa;
  std::string hostname;
  std::vector<IkeProposal> ike_proposals;  // sorted by priority
  std::vector<IsakmpProposal> isakmp_proposals;  // sorted by priority (ASA: 65535 default last)
  std::vector<CryptoMapEntry> map_entries;  // sorted by map, seq
  std::vector<PeerAuth> peers;
  Dpd dpd;
  std::vector<IpAddress> ikev2_addresses;  // addresses with `crypto ikev2 enable`
  std::vector<IpAddress> ikev1_addresses;
  // RFC 7383: the largest IP packet an IKEv2 message or fragment may fill; 0 = fragmentation off.
  std::size_t ikev2_fragment_mtu = 0;

  const PeerAuth* find_peer(const IpAddress& addr) const;
  const CryptoMapEntry* find_entry(const std::string& map, std::uint32_t seq) const;
};

bool selector_contains(const Selector& outer, const Selector& inner);
// The overlap of two selectors, or nullopt if they are disjoint (RFC 7296 2.9 narrowing).
std::optional<Selector> selector_intersect(const Selector& a, const Selector& b);
Selector selector_reversed(const Selector& s);

}  // namespace ikegate::policy
