// Cisco's algorithm keywords, per command, mapped to the IANA values of common/iana.h.
// One table per place a keyword can appear: ASA and IOS spell the same cipher differently
// ("aes-256", "aes-cbc-256", "esp-aes-256", "esp-aes 256"), and the printer needs them back.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/iana.h"

namespace ikegate::config {

// A cipher with its key size (AES: 128/192/256; 0 for ciphers of a fixed size).
struct Cipher {
  EncrId id = EncrId::AES_CBC;
  std::uint16_t key_bits = 128;
  friend bool operator==(const Cipher&, const Cipher&) = default;
};

template <class T>
struct Keyword {
  std::string_view word;
  T value;
};

// IKEv2 (crypto ikev2 policy on ASA, crypto ikev2 proposal on IOS).
std::span<const Keyword<Cipher>> asa_ikev2_encryption();
std::span<const Keyword<Cipher>> ios_ikev2_encryption();
std::span<const Keyword<IntegId>> asa_ikev2_integrity();
std::span<const Keyword<IntegId>> ios_ikev2_integrity();
std::span<const Keyword<PrfId>> asa_ikev2_prf();
std::span<const Keyword<PrfId>> ios_ikev2_prf();
// ESP in ASA's crypto ipsec ikev2 ipsec-proposal.
std::span<const Keyword<Cipher>> asa_esp_encryption();
std::span<const Keyword<IntegId>> asa_esp_integrity();
// IKEv1 policies: ASA "encryption"/"hash", IOS "encr"/"hash".
std::span<const Keyword<Cipher>> asa_ikev1_encryption();
std::span<const Keyword<Cipher>> ios_ikev1_encryption();  // "aes" takes an optional key size
std::span<const Keyword<IntegId>> ikev1_hash();
// Diffie-Hellman groups as numbers ("group 14"); pfs keywords ("group14").
std::optional<DhGroup> dh_group_number(std::string_view word);
std::string dh_group_text(DhGroup g);  // "14"

template <class T>
std::optional<T> lookup(std::span<const Keyword<T>> table, std::string_view word) {
  for (const auto& k : table)
    if (k.word == word) return k.value;
  return std::nullopt;
}
template <class T>
std::string_view name_of(std::span<const Keyword<T>> table, const T& value) {
  for (const auto& k : table)
    if (k.value == value) return k.word;
  return "?";
}
template <class T>
std::string words_of(std::span<const Keyword<T>> table) {
  std::string s;
  for (const auto& k : table) {
    if (!s.empty()) s += ", ";
    s += k.word;
  }
  return s;
}

// Transform-set transforms ("esp-aes", "esp-sha-hmac", ...).
enum class TransformKind : std::uint8_t { EspEncryption, EspIntegrity, AhIntegrity, Compression };
struct TransformWord {
  std::string_view word;
  TransformKind kind;
  Cipher cipher;    // EspEncryption
  IntegId integ;    // EspIntegrity, AhIntegrity
  bool takes_key_size;  // IOS "esp-aes 256", "esp-gcm 256"
};
std::span<const TransformWord> transform_words();

// IP protocols ("tcp" = 6) and well-known ports ("www" = 80) as access-lists name them.
// `protocols`: 1 for tcp, 2 for udp, 3 for either.
std::optional<std::uint8_t> protocol_number(std::string_view name);
std::string protocol_text(std::uint8_t number);  // "tcp", or the number
std::optional<std::uint16_t> port_number(std::string_view word, std::uint8_t protocols);
std::string port_text(std::uint16_t port, std::uint8_t protocols);  // "www", or the number
const TransformWord* find_transform(std::string_view word);

}  // namespace ikegate::config
