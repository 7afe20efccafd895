// Words and layout shared by the ASA and IOS show formatters: the names both personalities
// give the IKE algorithms, the text of selectors and idents, and small layout helpers.
// Personality-specific names (ESP transform names, IKEv1 words) live in show_asa.cpp and
// show_ios.cpp, one table each.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cli/sa_view.h"

namespace ikegate::cli::show {

// `Encr: AES-CBC, keysize: 256` / `Encr: 3DES` (the part after "Encr: ").
std::string ike_encr_text(EncrId encr, std::uint16_t key_bits);
// IKEv2 integrity as `Hash:` and CHILD `esp_hmac:` print it: SHA96, MD596, SHA256, None.
std::string_view ike_hash_name(IntegId integ);
// ESP integrity as both personalities' `transform:` names it: esp-sha-hmac, esp-md5-hmac,
// esp-sha256-hmac; NONE (AEAD) is the ASA's esp-null-hmac.
std::string_view esp_hmac_name(IntegId integ);
std::string_view prf_name(PrfId prf);                 // SHA1, MD5, SHA256, SHA384, SHA512
std::string_view auth_name(AuthMethod auth);          // PSK, RSA, ECDSA, EAP
std::string_view ike_status_name(IkeSaStatus status);  // READY, IN-NEG, DELETE, ...
std::string_view role_name(IkeRole role);             // INITIATOR, RESPONDER
std::string_view nat_text(NatDetected nat);           // "NAT-T is not detected", ...
std::string_view v1_state_name(IkeV1State state);     // MM_ACTIVE, QM_IDLE, ...

// "192.168.1.1/0 - 192.168.1.1/65535".
std::string selector_text(const SelectorRange& s);
// "(192.168.1.0/255.255.255.0/0/0)"; IPv6 "(2001:db8::/64/0/0)".
std::string ident_text(const IdentView& id);
// "192.168.1.0/255.255.255.0" (IPv4) or "2001:db8::/64".
std::string addr_mask_text(const IpAddress& address, int prefix_len);
// "10.0.0.1/500"; IPv6 "2001:db8::1/500" as both boxes print it.
std::string endpoint_slash(const Endpoint& e);
// "Encr: AES-CBC, keysize: 256, Hash: SHA96, DH Grp:2, Auth sign: PSK, Auth verify: PSK",
// optionally with "PRF: SHA1, " before Hash (IOS releases that print it).
std::string ike_algorithms_line(const IkeSaView& sa, bool with_prf);
// "hh:mm:ss" with hours unbounded (IOS uptime, lifetimes).
std::string hms(Seconds s);

// `left` padded to `width` then `right` (at least one space between), as the two-column
// lines of the SA details are printed ("Local spi: ...       Remote spi: ...").
std::string two_columns(std::string_view left, std::string_view right, std::size_t width);
// Trailing blanks removed from every line: the boxes pad columns, the views compare cleanly.
std::string trim_line_ends(std::string_view text);

}  // namespace ikegate::cli::show
