#include "config/printer.h"

#include "config/algorithms.h"
#include "config/diagnostics.h"
#include "config/parser.h"

namespace ikegate::config {

namespace {

constexpr std::string_view kMask = "*****";

std::string ip(const IpAddress& a) { return a.to_string(); }
std::string dotted(std::uint32_t v) { return IpAddress::v4(v).to_string(); }

class Printer {
 public:
  explicit Printer(const Model& m) : m_(m), asa_(m.dialect == Dialect::Asa) {}
  std::string run() { return asa_ ? asa() : ios(); }

 private:
  void line(std::string s) {
    out_ += s;
    out_ += '\n';
  }
  void fragmentation() {
    const auto& f = m_.ikev2_fragmentation;
    if (!f) return;
    if (!f->enabled) line("no crypto ikev2 fragmentation");
    else line("crypto ikev2 fragmentation" + (f->mtu ? " mtu " + std::to_string(*f->mtu) : std::string()));
  }
  // A separator, never two in a row (an empty section prints nothing).
  void bang() {
    if (!out_.ends_with("!\n") || out_.ends_with(" !\n")) line("!");
  }
  void raw(const std::vector<RawCommand>& cmds, int depth) {
    for (const auto& c : cmds) {
      line(std::string(static_cast<std::size_t>(depth), ' ') + redact_text(c.text));
      raw(c.children, depth + 1);
    }
  }
  void kept(Section s) {
    for (const auto& c : m_.kept[static_cast<int>(s)]) {
      raw({c}, 0);
      if (kept_command_opens_block(m_.dialect, c.text)) bang();
    }
  }

  std::string addr(const AddrMatch& a) const {
    switch (a.kind) {
      case AddrMatch::Kind::Any: return "any";
      case AddrMatch::Kind::Any4: return "any4";
      case AddrMatch::Kind::Any6: return "any6";
      case AddrMatch::Kind::Host: return "host " + ip(a.address);
      case AddrMatch::Kind::Subnet: return ip(a.address) + " " + dotted(asa_ ? a.netmask : ~a.netmask);
      case AddrMatch::Kind::Object: return "object " + a.ref.name;
      case AddrMatch::Kind::ObjectGroup: return "object-group " + a.ref.name;
      case AddrMatch::Kind::Interface: return "interface " + a.ref.name;
    }
    return {};
  }
  static std::string ports(const PortMatch& p, const Protocol& proto) {
    std::uint8_t bits = proto.kind != Protocol::Kind::Number ? 3 : proto.number == 6 ? 1 : proto.number == 17 ? 2 : 3;
    switch (p.op) {
      case PortMatch::Op::Any: return {};
      case PortMatch::Op::Eq: return " eq " + port_text(p.low, bits);
      case PortMatch::Op::Neq: return " neq " + port_text(p.low, bits);
      case PortMatch::Op::Lt: return " lt " + port_text(p.low, bits);
      case PortMatch::Op::Gt: return " gt " + port_text(p.low, bits);
      case PortMatch::Op::Range: return " range " + port_text(p.low, bits) + " " + port_text(p.high, bits);
      case PortMatch::Op::ObjectGroup: return " object-group " + p.ref.name;
    }
    return {};
  }

 public:
  std::string entry(const AclEntry& e, bool standard) const {
    if (e.is_remark) return "remark " + e.remark;
    std::string s = e.action == AclAction::Permit ? "permit " : "deny ";
    if (!standard) {
      switch (e.protocol.kind) {
        case Protocol::Kind::Number: s += protocol_text(e.protocol.number); break;
        case Protocol::Kind::Object: s += "object " + e.protocol.ref.name; break;
        case Protocol::Kind::ObjectGroup: s += "object-group " + e.protocol.ref.name; break;
      }
      s += " ";
    }
    s += addr(e.source);
    if (!standard) {
      s += ports(e.source_port, e.protocol);
      s += " " + addr(e.destination);
      s += ports(e.destination_port, e.protocol);
    }
    for (const auto& o : e.options) s += " " + o;
    return s;
  }

 private:
  static std::string secret(const ConfigSecret&) { return std::string(kMask); }

  template <class T>
  static std::string list(std::span<const Keyword<T>> table, const std::vector<T>& values) {
    std::string s;
    for (const auto& v : values) s += " " + std::string(name_of(table, v));
    return s;
  }
  static std::string groups(const std::vector<DhGroup>& gs) {
    std::string s;
    for (auto g : gs) s += " " + dh_group_text(g);
    return s;
  }
  std::string transforms(const TransformSet& ts) const {
    std::string s;
    if (ts.esp_encryption) {
      const Cipher& c = *ts.esp_encryption;
      // ASA spells the AES key size into the name (esp-aes-256); IOS adds it (esp-aes 256).
      auto sized = [&](std::string base) {
        if (c.key_bits == 128) return base;
        return asa_ ? base + "-" + std::to_string(c.key_bits) : base + " " + std::to_string(c.key_bits);
      };
      switch (c.id) {
        case EncrId::DES: s += " esp-des"; break;
        case EncrId::TRIPLE_DES: s += " esp-3des"; break;
        case EncrId::AES_CBC: s += " " + sized("esp-aes"); break;
        case EncrId::AES_GCM_16: s += " " + sized("esp-gcm"); break;
        default: s += " esp-null"; break;
      }
    }
    auto integ = [&](TransformKind kind, IntegId id) {
      for (const auto& t : transform_words())
        if (t.kind == kind && t.integ == id) return " " + std::string(t.word);
      return std::string();
    };
    if (ts.ah_integrity) s = integ(TransformKind::AhIntegrity, *ts.ah_integrity) + s;
    if (ts.esp_integrity) s += integ(TransformKind::EspIntegrity, *ts.esp_integrity);
    if (ts.compression) s += " comp-lzs";
    return s;
  }
  static std::string pfs(DhGroup g) { return "set pfs group" + dh_group_text(g); }
  std::vector<std::string> map_lines(const CryptoMapEntry& e) const {
    std::vector<std::string> v;
    auto refs = [](const std::vector<Ref>& rs) {
      std::string s;
      for (const auto& r : rs) s += " " + r.name;
      return s;
    };
    auto peers = [&] {
      std::string s;
      for (const auto& p : e.peers) s += " " + (p.address ? ip(*p.address) : p.hostname);
      return s;
    };
    auto lifetime = [&](std::vector<std::string>& out) {
      if (e.lifetime.seconds) out.push_back("set security-association lifetime seconds " + std::to_string(*e.lifetime.seconds));
      if (e.lifetime.kilobytes_unlimited) out.push_back("set security-association lifetime kilobytes unlimited");
      else if (e.lifetime.kilobytes)
        out.push_back("set security-association lifetime kilobytes " + std::to_string(*e.lifetime.kilobytes));
    };
    DhGroup default_pfs = asa_ ? DhGroup::MODP_1024 : DhGroup::MODP_768;
    if (asa_) {
      if (e.match_address) v.push_back("match address " + e.match_address->name);
      if (e.pfs) v.push_back(*e.pfs == default_pfs ? "set pfs" : pfs(*e.pfs));
      if (!e.peers.empty()) v.push_back("set peer" + peers());
      if (e.phase1_aggressive)
        v.push_back(std::string(m_.asa_legacy_ikev1 ? "set phase1-mode aggressive" : "set ikev1 phase1-mode aggressive") +
                    (e.phase1_group ? " group" + dh_group_text(*e.phase1_group) : std::string()));
      if (!e.transform_sets.empty())
        v.push_back(std::string(m_.asa_legacy_ikev1 ? "set transform-set" : "set ikev1 transform-set") + refs(e.transform_sets));
      if (!e.ikev2_proposals.empty()) v.push_back("set ikev2 ipsec-proposal" + refs(e.ikev2_proposals));
      lifetime(v);
    } else {
      if (!e.description.empty()) v.push_back("description " + e.description);
      for (const auto& p : e.peers) v.push_back("set peer " + (p.address ? ip(*p.address) : p.hostname));
      lifetime(v);
      if (!e.transform_sets.empty()) v.push_back("set transform-set" + refs(e.transform_sets));
      if (e.pfs) v.push_back(*e.pfs == default_pfs ? "set pfs" : pfs(*e.pfs));
      if (e.ikev2_profile) v.push_back("set ikev2-profile " + e.ikev2_profile->name);
      if (!e.ikev2_proposals.empty()) v.push_back("set ikev2 ipsec-proposal" + refs(e.ikev2_proposals));
      if (e.match_address) v.push_back("match address " + e.match_address->name);
    }
    for (const auto& o : e.other) v.push_back(redact_text(o));
    return v;
  }

  std::string asa();
  std::string ios();

  const Model& m_;
  bool asa_;
  std::string out_;
};

std::string Printer::asa() {
  line(": Saved");
  line(":");
  if (!m_.version.empty()) line(m_.version);
  bang();
  if (!m_.hostname.empty()) line("hostname " + m_.hostname);
  kept(Section::Services);
  kept(Section::Header);
  for (const auto& i : m_.interfaces) {
    bang();
    line("interface " + i.name);
    raw(i.other, 1);
    if (i.shutdown) line(" shutdown");
    if (!i.nameif.empty()) line(" nameif " + i.nameif);
    if (i.security_level) line(" security-level " + std::to_string(*i.security_level));
    switch (i.address_mode) {
      case Interface::AddressMode::Static: line(" ip address " + ip(i.address) + " " + dotted(i.netmask)); break;
      case Interface::AddressMode::Dhcp: line(" ip address dhcp"); break;
      case Interface::AddressMode::NoAddress: line(" no ip address"); break;
      case Interface::AddressMode::None: break;
    }
  }
  bang();
  kept(Section::Interfaces);
  for (const auto& o : m_.network_objects) {
    line("object network " + o.name);
    switch (o.kind) {
      case NetworkObject::Kind::Host: line(" host " + ip(o.first)); break;
      case NetworkObject::Kind::Subnet: line(" subnet " + ip(o.first) + " " + dotted(o.netmask)); break;
      case NetworkObject::Kind::Range: line(" range " + ip(o.first) + " " + ip(o.last)); break;
      case NetworkObject::Kind::Fqdn: line(" fqdn " + o.fqdn); break;
      case NetworkObject::Kind::Unset: break;
    }
    raw(o.other, 1);
  }
  for (const auto& g : m_.network_groups) {
    line("object-group network " + g.name);
    raw(g.other, 1);
    for (const auto& mem : g.members) {
      switch (mem.kind) {
        case AddrMatch::Kind::Host: line(" network-object host " + ip(mem.address)); break;
        case AddrMatch::Kind::Subnet: line(" network-object " + ip(mem.address) + " " + dotted(mem.netmask)); break;
        case AddrMatch::Kind::Object: line(" network-object object " + mem.ref.name); break;
        case AddrMatch::Kind::ObjectGroup: line(" group-object " + mem.ref.name); break;
        default: break;
      }
    }
  }
  for (const auto& o : m_.other_objects) {
    line(std::string(o.group ? "object-group " : "object ") + o.type + " " + o.name + (o.rest.empty() ? "" : " " + o.rest));
    raw(o.children, 1);
  }
  kept(Section::Objects);
  for (const auto& acl : m_.access_lists) {
    bool standard = acl.kind == AccessList::Kind::Standard;
    for (const auto& e : acl.entries) {
      std::string kind = e.is_remark ? "" : standard ? "standard " : "extended ";
      line("access-list " + acl.name + " " + kind + entry(e, standard));
    }
  }
  kept(Section::AccessLists);
  for (const auto& p : m_.pools)
    line("ip local pool " + p.name + " " + ip(p.first) + "-" + ip(p.last) + (p.netmask ? " mask " + dotted(*p.netmask) : ""));
  for (const auto& ts : m_.transform_sets) {
    std::string head = std::string(m_.asa_legacy_ikev1 ? "crypto ipsec transform-set " : "crypto ipsec ikev1 transform-set ") + ts.name;
    line(head + transforms(ts));
    if (ts.mode == IpsecMode::Transport) line(head + " mode transport");
  }
  for (const auto& p : m_.ipsec_proposals) {
    line("crypto ipsec ikev2 ipsec-proposal " + p.name);
    if (!p.esp_encryption.empty()) line(" protocol esp encryption" + list(asa_esp_encryption(), p.esp_encryption));
    if (!p.esp_integrity.empty()) line(" protocol esp integrity" + list(asa_esp_integrity(), p.esp_integrity));
    raw(p.other, 1);
  }
  kept(Section::Crypto);
  for (const auto& d : m_.dynamic_maps)
    for (const auto& e : d.entries)
      for (const auto& l : map_lines(e)) line("crypto dynamic-map " + d.name + " " + std::to_string(e.sequence) + " " + l);
  for (const auto& c : m_.crypto_maps) {
    for (const auto& e : c.entries) {
      std::string head = "crypto map " + c.name + " " + std::to_string(e.sequence);
      for (const auto& l : map_lines(e)) line(head + " " + l);
      if (e.ipsec_isakmp) line(head + " ipsec-isakmp" + (e.dynamic_map ? " dynamic " + e.dynamic_map->name : ""));
    }
    for (const auto& r : c.interfaces) line("crypto map " + c.name + " interface " + r.name);
  }
  for (const auto& t : m_.trustpoints) {
    line("crypto ca trustpoint " + t.name);
    if (!t.enrollment.empty()) line(" enrollment " + t.enrollment);
    raw(t.other, 1);
    if (t.crl_configure) {
      line(" crl configure");
      raw(t.crl_lines, 2);
    }
  }
  for (const auto& p : m_.asa_ikev2_policies) {
    line("crypto ikev2 policy " + std::to_string(p.priority));
    const auto& t = p.transforms;
    if (!t.encryption.empty()) line(" encryption" + list(asa_ikev2_encryption(), t.encryption));
    if (!t.integrity.empty()) line(" integrity" + list(asa_ikev2_integrity(), t.integrity));
    if (!t.groups.empty()) line(" group" + groups(t.groups));
    if (!t.prf.empty()) line(" prf" + list(asa_ikev2_prf(), t.prf));
    line(" lifetime seconds " + (p.lifetime_seconds ? std::to_string(*p.lifetime_seconds) : std::string("none")));
    raw(p.other, 1);
  }
  for (const auto& e : m_.ikev2_enabled) {
    std::string s = "crypto ikev2 enable " + e.interface.name;
    if (e.client_services) s += " client-services";
    if (e.client_services_port) s += " port " + std::to_string(*e.client_services_port);
    line(s);
  }
  if (m_.ikev2_remote_access_trustpoint) line("crypto ikev2 remote-access trustpoint " + m_.ikev2_remote_access_trustpoint->name);
  fragmentation();
  std::string v1 = m_.asa_legacy_ikev1 ? "isakmp" : "ikev1";
  for (const auto& r : m_.ikev1_enabled) line("crypto " + v1 + " enable " + r.name);
  for (const auto& p : m_.isakmp_policies) {
    line("crypto " + v1 + " policy " + std::to_string(p.priority));
    static constexpr std::string_view kAuth[] = {"pre-share", "rsa-sig", "rsa-encr", "crack"};
    line(" authentication " + std::string(kAuth[static_cast<int>(p.authentication)]));
    line(" encryption " + std::string(name_of(asa_ikev1_encryption(), p.encryption)));
    line(" hash " + std::string(name_of(ikev1_hash(), p.hash)));
    line(" group " + dh_group_text(p.group));
    line(" lifetime " + (p.lifetime_seconds ? std::to_string(*p.lifetime_seconds) : std::string("none")));
    raw(p.other, 1);
  }
  kept(Section::Management);
  kept(Section::Webvpn);
  for (const auto& g : m_.group_policies) {
    if (!g.kind.empty()) line("group-policy " + g.name + " " + g.kind);
    if (g.attributes) {
      line("group-policy " + g.name + " attributes");
      raw(g.attribute_lines, 1);
    }
  }
  for (const auto& u : m_.users) {
    std::string s;
    if (u.nopassword) s = " nopassword";
    else if (u.password.is_set()) s = " password " + secret(u.password) + (u.password_format.empty() ? "" : " " + u.password_format);
    if (u.privilege) s += " privilege " + std::to_string(*u.privilege);
    if (!s.empty()) line("username " + u.name + s);
    if (u.attributes) {
      line("username " + u.name + " attributes");
      raw(u.attribute_lines, 1);
    }
  }
  for (const auto& tg : m_.tunnel_groups) {
    static constexpr std::string_view kType[] = {"", "ipsec-l2l", "remote-access", "ipsec-ra", "webvpn"};
    std::string head = "tunnel-group " + tg.name;
    if (tg.type != TunnelGroup::Type::Unset) line(head + " type " + std::string(kType[static_cast<int>(tg.type)]));
    if (tg.general_attributes) {
      line(head + " general-attributes");
      if (!tg.address_pools.empty()) {
        std::string s = " address-pool";
        for (const auto& r : tg.address_pools) s += " " + r.name;
        line(s);
      }
      if (tg.default_group_policy) line(" default-group-policy " + tg.default_group_policy->name);
      raw(tg.general_other, 1);
    }
    if (tg.ipsec_attributes) {
      line(head + " ipsec-attributes");
      if (tg.ikev1_pre_shared_key.is_set())
        line(std::string(m_.asa_legacy_ikev1 ? " pre-shared-key " : " ikev1 pre-shared-key ") + secret(tg.ikev1_pre_shared_key));
      auto auth = [&](const Ikev2Authentication& a, std::string_view side) {
        std::string s = " ikev2 " + std::string(side) + "-authentication ";
        switch (a.method) {
          case AuthMethod::Unset: return;
          case AuthMethod::PreSharedKey: s += "pre-shared-key " + secret(a.key); break;
          case AuthMethod::Certificate: s += "certificate" + (a.trustpoint.empty() ? "" : " " + a.trustpoint); break;
          case AuthMethod::Eap: s += "eap"; break;
        }
        for (const auto& x : a.extra) s += " " + x;
        line(s);
      };
      auth(tg.ikev2_remote, "remote");
      auth(tg.ikev2_local, "local");
      raw(tg.ipsec_other, 1);
    }
    if (tg.webvpn_attributes) {
      line(head + " webvpn-attributes");
      raw(tg.webvpn_other, 1);
    }
  }
  bang();
  kept(Section::Trailer);
  line(": end");
  return std::move(out_);
}

std::string Printer::ios() {
  bang();
  if (!m_.version.empty()) line(m_.version);
  kept(Section::Services);
  if (!m_.hostname.empty()) line("hostname " + m_.hostname);
  kept(Section::Header);
  bang();
  for (const auto& p : m_.isakmp_policies) {
    line("crypto isakmp policy " + std::to_string(p.priority));
    switch (p.encryption.id) {
      case EncrId::DES: break;  // the default, which IOS does not print
      case EncrId::TRIPLE_DES: line(" encr 3des"); break;
      default:
        line(" encr aes" + (p.encryption.key_bits == 128 ? std::string() : " " + std::to_string(p.encryption.key_bits)));
        break;
    }
    if (p.hash != IntegId::HMAC_SHA1_96) line(" hash " + std::string(name_of(ikev1_hash(), p.hash)));
    if (p.authentication != Ikev1Auth::RsaSig) {
      static constexpr std::string_view kAuth[] = {"pre-share", "rsa-sig", "rsa-encr", "crack"};
      line(" authentication " + std::string(kAuth[static_cast<int>(p.authentication)]));
    }
    if (p.group != DhGroup::MODP_768) line(" group " + dh_group_text(p.group));
    if (p.lifetime_seconds != 86400u) line(" lifetime " + std::to_string(p.lifetime_seconds.value_or(86400)));
    raw(p.other, 1);
  }
  for (const auto& k : m_.isakmp_keys) {
    std::string s = "crypto isakmp key " + secret(k.key);
    if (k.address) s += " address " + ip(*k.address) + (k.netmask ? " " + dotted(*k.netmask) : "");
    else s += " hostname " + k.hostname;
    if (k.no_xauth) s += " no-xauth";
    line(s);
  }
  if (!m_.isakmp_default_policy) line("no crypto isakmp default policy");
  if (!m_.isakmp_policies.empty() || !m_.isakmp_keys.empty() || !m_.isakmp_default_policy) bang();
  if (m_.ikev2_fragmentation) {
    fragmentation();
    bang();
  }
  for (const auto& p : m_.ikev2_proposals) {
    line("crypto ikev2 proposal " + p.name);
    const auto& t = p.transforms;
    if (!t.encryption.empty()) line(" encryption" + list(ios_ikev2_encryption(), t.encryption));
    if (!t.integrity.empty()) line(" integrity" + list(ios_ikev2_integrity(), t.integrity));
    if (!t.groups.empty()) line(" group" + groups(t.groups));
    if (!t.prf.empty()) line(" prf" + list(ios_ikev2_prf(), t.prf));
    raw(p.other, 1);
    bang();
  }
  for (const auto& p : m_.ios_ikev2_policies) {
    line("crypto ikev2 policy " + p.name);
    if (!p.match_fvrf.empty()) line(" match fvrf " + p.match_fvrf);
    for (const auto& a : p.match_local_addresses) line(" match address local " + ip(a));
    for (const auto& r : p.proposals) line(" proposal " + r.name);
    raw(p.other, 1);
    bang();
  }
  for (const auto& k : m_.keyrings) {
    line("crypto ikev2 keyring " + k.name);
    raw(k.other, 1);
    for (const auto& p : k.peers) {
      line(" peer " + p.name);
      if (!p.hostname.empty()) line("  hostname " + p.hostname);
      if (p.address) line("  address " + ip(*p.address) + (p.netmask ? " " + dotted(*p.netmask) : ""));
      if (!p.identity.empty()) line("  identity " + p.identity);
      if (p.key.is_set()) line("  pre-shared-key " + secret(p.key));
      if (p.local_key.is_set()) line("  pre-shared-key local " + secret(p.local_key));
      if (p.remote_key.is_set()) line("  pre-shared-key remote " + secret(p.remote_key));
      raw(p.other, 2);
      line(" !");
    }
    bang();
  }
  for (const auto& p : m_.ikev2_profiles) {
    line("crypto ikev2 profile " + p.name);
    for (const auto& mi : p.match_remote) {
      if (mi.type == "address") line(" match identity remote address " + ip(*mi.address) + " " + dotted(mi.netmask));
      else line(" match identity remote " + mi.type + " " + mi.value);
    }
    if (!p.identity_local.empty()) {
      std::string s = " identity local";
      for (const auto& w : p.identity_local) s += " " + w;
      line(s);
    }
    static constexpr std::string_view kAuth[] = {"pre-share", "rsa-sig", "eap", "ecdsa-sig"};
    for (auto a : p.auth_remote) line(" authentication remote " + std::string(kAuth[static_cast<int>(a)]));
    for (auto a : p.auth_local) line(" authentication local " + std::string(kAuth[static_cast<int>(a)]));
    if (p.keyring) line(" keyring local " + p.keyring->name);
    raw(p.other, 1);
    bang();
  }
  for (const auto& ts : m_.transform_sets) {
    line("crypto ipsec transform-set " + ts.name + transforms(ts));
    line(ts.mode == IpsecMode::Tunnel ? " mode tunnel" : " mode transport");
    raw(ts.other, 1);
  }
  if (!m_.transform_sets.empty()) bang();
  for (const auto& p : m_.ipsec_profiles) {
    line("crypto ipsec profile " + p.name);
    if (!p.transform_sets.empty()) {
      std::string s = " set transform-set";
      for (const auto& r : p.transform_sets) s += " " + r.name;
      line(s);
    }
    if (p.pfs) line(" " + (*p.pfs == DhGroup::MODP_768 ? std::string("set pfs") : pfs(*p.pfs)));
    if (p.lifetime.seconds) line(" set security-association lifetime seconds " + std::to_string(*p.lifetime.seconds));
    if (p.lifetime.kilobytes_unlimited) line(" set security-association lifetime kilobytes unlimited");
    else if (p.lifetime.kilobytes) line(" set security-association lifetime kilobytes " + std::to_string(*p.lifetime.kilobytes));
    if (p.ikev2_profile) line(" set ikev2-profile " + p.ikev2_profile->name);
    raw(p.other, 1);
    bang();
  }
  kept(Section::Crypto);
  for (const auto& d : m_.dynamic_maps) {
    for (const auto& e : d.entries) {
      line("crypto dynamic-map " + d.name + " " + std::to_string(e.sequence));
      for (const auto& l : map_lines(e)) line(" " + l);
    }
    bang();
  }
  for (const auto& c : m_.crypto_maps) {
    for (const auto& e : c.entries) {
      std::string head = "crypto map " + c.name + " " + std::to_string(e.sequence);
      if (e.ipsec_isakmp) head += " ipsec-isakmp";
      if (e.dynamic_map) head += " dynamic " + e.dynamic_map->name;
      line(head);
      for (const auto& l : map_lines(e)) line(" " + l);
    }
    bang();
  }
  for (const auto& i : m_.interfaces) {
    line("interface " + i.name);
    switch (i.address_mode) {
      case Interface::AddressMode::Static: line(" ip address " + ip(i.address) + " " + dotted(i.netmask)); break;
      case Interface::AddressMode::Dhcp: line(" ip address dhcp"); break;
      case Interface::AddressMode::NoAddress: line(" no ip address"); break;
      case Interface::AddressMode::None: break;
    }
    raw(i.other, 1);
    if (i.shutdown) line(" shutdown");
    if (i.crypto_map) line(" crypto map " + i.crypto_map->name);
    bang();
  }
  kept(Section::Interfaces);
  kept(Section::Objects);
  kept(Section::AccessLists);
  for (const auto& acl : m_.access_lists) {
    bool standard = acl.kind == AccessList::Kind::Standard;
    if (acl.numbered) {
      for (const auto& e : acl.entries) line("access-list " + acl.name + " " + entry(e, standard));
      continue;
    }
    line(std::string("ip access-list ") + (standard ? "standard " : "extended ") + acl.name);
    for (const auto& e : acl.entries)
      line(" " + (e.sequence ? std::to_string(*e.sequence) + " " : "") + entry(e, standard));
  }
  bang();
  kept(Section::Management);
  kept(Section::Webvpn);
  kept(Section::Trailer);
  bang();
  line("end");
  return std::move(out_);
}

}  // namespace

std::string print_running_config(const Model& m) { return Printer(m).run(); }

std::string acl_entry_text(const Model& m, const AclEntry& e) {
  return Printer(m).entry(e, false);
}

}  // namespace ikegate::config
