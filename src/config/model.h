// The validated configuration model: what an ASA or IOS configuration says, in one shape for
// both dialects. Values are typed (addresses, IANA algorithm IDs); names that refer to other
// objects are kept as names (Ref) and checked by validate(). Commands ikegate does not act on
// are kept verbatim (RawCommand) so that a pasted `show running-config` prints back whole.
//
// Equality compares what the configuration says, never where it said it: Loc always compares
// equal, so `parse(print(m)) == m.redacted()` is the round-trip property the tests check.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.h"
#include "common/secret.h"
#include "config/algorithms.h"

namespace ikegate::config {

enum class Dialect : std::uint8_t { Asa, Ios };

// Where something was configured (1-based line). Not part of equality.
struct Loc {
  int line = 0;
  friend bool operator==(const Loc&, const Loc&) { return true; }
};

// A name that refers to another object ("match address l2l_list").
struct Ref {
  std::string name;
  Loc loc;
  friend bool operator==(const Ref&, const Ref&) = default;
};

// A command kept as written (words joined by single spaces) with its sub-commands.
struct RawCommand {
  Loc loc;
  std::string text;
  std::vector<RawCommand> children;
  friend bool operator==(const RawCommand&, const RawCommand&) = default;
};

// A pre-shared key or password. A device prints keys as `*****`; such a key loads as Masked
// and cannot authenticate anything until a real key is configured.
struct ConfigSecret {
  enum class State : std::uint8_t { Unset, Clear, Masked, Encrypted };
  State state = State::Unset;
  SecretBytes value;  // Clear: the key; Encrypted: the device's encrypted text (not a key)
  Loc loc;
  bool is_set() const { return state != State::Unset; }
  bool usable() const { return state == State::Clear && !value.empty(); }
  friend bool operator==(const ConfigSecret&, const ConfigSecret&) = default;
};

// ---------------------------------------------------------------------------------------------
// Interfaces

struct Interface {
  Loc loc;
  std::string name;  // hardware name: "GigabitEthernet0/0"
  std::string nameif;  // ASA logical name: "outside"
  std::optional<int> security_level;
  enum class AddressMode : std::uint8_t { None, Static, Dhcp, NoAddress };
  AddressMode address_mode = AddressMode::None;
  IpAddress address;
  std::uint32_t netmask = 0;
  std::optional<Ref> crypto_map;  // IOS: "crypto map NAME" on the interface
  bool shutdown = false;
  std::vector<RawCommand> other;
  friend bool operator==(const Interface&, const Interface&) = default;
};

// ---------------------------------------------------------------------------------------------
// Access lists and network objects

struct AddrMatch {
  enum class Kind : std::uint8_t { Any, Any4, Any6, Host, Subnet, Object, ObjectGroup, Interface };
  Kind kind = Kind::Any;
  IpAddress address;
  std::uint32_t netmask = 0;  // Subnet; IOS wildcards are stored inverted (may be non-contiguous)
  Ref ref;                    // Object, ObjectGroup, Interface
  friend bool operator==(const AddrMatch&, const AddrMatch&) = default;
};

struct PortMatch {
  enum class Op : std::uint8_t { Any, Eq, Neq, Lt, Gt, Range, ObjectGroup };
  Op op = Op::Any;
  std::uint16_t low = 0, high = 0;
  Ref ref;  // ObjectGroup
  friend bool operator==(const PortMatch&, const PortMatch&) = default;
};

struct Protocol {
  enum class Kind : std::uint8_t { Number, Object, ObjectGroup };
  Kind kind = Kind::Number;
  std::uint8_t number = 0;  // 0 = "ip" (any protocol)
  Ref ref;
  friend bool operator==(const Protocol&, const Protocol&) = default;
};

enum class AclAction : std::uint8_t { Permit, Deny };

struct AclEntry {
  Loc loc;
  std::optional<int> sequence;  // IOS named ACL "10 permit ..."
  bool is_remark = false;
  std::string remark;
  AclAction action = AclAction::Permit;
  Protocol protocol;
  AddrMatch source;
  PortMatch source_port;
  AddrMatch destination;  // unused for standard ACLs
  PortMatch destination_port;
  std::vector<std::string> options;  // log, inactive, time-range X, ICMP types...
  friend bool operator==(const AclEntry&, const AclEntry&) = default;
};

struct AccessList {
  Loc loc;
  std::string name;
  enum class Kind : std::uint8_t { Extended, Standard };
  Kind kind = Kind::Extended;
  bool numbered = false;  // IOS "access-list 100 ..." rather than "ip access-list extended NAME"
  std::vector<AclEntry> entries;
  friend bool operator==(const AccessList&, const AccessList&) = default;
};

struct NetworkObject {  // ASA "object network NAME"
  Loc loc;
  std::string name;
  enum class Kind : std::uint8_t { Unset, Host, Subnet, Range, Fqdn };
  Kind kind = Kind::Unset;
  IpAddress first, last;  // Host: first; Subnet: first/netmask; Range: first..last
  std::uint32_t netmask = 0;
  std::string fqdn;
  std::vector<RawCommand> other;  // description, nat, ...
  friend bool operator==(const NetworkObject&, const NetworkObject&) = default;
};

struct NetworkObjectGroup {  // ASA "object-group network NAME"
  Loc loc;
  std::string name;
  std::vector<AddrMatch> members;  // Host, Subnet, Object (network-object object), ObjectGroup (group-object)
  std::vector<RawCommand> other;
  friend bool operator==(const NetworkObjectGroup&, const NetworkObjectGroup&) = default;
};

// Objects and groups of other types (service, protocol, icmp-type): kept, and resolvable by name.
struct OtherObject {
  Loc loc;
  bool group = false;  // object-group rather than object
  std::string type;    // "service", "protocol", ...
  std::string name;
  std::string rest;    // words after the name ("tcp" in "object-group service WEB tcp")
  std::vector<RawCommand> children;
  friend bool operator==(const OtherObject&, const OtherObject&) = default;
};

// ---------------------------------------------------------------------------------------------
// IKE and IPsec proposals

// The transforms of one IKEv2 proposal: ASA "crypto ikev2 policy N", IOS "crypto ikev2 proposal".
struct Ikev2Transforms {
  std::vector<Cipher> encryption;
  std::vector<IntegId> integrity;
  std::vector<DhGroup> groups;
  std::vector<PrfId> prf;
  friend bool operator==(const Ikev2Transforms&, const Ikev2Transforms&) = default;
};

struct AsaIkev2Policy {  // crypto ikev2 policy PRIORITY
  Loc loc;
  int priority = 0;
  Ikev2Transforms transforms;
  std::optional<std::uint32_t> lifetime_seconds = 86400;  // nullopt: "lifetime seconds none"
  std::vector<RawCommand> other;
  friend bool operator==(const AsaIkev2Policy&, const AsaIkev2Policy&) = default;
};

struct IosIkev2Proposal {  // crypto ikev2 proposal NAME
  Loc loc;
  std::string name;
  Ikev2Transforms transforms;
  std::vector<RawCommand> other;
  friend bool operator==(const IosIkev2Proposal&, const IosIkev2Proposal&) = default;
};

struct IosIkev2Policy {  // crypto ikev2 policy NAME
  Loc loc;
  std::string name;
  std::vector<Ref> proposals;
  std::string match_fvrf;  // "any" or a VRF name; empty when not set
  std::vector<IpAddress> match_local_addresses;
  std::vector<RawCommand> other;
  friend bool operator==(const IosIkev2Policy&, const IosIkev2Policy&) = default;
};

enum class Ikev1Auth : std::uint8_t { PreShare, RsaSig, RsaEncr, Crack };

// crypto isakmp policy N (ASA: also crypto ikev1 policy N). Fields hold effective values: the
// parser fills the platform's defaults, so both printers can show or hide them as the device does.
struct IsakmpPolicy {
  Loc loc;
  int priority = 0;
  Ikev1Auth authentication = Ikev1Auth::PreShare;
  Cipher encryption;
  IntegId hash = IntegId::HMAC_SHA1_96;
  DhGroup group = DhGroup::MODP_1024;
  std::optional<std::uint32_t> lifetime_seconds = 86400;  // nullopt: "lifetime none" (ASA)
  std::vector<RawCommand> other;
  friend bool operator==(const IsakmpPolicy&, const IsakmpPolicy&) = default;
};

// crypto ipsec ikev2 ipsec-proposal NAME (ASA)
struct IpsecProposal {
  Loc loc;
  std::string name;
  std::vector<Cipher> esp_encryption;
  std::vector<IntegId> esp_integrity;
  std::vector<RawCommand> other;
  friend bool operator==(const IpsecProposal&, const IpsecProposal&) = default;
};

enum class IpsecMode : std::uint8_t { Tunnel, Transport };

// crypto ipsec [ikev1] transform-set NAME T...
struct TransformSet {
  Loc loc;
  std::string name;
  std::optional<Cipher> esp_encryption;
  std::optional<IntegId> esp_integrity;  // IntegId::NONE for esp-none
  std::optional<IntegId> ah_integrity;
  bool compression = false;
  IpsecMode mode = IpsecMode::Tunnel;
  std::vector<RawCommand> other;
  friend bool operator==(const TransformSet&, const TransformSet&) = default;
};

// ---------------------------------------------------------------------------------------------
// Crypto maps

struct Lifetime {
  std::optional<std::uint32_t> seconds;
  std::optional<std::uint64_t> kilobytes;  // 0 with unlimited = true
  bool kilobytes_unlimited = false;
  friend bool operator==(const Lifetime&, const Lifetime&) = default;
};

struct Peer {
  Loc loc;
  std::optional<IpAddress> address;
  std::string hostname;  // when the peer is given by name
  friend bool operator==(const Peer&, const Peer&) = default;
};

struct CryptoMapEntry {
  Loc loc;
  int sequence = 0;
  bool ipsec_isakmp = false;      // IOS "crypto map NAME SEQ ipsec-isakmp" header
  std::optional<Ref> dynamic_map; // "... ipsec-isakmp dynamic DMAP"
  std::optional<Ref> match_address;
  std::vector<Peer> peers;
  std::vector<Ref> ikev2_proposals;  // ASA set ikev2 ipsec-proposal
  std::vector<Ref> transform_sets;   // set [ikev1] transform-set
  std::optional<Ref> ikev2_profile;  // IOS set ikev2-profile
  std::optional<DhGroup> pfs;        // set pfs [groupN]
  Loc pfs_loc;
  Lifetime lifetime;
  // ASA `set ikev1 phase1-mode aggressive [group1|group2|group5]` (before 8.4 `set phase1-mode
  // ...`): this entry initiates phase 1 in Aggressive Mode, with that DH group when one is given.
  // `set ... phase1-mode main` is the default and clears it.
  bool phase1_aggressive = false;
  std::optional<DhGroup> phase1_group;
  std::vector<std::string> other;  // commands kept as written: the words after "crypto map NAME SEQ"
  std::string description;
  friend bool operator==(const CryptoMapEntry&, const CryptoMapEntry&) = default;
};

struct CryptoMap {  // crypto map NAME ... and crypto dynamic-map NAME ...
  Loc loc;
  std::string name;
  std::vector<CryptoMapEntry> entries;  // ascending sequence
  std::vector<Ref> interfaces;          // ASA "crypto map NAME interface IF"
  friend bool operator==(const CryptoMap&, const CryptoMap&) = default;
};

// ---------------------------------------------------------------------------------------------
// ASA tunnel-groups, pools, group-policies, users, PKI

enum class AuthMethod : std::uint8_t { Unset, PreSharedKey, Certificate, Eap };

struct Ikev2Authentication {
  AuthMethod method = AuthMethod::Unset;
  ConfigSecret key;                // PreSharedKey
  std::string trustpoint;          // Certificate (local)
  std::vector<std::string> extra;  // "query-identity", ...
  Loc loc;
  friend bool operator==(const Ikev2Authentication&, const Ikev2Authentication&) = default;
};

struct TunnelGroup {
  Loc loc;
  std::string name;
  enum class Type : std::uint8_t { Unset, IpsecL2L, RemoteAccess, IpsecRa, Webvpn };
  Type type = Type::Unset;
  // ipsec-attributes
  bool ipsec_attributes = false;
  ConfigSecret ikev1_pre_shared_key;
  Ikev2Authentication ikev2_local, ikev2_remote;
  std::vector<RawCommand> ipsec_other;
  // general-attributes
  bool general_attributes = false;
  std::vector<Ref> address_pools;
  std::optional<Ref> default_group_policy;
  std::vector<RawCommand> general_other;
  // webvpn-attributes
  bool webvpn_attributes = false;
  std::vector<RawCommand> webvpn_other;
  friend bool operator==(const TunnelGroup&, const TunnelGroup&) = default;
};

struct IpLocalPool {
  Loc loc;
  std::string name;
  IpAddress first, last;
  std::optional<std::uint32_t> netmask;
  friend bool operator==(const IpLocalPool&, const IpLocalPool&) = default;
};

struct GroupPolicy {
  Loc loc;
  std::string name;
  std::string kind;  // "internal", "external ..." (words after the name); empty if only attributes
  bool attributes = false;
  std::vector<RawCommand> attribute_lines;
  friend bool operator==(const GroupPolicy&, const GroupPolicy&) = default;
};

struct User {
  Loc loc;
  std::string name;
  ConfigSecret password;
  std::string password_format;  // "encrypted", "nt-encrypted", "pbkdf2" or empty
  bool nopassword = false;
  std::optional<int> privilege;
  bool attributes = false;
  std::vector<RawCommand> attribute_lines;
  friend bool operator==(const User&, const User&) = default;
};

struct Trustpoint {
  Loc loc;
  std::string name;
  std::string enrollment;  // "self", "terminal", "url http://..."; empty when not set
  bool crl_configure = false;
  std::vector<RawCommand> crl_lines;
  std::vector<RawCommand> other;
  friend bool operator==(const Trustpoint&, const Trustpoint&) = default;
};

// crypto ikev2 fragmentation [mtu N] | no crypto ikev2 fragmentation (RFC 7383)
struct Ikev2Fragmentation {
  Loc loc;
  bool enabled = true;
  std::optional<std::uint16_t> mtu;  // of the IP packet carrying a fragment
  friend bool operator==(const Ikev2Fragmentation&, const Ikev2Fragmentation&) = default;
};

struct Ikev2Enable {  // crypto ikev2 enable IF [client-services [port N]]
  Ref interface;
  bool client_services = false;
  std::optional<std::uint16_t> client_services_port;
  friend bool operator==(const Ikev2Enable&, const Ikev2Enable&) = default;
};

// ---------------------------------------------------------------------------------------------
// IOS keys, keyrings and profiles

struct IsakmpKey {  // crypto isakmp key K address A [M] | hostname H
  Loc loc;
  ConfigSecret key;
  std::optional<IpAddress> address;
  std::optional<std::uint32_t> netmask;
  std::string hostname;
  bool no_xauth = false;
  friend bool operator==(const IsakmpKey&, const IsakmpKey&) = default;
};

struct KeyringPeer {
  Loc loc;
  std::string name;
  std::optional<IpAddress> address;
  std::optional<std::uint32_t> netmask;
  std::string hostname;
  std::string identity;  // words after "identity"
  ConfigSecret key, local_key, remote_key;  // pre-shared-key [local|remote] K
  std::vector<RawCommand> other;
  friend bool operator==(const KeyringPeer&, const KeyringPeer&) = default;
};

struct Keyring {
  Loc loc;
  std::string name;
  std::vector<KeyringPeer> peers;
  std::vector<RawCommand> other;
  friend bool operator==(const Keyring&, const Keyring&) = default;
};

struct IdentityMatch {  // match identity remote address A [M] | fqdn N | email N | key-id N
  Loc loc;
  std::string type;  // "address", "fqdn", "email", "key-id"
  std::optional<IpAddress> address;
  std::uint32_t netmask = 0xffffffffu;
  std::string value;
  friend bool operator==(const IdentityMatch&, const IdentityMatch&) = default;
};

enum class ProfileAuth : std::uint8_t { PreShare, RsaSig, Eap, EcdsaSig };

struct Ikev2Profile {
  Loc loc;
  std::string name;
  std::vector<IdentityMatch> match_remote;
  std::vector<std::string> identity_local;  // words after "identity local"
  std::vector<ProfileAuth> auth_local, auth_remote;
  std::optional<Ref> keyring;  // keyring local NAME
  std::vector<RawCommand> other;
  friend bool operator==(const Ikev2Profile&, const Ikev2Profile&) = default;
};

struct IpsecProfile {  // crypto ipsec profile NAME
  Loc loc;
  std::string name;
  std::vector<Ref> transform_sets;
  std::optional<Ref> ikev2_profile;
  std::optional<DhGroup> pfs;
  Lifetime lifetime;
  std::vector<RawCommand> other;
  friend bool operator==(const IpsecProfile&, const IpsecProfile&) = default;
};

// ---------------------------------------------------------------------------------------------

// Where a kept top-level command is printed: the platform's running-config has an order, and a
// kept command is printed in the section its first words belong to.
enum class Section : std::uint8_t {
  Services,     // IOS: service ..., printed before the hostname
  Header,       // enable password, passwd, names, service, boot, aaa new-model, ...
  Interfaces,   // right after interfaces: ftp, dns, same-security-traffic
  Objects,      // after objects
  AccessLists,  // pager, logging, mtu, failover, icmp, asdm, arp, nat, global, access-group, route,
                // timeout, aaa-server, http, snmp-server, sysopt, ip route, ip nat, ...
  Crypto,       // other crypto commands
  Management,   // telnet, ssh, console, threat-detection, ssl, ntp, line, control-plane, ...
  Webvpn,       // webvpn
  Trailer,      // class-map, policy-map, service-policy, prompt, call-home, and anything unknown
  Count
};

struct Model {
  Dialect dialect = Dialect::Asa;
  std::string version;   // "ASA Version 9.1(2)", "PIX Version 7.2(2)", "version 12.4"
  std::string hostname;
  // ASA before 8.4 wrote IKEv1 as "crypto isakmp ..." and "crypto ipsec transform-set ...";
  // printed back the same way.
  bool asa_legacy_ikev1 = false;

  std::vector<Interface> interfaces;
  std::vector<NetworkObject> network_objects;
  std::vector<NetworkObjectGroup> network_groups;
  std::vector<OtherObject> other_objects;
  std::vector<AccessList> access_lists;
  std::vector<IpLocalPool> pools;

  std::vector<AsaIkev2Policy> asa_ikev2_policies;  // ascending priority
  std::vector<IosIkev2Proposal> ikev2_proposals;
  std::vector<IosIkev2Policy> ios_ikev2_policies;
  std::vector<IsakmpPolicy> isakmp_policies;       // ascending priority
  // IOS (12.4(20)T and later): the default protection suites 65507-65514 apply while no `crypto
  // isakmp policy` is configured; `no crypto isakmp default policy` turns them off.
  bool isakmp_default_policy = true;
  std::vector<IpsecProposal> ipsec_proposals;
  std::vector<TransformSet> transform_sets;
  std::vector<CryptoMap> dynamic_maps;
  std::vector<CryptoMap> crypto_maps;
  std::vector<Trustpoint> trustpoints;
  std::vector<Ikev2Enable> ikev2_enabled;
  std::vector<Ref> ikev1_enabled;
  std::optional<Ref> ikev2_remote_access_trustpoint;
  std::optional<Ikev2Fragmentation> ikev2_fragmentation;  // absent: the platform's default

  std::vector<IsakmpKey> isakmp_keys;
  std::vector<Keyring> keyrings;
  std::vector<Ikev2Profile> ikev2_profiles;
  std::vector<IpsecProfile> ipsec_profiles;

  std::vector<GroupPolicy> group_policies;
  std::vector<User> users;
  std::vector<TunnelGroup> tunnel_groups;

  std::vector<RawCommand> kept[static_cast<int>(Section::Count)];

  // The same model with every secret masked: what a printed configuration parses back to.
  Model redacted() const;

  // Look-ups by name; nullptr when absent.
  const Interface* interface_by_nameif(std::string_view nameif) const;
  const Interface* interface_by_name(std::string_view name) const;
  const AccessList* access_list(std::string_view name) const;
  const CryptoMap* crypto_map(std::string_view name) const;
  const CryptoMap* dynamic_map(std::string_view name) const;
  const TunnelGroup* tunnel_group(std::string_view name) const;

  friend bool operator==(const Model&, const Model&) = default;
};

}  // namespace ikegate::config
