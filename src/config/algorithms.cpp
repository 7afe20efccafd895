#include "config/algorithms.h"

#include <array>

namespace ikegate::config {

namespace {
constexpr Cipher kDes{EncrId::DES, 0};
constexpr Cipher k3des{EncrId::TRIPLE_DES, 0};
constexpr Cipher kNull{EncrId::NULL_ENCR, 0};
constexpr Cipher kAes128{EncrId::AES_CBC, 128};
constexpr Cipher kAes192{EncrId::AES_CBC, 192};
constexpr Cipher kAes256{EncrId::AES_CBC, 256};
constexpr Cipher kGcm128{EncrId::AES_GCM_16, 128};
constexpr Cipher kGcm192{EncrId::AES_GCM_16, 192};
constexpr Cipher kGcm256{EncrId::AES_GCM_16, 256};

constexpr std::array<Keyword<Cipher>, 9> kAsaIkev2Encr{{{"des", kDes},
                                                         {"3des", k3des},
                                                         {"aes", kAes128},
                                                         {"aes-192", kAes192},
                                                         {"aes-256", kAes256},
                                                         {"aes-gcm", kGcm128},
                                                         {"aes-gcm-192", kGcm192},
                                                         {"aes-gcm-256", kGcm256},
                                                         {"null", kNull}}};
constexpr std::array<Keyword<Cipher>, 8> kIosIkev2Encr{{{"des", kDes},
                                                         {"3des", k3des},
                                                         {"aes-cbc-128", kAes128},
                                                         {"aes-cbc-192", kAes192},
                                                         {"aes-cbc-256", kAes256},
                                                         {"aes-gcm-128", kGcm128},
                                                         {"aes-gcm-192", kGcm192},
                                                         {"aes-gcm-256", kGcm256}}};
constexpr std::array<Keyword<IntegId>, 6> kAsaIkev2Integ{{{"md5", IntegId::HMAC_MD5_96},
                                                           {"sha", IntegId::HMAC_SHA1_96},
                                                           {"sha256", IntegId::HMAC_SHA2_256_128},
                                                           {"sha384", IntegId::HMAC_SHA2_384_192},
                                                           {"sha512", IntegId::HMAC_SHA2_512_256},
                                                           {"null", IntegId::NONE}}};
constexpr std::array<Keyword<IntegId>, 5> kIosIkev2Integ{{{"md5", IntegId::HMAC_MD5_96},
                                                           {"sha1", IntegId::HMAC_SHA1_96},
                                                           {"sha256", IntegId::HMAC_SHA2_256_128},
                                                           {"sha384", IntegId::HMAC_SHA2_384_192},
                                                           {"sha512", IntegId::HMAC_SHA2_512_256}}};
constexpr std::array<Keyword<PrfId>, 5> kAsaIkev2Prf{{{"md5", PrfId::HMAC_MD5},
                                                       {"sha", PrfId::HMAC_SHA1},
                                                       {"sha256", PrfId::HMAC_SHA2_256},
                                                       {"sha384", PrfId::HMAC_SHA2_384},
                                                       {"sha512", PrfId::HMAC_SHA2_512}}};
constexpr std::array<Keyword<PrfId>, 5> kIosIkev2Prf{{{"md5", PrfId::HMAC_MD5},
                                                       {"sha1", PrfId::HMAC_SHA1},
                                                       {"sha256", PrfId::HMAC_SHA2_256},
                                                       {"sha384", PrfId::HMAC_SHA2_384},
                                                       {"sha512", PrfId::HMAC_SHA2_512}}};
constexpr std::array<Keyword<Cipher>, 9> kAsaEspEncr{{{"des", kDes},
                                                       {"3des", k3des},
                                                       {"aes", kAes128},
                                                       {"aes-192", kAes192},
                                                       {"aes-256", kAes256},
                                                       {"aes-gcm", kGcm128},
                                                       {"aes-gcm-192", kGcm192},
                                                       {"aes-gcm-256", kGcm256},
                                                       {"null", kNull}}};
constexpr std::array<Keyword<IntegId>, 6> kAsaEspInteg{{{"md5", IntegId::HMAC_MD5_96},
                                                         {"sha-1", IntegId::HMAC_SHA1_96},
                                                         {"sha-256", IntegId::HMAC_SHA2_256_128},
                                                         {"sha-384", IntegId::HMAC_SHA2_384_192},
                                                         {"sha-512", IntegId::HMAC_SHA2_512_256},
                                                         {"null", IntegId::NONE}}};
constexpr std::array<Keyword<Cipher>, 5> kAsaIkev1Encr{{{"des", kDes},
                                                         {"3des", k3des},
                                                         {"aes", kAes128},
                                                         {"aes-192", kAes192},
                                                         {"aes-256", kAes256}}};
constexpr std::array<Keyword<Cipher>, 3> kIosIkev1Encr{{{"des", kDes}, {"3des", k3des}, {"aes", kAes128}}};
constexpr std::array<Keyword<IntegId>, 5> kIkev1Hash{{{"md5", IntegId::HMAC_MD5_96},
                                                       {"sha", IntegId::HMAC_SHA1_96},
                                                       {"sha256", IntegId::HMAC_SHA2_256_128},
                                                       {"sha384", IntegId::HMAC_SHA2_384_192},
                                                       {"sha512", IntegId::HMAC_SHA2_512_256}}};

constexpr std::array<TransformWord, 17> kTransforms{{
    {"esp-des", TransformKind::EspEncryption, kDes, IntegId::NONE, false},
    {"esp-3des", TransformKind::EspEncryption, k3des, IntegId::NONE, false},
    {"esp-aes", TransformKind::EspEncryption, kAes128, IntegId::NONE, true},
    {"esp-aes-192", TransformKind::EspEncryption, kAes192, IntegId::NONE, false},
    {"esp-aes-256", TransformKind::EspEncryption, kAes256, IntegId::NONE, false},
    {"esp-gcm", TransformKind::EspEncryption, kGcm128, IntegId::NONE, true},
    {"esp-null", TransformKind::EspEncryption, kNull, IntegId::NONE, false},
    {"esp-md5-hmac", TransformKind::EspIntegrity, {}, IntegId::HMAC_MD5_96, false},
    {"esp-sha-hmac", TransformKind::EspIntegrity, {}, IntegId::HMAC_SHA1_96, false},
    {"esp-sha256-hmac", TransformKind::EspIntegrity, {}, IntegId::HMAC_SHA2_256_128, false},
    {"esp-sha384-hmac", TransformKind::EspIntegrity, {}, IntegId::HMAC_SHA2_384_192, false},
    {"esp-sha512-hmac", TransformKind::EspIntegrity, {}, IntegId::HMAC_SHA2_512_256, false},
    {"esp-none", TransformKind::EspIntegrity, {}, IntegId::NONE, false},
    {"ah-md5-hmac", TransformKind::AhIntegrity, {}, IntegId::HMAC_MD5_96, false},
    {"ah-sha-hmac", TransformKind::AhIntegrity, {}, IntegId::HMAC_SHA1_96, false},
    {"ah-sha256-hmac", TransformKind::AhIntegrity, {}, IntegId::HMAC_SHA2_256_128, false},
    {"comp-lzs", TransformKind::Compression, {}, IntegId::NONE, false},
}};

constexpr std::array<std::pair<int, DhGroup>, 11> kGroups{{{1, DhGroup::MODP_768},
                                                           {2, DhGroup::MODP_1024},
                                                           {5, DhGroup::MODP_1536},
                                                           {14, DhGroup::MODP_2048},
                                                           {15, DhGroup::MODP_3072},
                                                           {16, DhGroup::MODP_4096},
                                                           {19, DhGroup::ECP_256},
                                                           {20, DhGroup::ECP_384},
                                                           {21, DhGroup::ECP_521},
                                                           {31, DhGroup::CURVE25519},
                                                           {0, DhGroup::NONE}}};
struct ProtocolName {
  std::string_view name;
  std::uint8_t number;
};
constexpr ProtocolName kProtocols[] = {
    {"ip", 0},    {"icmp", 1},   {"igmp", 2},   {"ipinip", 4}, {"tcp", 6},  {"igrp", 9},
    {"udp", 17},  {"gre", 47},   {"esp", 50},   {"ah", 51},    {"icmp6", 58}, {"eigrp", 88},
    {"ospf", 89}, {"nos", 94},   {"pim", 103},  {"pcp", 108},  {"snp", 109}, {"sctp", 132},
};

struct PortName {
  std::string_view name;
  std::uint16_t number;
  std::uint8_t protocols;  // 1 tcp, 2 udp, 3 both
};
constexpr PortName kPorts[] = {
    {"echo", 7, 3},        {"discard", 9, 3},      {"daytime", 13, 1},    {"chargen", 19, 1},
    {"ftp-data", 20, 1},   {"ftp", 21, 1},         {"ssh", 22, 1},        {"telnet", 23, 1},
    {"smtp", 25, 1},       {"time", 37, 2},        {"whois", 43, 1},      {"tacacs", 49, 3},
    {"domain", 53, 3},     {"bootps", 67, 2},      {"bootpc", 68, 2},     {"tftp", 69, 2},
    {"gopher", 70, 1},     {"finger", 79, 1},      {"www", 80, 3},        {"kerberos", 88, 3},
    {"hostname", 101, 1},  {"pop2", 109, 1},       {"pop3", 110, 1},      {"sunrpc", 111, 3},
    {"ident", 113, 1},     {"nntp", 119, 1},       {"ntp", 123, 2},       {"netbios-ns", 137, 2},
    {"netbios-dgm", 138, 2}, {"netbios-ssn", 139, 1}, {"imap4", 143, 1},  {"snmp", 161, 2},
    {"snmptrap", 162, 2},  {"xdmcp", 177, 2},      {"bgp", 179, 1},       {"irc", 194, 1},
    {"ldap", 389, 1},      {"mobile-ip", 434, 2},  {"https", 443, 1},     {"isakmp", 500, 2},
    {"exec", 512, 1},      {"biff", 512, 2},       {"login", 513, 1},     {"who", 513, 2},
    {"rsh", 514, 1},       {"syslog", 514, 2},     {"lpd", 515, 1},       {"talk", 517, 3},
    {"rip", 520, 2},       {"uucp", 540, 1},       {"klogin", 543, 1},    {"kshell", 544, 1},
    {"rtsp", 554, 1},      {"ldaps", 636, 1},      {"kerberos", 750, 2},  {"lotusnotes", 1352, 1},
    {"citrix-ica", 1494, 1}, {"sqlnet", 1521, 1},  {"radius", 1645, 2},   {"radius-acct", 1646, 2},
    {"h323", 1720, 1},     {"pptp", 1723, 1},      {"nfs", 2049, 3},      {"ctiqbe", 2748, 1},
    {"cifs", 3020, 3},     {"sip", 5060, 3},       {"aol", 5190, 1},      {"secureid-udp", 5510, 2},
    {"pcanywhere-data", 5631, 1}, {"pcanywhere-status", 5632, 2}, {"non500-isakmp", 4500, 2},
};

}  // namespace

std::optional<std::uint8_t> protocol_number(std::string_view name) {
  for (const auto& p : kProtocols)
    if (p.name == name) return p.number;
  return std::nullopt;
}

std::string protocol_text(std::uint8_t number) {
  for (const auto& p : kProtocols)
    if (p.number == number) return std::string(p.name);
  return std::to_string(number);
}

std::optional<std::uint16_t> port_number(std::string_view word, std::uint8_t protocols) {
  if (!word.empty() && word.size() <= 5 && word.find_first_not_of("0123456789") == std::string_view::npos) {
    unsigned v = 0;
    for (char c : word) v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(v);
  }
  for (const auto& p : kPorts)
    if (p.name == word && (p.protocols & protocols) != 0) return p.number;
  return std::nullopt;
}

std::string port_text(std::uint16_t port, std::uint8_t protocols) {
  for (const auto& p : kPorts)
    if (p.number == port && (p.protocols & protocols) == protocols) return std::string(p.name);
  return std::to_string(port);
}

std::span<const Keyword<Cipher>> asa_ikev2_encryption() { return kAsaIkev2Encr; }
std::span<const Keyword<Cipher>> ios_ikev2_encryption() { return kIosIkev2Encr; }
std::span<const Keyword<IntegId>> asa_ikev2_integrity() { return kAsaIkev2Integ; }
std::span<const Keyword<IntegId>> ios_ikev2_integrity() { return kIosIkev2Integ; }
std::span<const Keyword<PrfId>> asa_ikev2_prf() { return kAsaIkev2Prf; }
std::span<const Keyword<PrfId>> ios_ikev2_prf() { return kIosIkev2Prf; }
std::span<const Keyword<Cipher>> asa_esp_encryption() { return kAsaEspEncr; }
std::span<const Keyword<IntegId>> asa_esp_integrity() { return kAsaEspInteg; }
std::span<const Keyword<Cipher>> asa_ikev1_encryption() { return kAsaIkev1Encr; }
std::span<const Keyword<Cipher>> ios_ikev1_encryption() { return kIosIkev1Encr; }
std::span<const Keyword<IntegId>> ikev1_hash() { return kIkev1Hash; }

std::optional<DhGroup> dh_group_number(std::string_view word) {
  for (const auto& [n, g] : kGroups)
    if (g != DhGroup::NONE && word == std::to_string(n)) return g;
  return std::nullopt;
}

std::string dh_group_text(DhGroup g) { return std::to_string(static_cast<int>(g)); }

std::span<const TransformWord> transform_words() { return kTransforms; }

const TransformWord* find_transform(std::string_view word) {
  for (const auto& t : transform_words())
    if (t.word == word) return &t;
  return nullptr;
}

}  // namespace ikegate::config
