#include "config/parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "config/parser_impl.h"
#include "config/validate.h"

namespace ikegate::config {

namespace detail {

// ---------------------------------------------------------------------------------------------
// Words

std::optional<std::uint32_t> parse_dotted(std::string_view w) {
  std::uint32_t value = 0;
  int parts = 0;
  std::size_t i = 0;
  while (parts < 4) {
    std::size_t start = i;
    unsigned octet = 0;
    while (i < w.size() && std::isdigit(static_cast<unsigned char>(w[i])) && i - start < 3) {
      octet = octet * 10 + static_cast<unsigned>(w[i] - '0');
      ++i;
    }
    if (i == start || octet > 255) return std::nullopt;
    value = (value << 8) | octet;
    ++parts;
    if (parts < 4) {
      if (i >= w.size() || w[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != w.size()) return std::nullopt;
  return value;
}

std::optional<IpAddress> parse_ipv4(std::string_view w) {
  auto v = parse_dotted(w);
  if (!v) return std::nullopt;
  return IpAddress::v4(*v);
}

std::optional<long long> parse_number(std::string_view w, long long lo, long long hi) {
  long long v = 0;
  if (w.empty() || w.size() > 18) return std::nullopt;
  auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
  if (ec != std::errc() || p != w.data() + w.size() || v < lo || v > hi) return std::nullopt;
  return v;
}


namespace {


// ---------------------------------------------------------------------------------------------
// Kept blocks: sub-commands known by their first word.

const KeptBlock kWebvpn{"webvpn",
                        {"enable", "anyconnect", "anyconnect-essentials", "tunnel-group-list",
                         "csd", "hostscan", "cache", "error-recovery", "keepout", "port", "dtls",
                         "url-list", "svc", "apcf", "auto-signon", "certificate-group-map",
                         "character-encoding", "cookies-enabled", "default-idle-timeout",
                         "http-proxy", "https-proxy", "internal-password", "logout-page",
                         "onscreen-keyboard", "portal-access-rule", "rewrite", "smart-tunnel",
                         "tunnel-group-preference", "user-agent", "no"},
                        {}};
const KeptBlock kClassMap{"class-map", {"match", "description"}, {}};
const KeptBlock kPolicyClass{"class", {"inspect", "set", "police", "priority", "shape",
                                       "service-policy", "drop", "user-statistics", "sfr"}, {}};
const KeptBlock kParameters{"parameters", {"message-length", "dns-guard", "protocol-enforcement",
                                           "nat-rewrite", "id-randomization", "id-mismatch",
                                           "tsig", "strict-header-validation"}, {}};
const KeptBlock kPolicyMap{"policy-map", {"class", "description", "parameters", "match"},
                           {{"class", &kPolicyClass}, {"parameters", &kParameters}}};
const KeptBlock kLine{"line", {"password", "login", "transport", "exec-timeout", "logging",
                               "stopbits", "privilege", "access-class", "session-timeout",
                               "history", "length", "width", "speed", "flowcontrol", "exec",
                               "no", "autoselect", "modem", "absolute-timeout", "rotary"}, {}};
const KeptBlock kRouter{"router", {"network", "neighbor", "redistribute", "passive-interface",
                                   "router-id", "default-information", "auto-summary", "no",
                                   "area", "version", "distance", "maximum-paths", "log-adjacency-changes",
                                   "bgp", "address-family", "timers", "eigrp", "metric"}, {}};
const KeptBlock kCallHome{"call-home", {"profile", "contact-email-addr", "alert-group",
                                        "destination", "subscribe-to-alert-group",
                                        "active", "no"}, {}};
const KeptBlock kEmpty{"", {}, {}};

}  // namespace

struct KeptGlobal {
  std::string_view prefix;  // space-separated first words
  Section section;
  const KeptBlock* block;
};

namespace {

// Commands in the seeds' configurations (and their usual neighbours) that ikegate keeps as
// written without a warning.
const KeptGlobal kAsaKept[] = {
    {"enable", Section::Header, nullptr},
    {"passwd", Section::Header, nullptr},
    {"names", Section::Header, nullptr},
    {"name", Section::Header, nullptr},
    {"domain-name", Section::Header, nullptr},
    {"boot", Section::Header, nullptr},
    {"banner", Section::Header, nullptr},
    {"terminal", Section::Header, nullptr},
    {"clock", Section::Header, nullptr},
    {"firewall", Section::Header, nullptr},
    {"xlate", Section::Header, nullptr},
    {"ftp", Section::Interfaces, nullptr},
    {"dns", Section::Interfaces, nullptr},
    {"dns-guard", Section::Interfaces, nullptr},
    {"same-security-traffic", Section::Interfaces, nullptr},
    {"pager", Section::AccessLists, nullptr},
    {"logging", Section::AccessLists, nullptr},
    {"mtu", Section::AccessLists, nullptr},
    {"failover", Section::AccessLists, nullptr},
    {"monitor-interface", Section::AccessLists, nullptr},
    {"icmp", Section::AccessLists, nullptr},
    {"asdm", Section::AccessLists, nullptr},
    {"arp", Section::AccessLists, nullptr},
    {"nat", Section::AccessLists, nullptr},
    {"global", Section::AccessLists, nullptr},
    {"static", Section::AccessLists, nullptr},
    {"access-group", Section::AccessLists, nullptr},
    {"route", Section::AccessLists, nullptr},
    {"router", Section::AccessLists, &kRouter},
    {"timeout", Section::AccessLists, nullptr},
    {"dynamic-access-policy-record", Section::AccessLists, nullptr},
    {"aaa-server", Section::AccessLists, nullptr},
    {"aaa", Section::AccessLists, nullptr},
    {"user-identity", Section::AccessLists, nullptr},
    {"http", Section::AccessLists, nullptr},
    {"snmp-server", Section::AccessLists, nullptr},
    {"sysopt", Section::AccessLists, nullptr},
    {"service", Section::AccessLists, nullptr},
    {"ip verify", Section::AccessLists, nullptr},
    {"ip audit", Section::AccessLists, nullptr},
    {"ipv6", Section::AccessLists, nullptr},
    {"crypto ipsec security-association", Section::Crypto, nullptr},
    {"crypto ipsec df-bit", Section::Crypto, nullptr},
    {"crypto ipsec fragmentation", Section::Crypto, nullptr},
    {"crypto ca certificate", Section::Crypto, nullptr},
    {"crypto ca trustpool", Section::Crypto, nullptr},
    {"crypto isakmp identity", Section::Crypto, nullptr},
    {"crypto isakmp nat-traversal", Section::Crypto, nullptr},
    {"crypto ikev1 am-disable", Section::Crypto, nullptr},
    {"crypto isakmp am-disable", Section::Crypto, nullptr},
    {"telnet", Section::Management, nullptr},
    {"ssh", Section::Management, nullptr},
    {"console", Section::Management, nullptr},
    {"management-access", Section::Management, nullptr},
    {"vpdn", Section::Management, nullptr},
    {"dhcpd", Section::Management, nullptr},
    {"dhcprelay", Section::Management, nullptr},
    {"threat-detection", Section::Management, nullptr},
    {"ntp", Section::Management, nullptr},
    {"ssl", Section::Management, nullptr},
    {"tftp-server", Section::Management, nullptr},
    {"vpn-sessiondb", Section::Management, nullptr},
    {"webvpn", Section::Webvpn, &kWebvpn},
    {"class-map", Section::Trailer, &kClassMap},
    {"policy-map", Section::Trailer, &kPolicyMap},
    {"service-policy", Section::Trailer, nullptr},
    {"prompt", Section::Trailer, nullptr},
    {"call-home", Section::Trailer, &kCallHome},
    {"jumbo-frame", Section::Trailer, nullptr},
};

const KeptGlobal kIosKept[] = {
    {"service", Section::Services, nullptr},
    {"boot-start-marker", Section::Header, nullptr},
    {"boot-end-marker", Section::Header, nullptr},
    {"boot", Section::Header, nullptr},
    {"enable", Section::Header, nullptr},
    {"aaa", Section::Header, nullptr},
    {"resource", Section::Header, nullptr},
    {"memory-size", Section::Header, nullptr},
    {"clock", Section::Header, nullptr},
    {"ip cef", Section::Header, nullptr},
    {"ip domain", Section::Header, nullptr},
    {"ip domain-name", Section::Header, nullptr},
    {"ip name-server", Section::Header, nullptr},
    {"ip subnet-zero", Section::Header, nullptr},
    {"ip auth-proxy", Section::Header, nullptr},
    {"ip admission", Section::Header, nullptr},
    {"ip audit", Section::Header, nullptr},
    {"ip dhcp", Section::Header, nullptr},
    {"ipv6", Section::Header, nullptr},
    {"multilink", Section::Header, nullptr},
    {"license", Section::Header, nullptr},
    {"username", Section::Header, nullptr},
    {"archive", Section::Header, nullptr},
    {"redundancy", Section::Header, nullptr},
    {"security", Section::Header, nullptr},
    {"spanning-tree", Section::Header, nullptr},
    {"vtp", Section::Header, nullptr},
    {"crypto pki", Section::Crypto, nullptr},
    {"crypto ca", Section::Crypto, nullptr},
    {"crypto isakmp keepalive", Section::Crypto, nullptr},
    {"crypto isakmp nat", Section::Crypto, nullptr},
    {"crypto isakmp invalid-spi-recovery", Section::Crypto, nullptr},
    {"crypto ikev2 dpd", Section::Crypto, nullptr},
    {"crypto ikev2 nat", Section::Crypto, nullptr},
    {"crypto logging", Section::Crypto, nullptr},
    {"crypto ipsec security-association", Section::Crypto, nullptr},
    {"crypto ipsec df-bit", Section::Crypto, nullptr},
    {"crypto ipsec nat-transparency", Section::Crypto, nullptr},
    {"router", Section::AccessLists, &kRouter},
    {"ip forward-protocol", Section::AccessLists, nullptr},
    {"ip http", Section::AccessLists, nullptr},
    {"ip route", Section::AccessLists, nullptr},
    {"ip nat", Section::AccessLists, nullptr},
    {"ip classless", Section::AccessLists, nullptr},
    {"ip ssh", Section::AccessLists, nullptr},
    {"ip scp", Section::AccessLists, nullptr},
    {"ip prefix-list", Section::AccessLists, nullptr},
    {"logging", Section::AccessLists, nullptr},
    {"snmp-server", Section::AccessLists, nullptr},
    {"tacacs-server", Section::AccessLists, nullptr},
    {"radius-server", Section::AccessLists, nullptr},
    {"control-plane", Section::Management, &kEmpty},
    {"line", Section::Management, &kLine},
    {"banner", Section::Management, nullptr},
    {"scheduler", Section::Management, nullptr},
    {"ntp", Section::Management, nullptr},
    {"alias", Section::Management, nullptr},
    {"privilege", Section::Management, nullptr},
    {"call-home", Section::Trailer, &kCallHome},
};

bool prefix_matches(std::string_view prefix, const std::vector<std::string>& w) {
  std::size_t i = 0;
  while (!prefix.empty()) {
    auto sp = prefix.find(' ');
    std::string_view word = prefix.substr(0, sp);
    if (i >= w.size() || w[i] != word) return false;
    ++i;
    prefix = sp == std::string_view::npos ? std::string_view() : prefix.substr(sp + 1);
  }
  return true;
}

}  // namespace

const KeptGlobal* find_kept(Dialect d, const std::vector<std::string>& w) {
  const KeptGlobal* best = nullptr;
  std::size_t best_len = 0;
  auto scan = [&](std::span<const KeptGlobal> table) {
    for (const auto& k : table)
      if (prefix_matches(k.prefix, w) && k.prefix.size() > best_len) {
        best = &k;
        best_len = k.prefix.size();
      }
  };
  if (d == Dialect::Asa)
    scan(kAsaKept);
  else
    scan(kIosKept);
  return best;
}

// ---------------------------------------------------------------------------------------------
// The engine

Parser::Parser(Dialect dialect, bool strict) : dialect_(dialect), strict_(strict) {
  model.dialect = dialect;
  stack_.push_back(Frame{});
}

void Parser::error(const Line& l, std::string message) {
  diagnostics.push_back({Severity::Error, l.number, std::move(message)});
}
void Parser::warning(const Line& l, std::string message) {
  diagnostics.push_back({Severity::Warning, l.number, std::move(message)});
}
void Parser::unknown(const Line& l, std::string_view where) {
  std::string m = "unknown command '" + redact_words(l.words, 3) + "'";
  if (!where.empty()) m += " in " + std::string(where);
  m += strict_ ? "; expected a command ikegate understands (--strict)"
               : "; kept as written, ikegate does not act on it";
  diagnostics.push_back({strict_ ? Severity::Error : Severity::Warning, l.number, std::move(m)});
}

void Parser::push(Frame f) { stack_.push_back(f); }

std::string_view mode_name(Mode m) {
  switch (m) {
    case Mode::Global: return "global configuration";
    case Mode::Interface: return "interface mode";
    case Mode::AsaIkev2Policy: return "crypto ikev2 policy mode";
    case Mode::IpsecProposal: return "ipsec-proposal mode";
    case Mode::IsakmpPolicy: return "crypto isakmp policy mode";
    case Mode::TunnelIpsec: return "tunnel-group ipsec-attributes mode";
    case Mode::TunnelGeneral: return "tunnel-group general-attributes mode";
    case Mode::TunnelWebvpn: return "tunnel-group webvpn-attributes mode";
    case Mode::GroupPolicyAttributes: return "group-policy attributes mode";
    case Mode::UserAttributes: return "username attributes mode";
    case Mode::Trustpoint: return "crypto ca trustpoint mode";
    case Mode::TrustpointCrl: return "crl configure mode";
    case Mode::ObjectNetwork: return "object network mode";
    case Mode::ObjectGroupNetwork: return "object-group network mode";
    case Mode::OtherObject: return "object mode";
    case Mode::TransformSet: return "transform-set mode";
    case Mode::IosIkev2Proposal: return "crypto ikev2 proposal mode";
    case Mode::IosIkev2Policy: return "crypto ikev2 policy mode";
    case Mode::Keyring: return "crypto ikev2 keyring mode";
    case Mode::KeyringPeer: return "keyring peer mode";
    case Mode::Ikev2Profile: return "crypto ikev2 profile mode";
    case Mode::IpsecProfile: return "crypto ipsec profile mode";
    case Mode::CryptoMapEntry: return "crypto map mode";
    case Mode::IosAcl: return "access-list mode";
    case Mode::Kept: return "a kept block";
  }
  return "";
}

RawCommand& Parser::keep(std::vector<RawCommand>& where, const Line& l) {
  where.push_back(RawCommand{Loc{l.number}, join_words(l.words), {}});
  return where.back();
}

void Parser::keep_block(std::vector<RawCommand>& where, const Line& l, const KeptBlock* block) {
  RawCommand& r = keep(where, l);
  Frame f;
  f.mode = Mode::Kept;
  f.indent = l.indent;
  f.kept = &r.children;
  f.block = block;
  push(f);
}

void Parser::keep_global(const Line& l, Section s, const KeptBlock* block) {
  keep_block(model.kept[static_cast<int>(s)], l, block);
}

void Parser::feed(const Line& l) {
  if (l.after_separator) close_to(0);
  // Innermost block first, as the device does.
  for (std::size_t fi = stack_.size() - 1; fi >= 1; --fi) {
    Frame& f = stack_[fi];
    bool indented_block = f.child_indent > f.indent;
    if (indented_block && l.indent <= f.indent) continue;
    if (sub_command(fi, l, false)) {
      if (f.child_indent < 0) f.child_indent = l.indent;
      sub_command(fi, l, true);
      return;
    }
  }
  // A line at a block's own indentation that is no global command either: the device would
  // still take it in the sub-mode (the seeds lose indentation at page breaks).
  if (!is_global_command(l)) {
    for (std::size_t fi = stack_.size() - 1; fi >= 1; --fi) {
      if (sub_command(fi, l, false)) {
        sub_command(fi, l, true);
        return;
      }
    }
  }
  // An indented line no block takes belongs, kept as written, to the block above it.
  if (l.indent > 0 && stack_.size() > 1) {
    std::size_t fi = stack_.size() - 1;
    while (fi >= 1 && stack_[fi].indent >= l.indent) --fi;
    if (fi >= 1) {
      Frame& f = stack_[fi];
      if (f.child_indent < 0) f.child_indent = l.indent;
      close_to(fi);
      if (f.mode != Mode::Kept) unknown(l, mode_name(f.mode));
      if (f.kept != nullptr) {
        keep_block(*f.kept, l, nullptr);
      }
      return;
    }
  }
  close_to(0);
  global(l);
}

void Parser::finish() {
  close_to(0);
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
}

bool Parser::sub_command(std::size_t fi, const Line& l, bool apply) {
  if (stack_[fi].mode == Mode::Kept) return kept_sub(fi, l, apply);
  return dialect_ == Dialect::Asa ? asa_sub(fi, l, apply) : ios_sub(fi, l, apply);
}

bool Parser::kept_sub(std::size_t fi, const Line& l, bool apply) {
  const KeptBlock* b = stack_[fi].block;
  if (b == nullptr || l.words.empty()) return false;
  const std::string& w0 = l.words[0];
  if (std::find(b->children.begin(), b->children.end(), w0) == b->children.end()) return false;
  if (!apply) return true;
  close_to(fi);
  const KeptBlock* nested = nullptr;
  for (const auto& [word, blk] : b->nested)
    if (word == w0) nested = blk;
  keep_block(*stack_[fi].kept, l, nested);
  return true;
}

void Parser::global(const Line& l) {
  const auto& w = l.words;
  // Device banners that are not commands.
  if ((w[0] == "ASA" || w[0] == "PIX") && w.size() >= 2 && w[1] == "Version") {
    model.version = join_words(w);
    return;
  }
  if (w[0] == "version" && dialect_ == Dialect::Ios) {
    model.version = join_words(w);
    return;
  }
  if (shared_global(l)) return;
  if (dialect_ == Dialect::Asa ? asa_global(l) : ios_global(l)) return;
  if (keep_known_global(l)) return;
  unknown(l, "");
  keep_global(l, Section::Trailer, nullptr);
}

bool Parser::is_global_command(const Line& l) const {
  static constexpr std::string_view kAsa[] = {"hostname", "interface", "access-list", "object", "object-group",
                                              "crypto", "tunnel-group", "group-policy", "username", "ip",
                                              "ASA", "PIX", "no"};
  static constexpr std::string_view kIos[] = {"hostname", "interface", "ip", "access-list", "crypto", "version", "no"};
  const std::string& w0 = l.words[0];
  if (dialect_ == Dialect::Asa ? std::find(std::begin(kAsa), std::end(kAsa), w0) != std::end(kAsa)
                               : std::find(std::begin(kIos), std::end(kIos), w0) != std::end(kIos))
    return true;
  return find_kept(dialect_, l.words) != nullptr;
}

bool Parser::keep_known_global(const Line& l) {
  const auto& w = l.words;
  if (w[0] == "no" && w.size() > 1) {
    std::vector<std::string> rest(w.begin() + 1, w.end());
    const KeptGlobal* k = find_kept(dialect_, rest);
    keep_global(l, k ? k->section : (dialect_ == Dialect::Asa ? Section::AccessLists : Section::Header));
    return true;
  }
  const KeptGlobal* k = find_kept(dialect_, w);
  if (k == nullptr) return false;
  keep_global(l, k->section, k->block);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Commands and sub-commands both dialects share

bool Parser::shared_global(const Line& l) {
  const auto& w = l.words;
  Args a(l, 1);
  if (w[0] == "hostname") {
    if (w.size() != 2) {
      error(l, "'hostname' takes one name; expected 'hostname NAME'");
      return true;
    }
    model.hostname = w[1];
    return true;
  }
  if (w[0] == "interface") {
    if (w.size() < 2) {
      error(l, "'interface' needs an interface name; expected 'interface GigabitEthernet0/0'");
      return true;
    }
    std::string name = join_words(w, 1);
    auto it = std::find_if(model.interfaces.begin(), model.interfaces.end(),
                           [&](const Interface& i) { return i.name == name; });
    if (it == model.interfaces.end()) {
      model.interfaces.push_back(Interface{Loc{l.number}, name});
      it = model.interfaces.end() - 1;
    }
    Frame f;
    f.mode = Mode::Interface;
    f.indent = l.indent;
    f.index = static_cast<std::size_t>(it - model.interfaces.begin());
    f.kept = &it->other;
    push(f);
    return true;
  }
  bool negated = w[0] == "no" && w.size() >= 4 && w[1] == "crypto";
  std::size_t c = negated ? 1 : 0;
  if (w.size() >= c + 3 && w[c] == "crypto" && w[c + 1] == "ikev2" && w[c + 2] == "fragmentation") {
    Ikev2Fragmentation f;
    f.loc = Loc{l.number};
    f.enabled = !negated;
    Args b(l, c + 3);
    if (!negated && b.accept("mtu")) {
      auto mtu = parse_number(b.next(), 68, 1500);
      if (!mtu) {
        error(l, "the fragmentation MTU is not valid; expected 'crypto ikev2 fragmentation mtu N' with N from 68 to 1500");
        return true;
      }
      f.mtu = static_cast<std::uint16_t>(*mtu);
    }
    if (!b.done()) {
      error(l, "unexpected '" + std::string(b.peek()) + "'; expected 'crypto ikev2 fragmentation [mtu N]'");
      return true;
    }
    model.ikev2_fragmentation = f;
    return true;
  }
  if (dialect_ == Dialect::Ios && w.size() == c + 4 && w[c] == "crypto" && w[c + 1] == "isakmp" && w[c + 2] == "default" &&
      w[c + 3] == "policy") {
    model.isakmp_default_policy = !negated;
    return true;
  }
  if (w[0] == "crypto" && w.size() >= 3 &&
      ((w[1] == "isakmp" && w[2] == "policy") || (w[1] == "ikev1" && w[2] == "policy"))) {
    if (w[1] == "isakmp" && dialect_ == Dialect::Asa) model.asa_legacy_ikev1 = true;
    auto prio = w.size() == 4 ? parse_number(w[3], 1, 65535) : std::nullopt;
    if (!prio) {
      error(l, "'crypto " + w[1] + " policy' needs a priority; expected a number from 1 to 65535");
      return true;
    }
    auto& ps = model.isakmp_policies;
    auto it = std::find_if(ps.begin(), ps.end(), [&](const IsakmpPolicy& p) { return p.priority >= *prio; });
    if (it == ps.end() || it->priority != *prio) {
      IsakmpPolicy p;
      p.loc = Loc{l.number};
      p.priority = static_cast<int>(*prio);
      if (dialect_ == Dialect::Asa) {  // ASA: pre-share, 3des, sha, group 2, 86400
        p.encryption = Cipher{EncrId::TRIPLE_DES, 0};
        p.group = DhGroup::MODP_1024;
      } else {  // IOS: rsa-sig, des, sha, group 1, 86400
        p.authentication = Ikev1Auth::RsaSig;
        p.encryption = Cipher{EncrId::DES, 0};
        p.group = DhGroup::MODP_768;
      }
      it = ps.insert(it, std::move(p));
    }
    Frame f;
    f.mode = Mode::IsakmpPolicy;
    f.indent = l.indent;
    f.index = static_cast<std::size_t>(it - ps.begin());
    f.kept = &it->other;
    push(f);
    return true;
  }
  return false;
}

ConfigSecret Parser::take_secret(Args& a, const Line& l, std::string_view what) {
  ConfigSecret s;
  s.loc = Loc{l.number};
  // IOS key types: 0 = clear text, 6 = AES-encrypted, 7 = Vigenere-obscured.
  std::string_view type;
  if (a.peek() == "0" || a.peek() == "6" || a.peek() == "7") {
    if (!a.peek(1).empty()) type = a.next();
  }
  if (a.done()) {
    error(l, std::string(what) + " is missing; expected the key after the keyword");
    return s;
  }
  std::string_view k = a.next();
  if (!k.empty() && k.find_first_not_of('*') == std::string_view::npos) {
    s.state = ConfigSecret::State::Masked;
    warning(l, std::string(what) + " is masked ('" + std::string(k) +
                   "'); the tunnel cannot authenticate until a real key is set");
    return s;
  }
  if (type == "6" || type == "7") {
    s.state = ConfigSecret::State::Encrypted;
    s.value = SecretBytes(as_bytes(k));
    warning(l, std::string(what) + " is stored encrypted (type " + std::string(type) +
                   "); ikegate cannot use it, set the key in clear text");
    return s;
  }
  s.state = ConfigSecret::State::Clear;
  s.value = SecretBytes(as_bytes(k));
  return s;
}

template <class T>
bool Parser::parse_list(std::vector<T>& out, std::span<const Keyword<T>> table, Args& a,
                        const Line& l, std::string_view what) {
  if (a.done()) {
    error(l, std::string(what) + " needs at least one algorithm; expected one or more of " +
                 words_of(table));
    return false;
  }
  std::vector<T> values;
  while (!a.done()) {
    std::string_view w = a.next();
    auto v = lookup(table, w);
    if (!v) {
      error(l, "unknown " + std::string(what) + " '" + std::string(w) + "'; expected one of " +
                   words_of(table));
      return false;
    }
    if (std::find(values.begin(), values.end(), *v) == values.end()) values.push_back(*v);
  }
  out = std::move(values);
  return true;
}

template bool Parser::parse_list<Cipher>(std::vector<Cipher>&, std::span<const Keyword<Cipher>>,
                                         Args&, const Line&, std::string_view);
template bool Parser::parse_list<IntegId>(std::vector<IntegId>&, std::span<const Keyword<IntegId>>,
                                          Args&, const Line&, std::string_view);
template bool Parser::parse_list<PrfId>(std::vector<PrfId>&, std::span<const Keyword<PrfId>>,
                                        Args&, const Line&, std::string_view);

void Parser::apply_isakmp_policy(IsakmpPolicy& p, Args& a, const Line& l) {
  std::string_view kw = a.next();
  bool ios = dialect_ == Dialect::Ios;
  if (kw == "authentication") {
    std::string_view v = a.next();
    if (v == "pre-share") p.authentication = Ikev1Auth::PreShare;
    else if (v == "rsa-sig") p.authentication = Ikev1Auth::RsaSig;
    else if (v == "rsa-encr" && ios) p.authentication = Ikev1Auth::RsaEncr;
    else if (v == "crack" && !ios) p.authentication = Ikev1Auth::Crack;
    else {
      error(l, "unknown authentication '" + std::string(v) + "'; expected pre-share or rsa-sig");
      return;
    }
  } else if ((kw == "encryption" && !ios) || (kw == "encr" && ios)) {
    std::string_view v = a.next();
    auto table = ios ? ios_ikev1_encryption() : asa_ikev1_encryption();
    auto c = lookup(table, v);
    if (!c) {
      error(l, "unknown encryption '" + std::string(v) + "'; expected one of " + words_of(table));
      return;
    }
    if (ios && c->id == EncrId::AES_CBC && !a.done()) {
      auto bits = parse_number(a.peek(), 128, 256);
      if (!bits || (*bits != 128 && *bits != 192 && *bits != 256)) {
        error(l, "AES key size '" + std::string(a.peek()) + "' is not valid; expected 128, 192 or 256");
        return;
      }
      a.next();
      c->key_bits = static_cast<std::uint16_t>(*bits);
    }
    p.encryption = *c;
  } else if (kw == "hash") {
    std::string_view v = a.next();
    auto h = lookup(ikev1_hash(), v);
    if (!h) {
      error(l, "unknown hash '" + std::string(v) + "'; expected one of " + words_of(ikev1_hash()));
      return;
    }
    p.hash = *h;
  } else if (kw == "group") {
    std::string_view v = a.next();
    auto g = dh_group_number(v);
    if (!g) {
      error(l, "unknown Diffie-Hellman group '" + std::string(v) +
                   "'; expected 1, 2, 5, 14, 15, 16, 19, 20, 21 or 31");
      return;
    }
    p.group = *g;
  } else if (kw == "lifetime") {
    std::string_view v = a.next();
    if (v == "none" && !ios) {
      p.lifetime_seconds.reset();
    } else if (auto n = parse_number(v, 60, 2147483647)) {
      p.lifetime_seconds = static_cast<std::uint32_t>(*n);
    } else {
      error(l, "lifetime '" + std::string(v) + "' is not valid; expected seconds from 60 to 2147483647");
      return;
    }
  }
  if (!a.done()) error(l, "unexpected '" + std::string(a.peek()) + "' at the end of the command; expected nothing more");
}

void Parser::apply_transform_words(TransformSet& ts, Args& a, const Line& l) {
  if (a.done()) {
    error(l, "transform-set '" + ts.name + "' has no transforms; expected e.g. 'esp-aes esp-sha-hmac'");
    return;
  }
  while (!a.done()) {
    std::string_view w = a.next();
    const TransformWord* t = find_transform(w);
    if (t == nullptr) {
      std::string all;
      for (const auto& x : transform_words()) all += (all.empty() ? "" : ", ") + std::string(x.word);
      error(l, "unknown transform '" + std::string(w) + "'; expected one of " + all);
      return;
    }
    switch (t->kind) {
      case TransformKind::EspEncryption: {
        Cipher c = t->cipher;
        if (t->takes_key_size) {
          if (auto bits = parse_number(a.peek(), 0, 99999)) {
            if (*bits != 128 && *bits != 192 && *bits != 256) {
              error(l, "AES key size '" + std::string(a.peek()) + "' is not valid; expected 128, 192 or 256");
              return;
            }
            a.next();
            c.key_bits = static_cast<std::uint16_t>(*bits);
          }
        }
        if (ts.esp_encryption) {
          error(l, "transform-set '" + ts.name + "' has two ESP encryption transforms; expected one");
          return;
        }
        ts.esp_encryption = c;
        break;
      }
      case TransformKind::EspIntegrity:
        if (ts.esp_integrity) {
          error(l, "transform-set '" + ts.name + "' has two ESP integrity transforms; expected one");
          return;
        }
        ts.esp_integrity = t->integ;
        break;
      case TransformKind::AhIntegrity:
        ts.ah_integrity = t->integ;
        break;
      case TransformKind::Compression:
        ts.compression = true;
        break;
    }
  }
  if (!ts.esp_encryption && !ts.ah_integrity)
    error(l, "transform-set '" + ts.name + "' has no ESP encryption; expected e.g. esp-aes");
}

std::optional<DhGroup> Parser::parse_pfs_group(std::string_view w, const Line& l) {
  if (w.starts_with("group")) {
    if (auto g = dh_group_number(w.substr(5))) return g;
  }
  error(l, "unknown PFS group '" + std::string(w) + "'; expected group1, group2, group5, group14, "
           "group15, group16, group19, group20, group21 or group31");
  return std::nullopt;
}

// ASA: `set [ikev1] phase1-mode main | aggressive [group1 | group2 | group5]`.
bool Parser::parse_phase1_mode(CryptoMapEntry& e, Args& a, const Line& l, std::string_view prefix) {
  std::string_view mode = a.next();
  if (mode == "main") {
    e.phase1_aggressive = false;
    e.phase1_group.reset();
    return true;
  }
  if (mode != "aggressive") {
    error(l, std::string(prefix) + "set ikev1 phase1-mode '" + std::string(mode) +
                 "' is not a mode; expected 'main' or 'aggressive [group1 | group2 | group5]'");
    return false;
  }
  e.phase1_aggressive = true;
  e.phase1_group.reset();
  if (a.done()) return true;
  std::string_view g = a.next();
  if (g == "group1") e.phase1_group = DhGroup::MODP_768;
  else if (g == "group2") e.phase1_group = DhGroup::MODP_1024;
  else if (g == "group5") e.phase1_group = DhGroup::MODP_1536;
  else {
    error(l, std::string(prefix) + "set ikev1 phase1-mode aggressive: group '" + std::string(g) +
                 "' is not valid; expected group1, group2 or group5");
    return false;
  }
  return true;
}

bool Parser::parse_lifetime(Lifetime& lt, Args& a, const Line& l) {
  // security-association lifetime seconds N | kilobytes N | kilobytes unlimited
  std::string_view unit = a.next();
  std::string_view v = a.next();
  if (unit == "seconds") {
    auto n = parse_number(v, 120, 2147483647);
    if (!n) {
      error(l, "lifetime seconds '" + std::string(v) + "' is not valid; expected 120 to 2147483647");
      return false;
    }
    lt.seconds = static_cast<std::uint32_t>(*n);
    return true;
  }
  if (unit == "kilobytes") {
    if (v == "unlimited") {
      lt.kilobytes_unlimited = true;
      lt.kilobytes.reset();
      return true;
    }
    auto n = parse_number(v, 10, 2147483647);
    if (!n) {
      error(l, "lifetime kilobytes '" + std::string(v) + "' is not valid; expected 10 to 2147483647 or unlimited");
      return false;
    }
    lt.kilobytes = static_cast<std::uint64_t>(*n);
    lt.kilobytes_unlimited = false;
    return true;
  }
  error(l, "unknown lifetime unit '" + std::string(unit) + "'; expected seconds or kilobytes");
  return false;
}

CryptoMap& Parser::map_named(std::vector<CryptoMap>& maps, std::string_view name, const Line& l) {
  auto it = std::find_if(maps.begin(), maps.end(), [&](const CryptoMap& m) { return m.name == name; });
  if (it != maps.end()) return *it;
  maps.push_back(CryptoMap{Loc{l.number}, std::string(name), {}, {}});
  return maps.back();
}

CryptoMapEntry& Parser::map_entry(CryptoMap& m, int seq, const Line& l) {
  auto it = std::find_if(m.entries.begin(), m.entries.end(),
                         [&](const CryptoMapEntry& e) { return e.sequence >= seq; });
  if (it != m.entries.end() && it->sequence == seq) return *it;
  CryptoMapEntry e;
  e.loc = Loc{l.number};
  e.sequence = seq;
  return *m.entries.insert(it, std::move(e));
}

void Parser::apply_map_command(CryptoMapEntry& e, Args& a, const Line& l, std::string_view prefix) {
  std::size_t start = a.pos();
  auto keep_other = [&] {
    Args b(l, start);
    e.other.push_back(join_words(b.rest()));
  };
  std::string_view kw = a.next();
  if (kw == "match") {
    if (a.next() != "address" || a.done()) {
      error(l, std::string(prefix) + "match needs an access-list; expected 'match address ACL'");
      return;
    }
    e.match_address = Ref{std::string(a.next()), Loc{l.number}};
  } else if (kw == "description" && dialect_ == Dialect::Ios) {
    Args b(l, a.pos());
    e.description = join_words(b.rest());
    return;
  } else if (kw == "set") {
    std::string_view what = a.next();
    if (what == "peer") {
      if (a.done()) {
        error(l, std::string(prefix) + "set peer needs an address; expected 'set peer A.B.C.D'");
        return;
      }
      std::vector<Peer> peers;
      while (!a.done()) {
        std::string_view p = a.next();
        if (p == "default" && dialect_ == Dialect::Ios) continue;
        Peer peer{Loc{l.number}, parse_ipv4(p), {}};
        if (!peer.address) {
          if (std::isdigit(static_cast<unsigned char>(p[0]))) {
            error(l, "peer '" + std::string(p) + "' is not a valid address; expected A.B.C.D or a host name");
            return;
          }
          peer.hostname = std::string(p);
        }
        peers.push_back(std::move(peer));
      }
      if (dialect_ == Dialect::Ios) {  // IOS adds peers one command at a time
        for (auto& p : peers) e.peers.push_back(std::move(p));
      } else {
        e.peers = std::move(peers);
      }
    } else if (what == "ikev2" && a.peek() == "ipsec-proposal") {
      a.next();
      if (a.done()) {
        error(l, std::string(prefix) + "set ikev2 ipsec-proposal needs a name; expected up to 11 proposal names");
        return;
      }
      e.ikev2_proposals.clear();
      while (!a.done()) e.ikev2_proposals.push_back(Ref{std::string(a.next()), Loc{l.number}});
    } else if (what == "transform-set" || (what == "ikev1" && a.peek() == "transform-set")) {
      if (what == "ikev1") a.next();
      else if (dialect_ == Dialect::Asa) model.asa_legacy_ikev1 = true;
      if (a.done()) {
        error(l, std::string(prefix) + "set transform-set needs a name; expected one or more transform-set names");
        return;
      }
      e.transform_sets.clear();
      while (!a.done()) e.transform_sets.push_back(Ref{std::string(a.next()), Loc{l.number}});
    } else if (what == "ikev2-profile" && dialect_ == Dialect::Ios) {
      if (a.done()) {
        error(l, "set ikev2-profile needs a name; expected 'set ikev2-profile NAME'");
        return;
      }
      e.ikev2_profile = Ref{std::string(a.next()), Loc{l.number}};
    } else if (what == "pfs") {
      if (a.done()) {
        e.pfs = dialect_ == Dialect::Asa ? DhGroup::MODP_1024 : DhGroup::MODP_768;
      } else if (auto g = parse_pfs_group(a.next(), l)) {
        e.pfs = *g;
      } else {
        return;
      }
      e.pfs_loc = Loc{l.number};
    } else if (what == "security-association" && a.peek() == "lifetime") {
      a.next();
      if (!parse_lifetime(e.lifetime, a, l)) return;
    } else if (dialect_ == Dialect::Asa && (what == "phase1-mode" || (what == "ikev1" && a.peek() == "phase1-mode"))) {
      if (what == "ikev1") a.next();
      if (!parse_phase1_mode(e, a, l, prefix)) return;
    } else {
      unknown(l, "crypto map mode");
      keep_other();
      return;
    }
  } else {
    unknown(l, "crypto map mode");
    keep_other();
    return;
  }
  if (!a.done()) error(l, "unexpected '" + std::string(a.peek()) + "' at the end of the command; expected nothing more");
}

// ---------------------------------------------------------------------------------------------
// Access-list entries

namespace {
std::uint8_t port_bits(const Protocol& p) {
  if (p.kind != Protocol::Kind::Number) return 3;
  return p.number == 6 ? 1 : p.number == 17 ? 2 : 3;
}
}  // namespace

std::optional<AclEntry> Parser::parse_acl_entry(Args& a, const Line& l, bool standard) {
  AclEntry e;
  e.loc = Loc{l.number};
  bool asa = dialect_ == Dialect::Asa;
  std::string_view act = a.next();
  if (act == "permit") e.action = AclAction::Permit;
  else if (act == "deny") e.action = AclAction::Deny;
  else {
    error(l, "access-list action '" + std::string(act) + "' is not valid; expected permit, deny or remark");
    return std::nullopt;
  }

  auto parse_addr = [&](AddrMatch& m, std::string_view what) -> bool {
    std::string_view w = a.next();
    if (w == "any") {
      m.kind = AddrMatch::Kind::Any;
    } else if (w == "any4" && asa) {
      m.kind = AddrMatch::Kind::Any4;
    } else if (w == "any6" && asa) {
      m.kind = AddrMatch::Kind::Any6;
    } else if (w == "host") {
      std::string_view h = a.next();
      auto addr = IpAddress::parse(h);
      if (!addr) {
        error(l, std::string(what) + " host '" + std::string(h) + "' is not a valid address; expected A.B.C.D");
        return false;
      }
      m.kind = AddrMatch::Kind::Host;
      m.address = *addr;
    } else if (w == "object" && asa) {
      m.kind = AddrMatch::Kind::Object;
      m.ref = Ref{std::string(a.next()), Loc{l.number}};
    } else if (w == "object-group") {
      m.kind = AddrMatch::Kind::ObjectGroup;
      m.ref = Ref{std::string(a.next()), Loc{l.number}};
    } else if (w == "interface" && asa) {
      m.kind = AddrMatch::Kind::Interface;
      m.ref = Ref{std::string(a.next()), Loc{l.number}};
    } else if (auto addr = parse_ipv4(w)) {
      std::string_view mw = a.peek();
      auto mask = parse_dotted(mw);
      if (!mask) {
        if (standard && !asa) {  // IOS standard: a lone address is a host
          m.kind = AddrMatch::Kind::Host;
          m.address = *addr;
          return true;
        }
        error(l, std::string(what) + " " + std::string(w) + " needs a " + (asa ? "netmask" : "wildcard mask") +
                     "; expected '" + std::string(w) + (asa ? " 255.255.255.0'" : " 0.0.0.255'"));
        return false;
      }
      a.next();
      std::uint32_t netmask = asa ? *mask : ~*mask;
      if (!asa && *mask != 0 && netmask_to_prefix(*mask) && !netmask_to_prefix(~*mask)) {
        error(l, std::string(what) + " mask " + std::string(mw) + " is a netmask; expected a wildcard mask, e.g. '" +
                     std::string(w) + " " + IpAddress::v4(~*mask).to_string() + "'");
        return false;
      }
      if (asa && !netmask_to_prefix(netmask)) {
        error(l, std::string(what) + " netmask " + std::string(mw) +
                     " is not contiguous; expected a netmask such as 255.255.255.0");
        return false;
      }
      if ((addr->v4_value() & ~netmask) != 0) {
        error(l, std::string(what) + " " + std::string(w) + " has bits outside its mask " + std::string(mw) +
                     "; expected the network address " + IpAddress::v4(addr->v4_value() & netmask).to_string());
        return false;
      }
      m.kind = AddrMatch::Kind::Subnet;
      m.address = *addr;
      m.netmask = netmask;
    } else {
      error(l, std::string(what) + " '" + std::string(w) + "' is not an address; expected any, host A.B.C.D, " +
                   (asa ? "A.B.C.D MASK, object NAME or object-group NAME" : "A.B.C.D WILDCARD or object-group NAME"));
      return false;
    }
    if (m.ref.name.empty() && (m.kind == AddrMatch::Kind::Object || m.kind == AddrMatch::Kind::ObjectGroup ||
                               m.kind == AddrMatch::Kind::Interface)) {
      error(l, std::string(what) + " names no object; expected a name after the keyword");
      return false;
    }
    return true;
  };

  auto parse_ports = [&](PortMatch& pm) -> bool {
    bool ports_allowed = e.protocol.kind != Protocol::Kind::Number || e.protocol.number == 6 ||
                         e.protocol.number == 17 || e.protocol.number == 132;
    std::string_view w = a.peek();
    auto op_of = [](std::string_view s) -> std::optional<PortMatch::Op> {
      if (s == "eq") return PortMatch::Op::Eq;
      if (s == "neq") return PortMatch::Op::Neq;
      if (s == "lt") return PortMatch::Op::Lt;
      if (s == "gt") return PortMatch::Op::Gt;
      if (s == "range") return PortMatch::Op::Range;
      return std::nullopt;
    };
    if (w == "object-group") {
      // A service group, or the next address's network group: the object decides, as on the ASA.
      std::string_view name = a.peek(1);
      bool service = std::any_of(model.other_objects.begin(), model.other_objects.end(), [&](const OtherObject& o) {
        return o.group && o.name == name && o.type == "service";
      });
      if (service && ports_allowed) {
        a.next();
        pm.op = PortMatch::Op::ObjectGroup;
        pm.ref = Ref{std::string(a.next()), Loc{l.number}};
      }
      return true;
    }
    auto op = op_of(w);
    if (!op) return true;
    if (!ports_allowed) {
      error(l, "port '" + std::string(w) + "' needs protocol tcp, udp or sctp; expected no port for this protocol");
      return false;
    }
    a.next();
    pm.op = *op;
    std::string_view p1 = a.next();
    auto lo = port_number(p1, port_bits(e.protocol));
    if (!lo) {
      error(l, "port '" + std::string(p1) + "' is not a port; expected a number from 0 to 65535 or a name such as www");
      return false;
    }
    pm.low = pm.high = *lo;
    if (*op == PortMatch::Op::Range) {
      std::string_view p2 = a.next();
      auto hi = port_number(p2, port_bits(e.protocol));
      if (!hi || *hi < *lo) {
        error(l, "port range end '" + std::string(p2) + "' is not valid; expected a port from " +
                     std::to_string(*lo) + " to 65535");
        return false;
      }
      pm.high = *hi;
    }
    return true;
  };

  if (standard) {
    e.protocol.number = 0;
    if (!parse_addr(e.source, "source")) return std::nullopt;
  } else {
    std::string_view p = a.next();
    if (p == "object-group" || (p == "object" && asa)) {
      e.protocol.kind = p == "object" ? Protocol::Kind::Object : Protocol::Kind::ObjectGroup;
      e.protocol.ref = Ref{std::string(a.next()), Loc{l.number}};
    } else if (auto n = parse_number(p, 0, 255)) {
      e.protocol.number = static_cast<std::uint8_t>(*n);
    } else if (auto named = protocol_number(p)) {
      e.protocol.number = *named;
    } else {
      error(l, "protocol '" + std::string(p) + "' is not known; expected ip, tcp, udp, icmp, esp, ah, gre or a number");
      return std::nullopt;
    }
    if (!parse_addr(e.source, "source")) return std::nullopt;
    if (!parse_ports(e.source_port)) return std::nullopt;
    if (a.done()) {
      error(l, "access-list entry has no destination; expected any, host A.B.C.D or an address and mask");
      return std::nullopt;
    }
    if (!parse_addr(e.destination, "destination")) return std::nullopt;
    if (!parse_ports(e.destination_port)) return std::nullopt;
  }
  // Options: log, inactive, time-range, established, ICMP types.
  bool icmp = e.protocol.kind == Protocol::Kind::Number && (e.protocol.number == 1 || e.protocol.number == 58);
  bool first = true;
  while (!a.done()) {
    std::string w(a.next());
    if (w == "log" || w == "log-input") {
      e.options.push_back(w);
      for (auto& r : a.rest()) e.options.push_back(r);
      break;
    }
    if (w == "inactive" || w == "established" || w == "fragments") {
      e.options.push_back(w);
    } else if (w == "time-range" && !a.done()) {
      e.options.push_back(w);
      e.options.emplace_back(a.next());
    } else if (icmp && first) {
      e.options.push_back(w);
    } else {
      error(l, "unexpected '" + w + "' in access-list entry; expected log, inactive, time-range" +
                   std::string(icmp ? " or an ICMP type" : ""));
      return std::nullopt;
    }
    first = false;
  }
  return e;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------

bool kept_command_opens_block(Dialect d, std::string_view text) {
  std::vector<std::string> words;
  for (const auto& l : split_lines(text))
    for (const auto& w : l.words) words.push_back(w);
  if (words.empty()) return false;
  const detail::KeptGlobal* k = detail::find_kept(d, words);
  return k != nullptr && k->block != nullptr;
}

std::string_view dialect_name(Dialect d) { return d == Dialect::Asa ? "ASA" : "IOS"; }

std::optional<Dialect> dialect_from_name(std::string_view name) {
  std::string n(name);
  for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "asa" || n == "pix") return Dialect::Asa;
  if (n == "ios") return Dialect::Ios;
  return std::nullopt;
}

Dialect detect_dialect(std::string_view text) {
  int asa = 0, ios = 0;
  for (const auto& l : split_lines(text)) {
    const auto& w = l.words;
    auto is = [&](std::initializer_list<std::string_view> prefix) {
      std::size_t i = 0;
      for (auto p : prefix) {
        if (i >= w.size() || w[i] != p) return false;
        ++i;
      }
      return true;
    };
    if (is({"nameif"}) || is({"security-level"}) || is({"tunnel-group"}) || is({"group-policy"}) ||
        is({"ASA", "Version"}) || is({"PIX", "Version"}) || is({"crypto", "ikev2", "enable"}) ||
        is({"crypto", "ipsec", "ikev2"}) || is({"crypto", "isakmp", "enable"}) ||
        is({"crypto", "ikev1"}) || is({"ip", "local", "pool"}) || is({"object", "network"}) ||
        is({"object-group"}) || is({"encryption"}) || is({"protocol", "esp"}) || is({"prf", "sha"}) ||
        (is({"access-list"}) && w.size() > 2 && (w[2] == "extended" || w[2] == "standard" || w[2] == "remark")) ||
        (is({"crypto", "map"}) && w.size() > 3 && (w[3] == "match" || w[3] == "set" || w[2] == "interface")))
      ++asa;
    if (is({"ip", "access-list"}) || is({"crypto", "isakmp", "key"}) || is({"crypto", "ikev2", "keyring"}) ||
        is({"crypto", "ikev2", "profile"}) || is({"crypto", "ikev2", "proposal"}) ||
        is({"crypto", "ipsec", "profile"}) || is({"encr"}) || is({"version"}) || is({"ip", "route"}) ||
        is({"ip", "nat"}) || is({"line"}) || is({"boot-start-marker"}) || is({"set", "peer"}) ||
        is({"match", "address"}) || is({"mode", "tunnel"}) || is({"mode", "transport"}) ||
        is({"set", "transform-set"}) || is({"set", "ikev2-profile"}) || is({"pre-shared-key", "local"}) ||
        is({"pre-shared-key", "remote"}) ||
        (is({"crypto", "map"}) && w.size() == 2) ||
        (is({"access-list"}) && w.size() > 1 && detail::parse_number(w[1], 1, 2699)))
      ++ios;
  }
  return ios > asa ? Dialect::Ios : Dialect::Asa;
}

ParseResult parse_config(std::string_view text, const ParseOptions& options) {
  Dialect d = options.dialect ? *options.dialect : detect_dialect(text);
  detail::Parser p(d, options.strict);
  for (const auto& l : split_lines(text)) p.feed(l);
  p.finish();
  return ParseResult{std::move(p.model), std::move(p.diagnostics)};
}

ParseResult load_config(std::string_view text, const ParseOptions& options) {
  ParseResult r = parse_config(text, options);
  auto more = validate(r.model);
  r.diagnostics.insert(r.diagnostics.end(), more.begin(), more.end());
  std::stable_sort(r.diagnostics.begin(), r.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
  return r;
}

}  // namespace ikegate::config
