#include "cli/show_common.h"

#include <fmt/format.h>

namespace ikegate::cli::show {

std::string ike_encr_text(EncrId encr, std::uint16_t key_bits) {
  switch (encr) {
    case EncrId::DES_IV64:
    case EncrId::DES: return "DES";
    case EncrId::TRIPLE_DES: return "3DES";
    case EncrId::NULL_ENCR: return "NULL";
    case EncrId::AES_CBC: return fmt::format("AES-CBC, keysize: {}", key_bits);
    case EncrId::AES_CTR: return fmt::format("AES-CTR, keysize: {}", key_bits);
    case EncrId::AES_GCM_8:
    case EncrId::AES_GCM_12:
    case EncrId::AES_GCM_16: return fmt::format("AES-GCM, keysize: {}", key_bits);
  }
  return fmt::format("UNKNOWN({})", static_cast<unsigned>(encr));
}

std::string_view ike_hash_name(IntegId integ) {
  switch (integ) {
    case IntegId::NONE: return "None";
    case IntegId::HMAC_MD5_96: return "MD596";
    case IntegId::HMAC_SHA1_96: return "SHA96";
    case IntegId::HMAC_SHA2_256_128: return "SHA256";
    case IntegId::HMAC_SHA2_384_192: return "SHA384";
    case IntegId::HMAC_SHA2_512_256: return "SHA512";
  }
  return "Unknown";
}

std::string_view esp_hmac_name(IntegId integ) {
  switch (integ) {
    case IntegId::NONE: return "esp-null-hmac";
    case IntegId::HMAC_MD5_96: return "esp-md5-hmac";
    case IntegId::HMAC_SHA1_96: return "esp-sha-hmac";
    case IntegId::HMAC_SHA2_256_128: return "esp-sha256-hmac";
    case IntegId::HMAC_SHA2_384_192: return "esp-sha384-hmac";
    case IntegId::HMAC_SHA2_512_256: return "esp-sha512-hmac";
  }
  return "esp-unknown-hmac";
}

std::string_view prf_name(PrfId prf) {
  switch (prf) {
    case PrfId::HMAC_MD5: return "MD5";
    case PrfId::HMAC_SHA1: return "SHA1";
    case PrfId::HMAC_SHA2_256: return "SHA256";
    case PrfId::HMAC_SHA2_384: return "SHA384";
    case PrfId::HMAC_SHA2_512: return "SHA512";
  }
  return "Unknown";
}

std::string_view auth_name(AuthMethod auth) {
  switch (auth) {
    case AuthMethod::None: return "None";
    case AuthMethod::Psk: return "PSK";
    case AuthMethod::Rsa: return "RSA";
    case AuthMethod::Ecdsa: return "ECDSA";
    case AuthMethod::Eap: return "EAP";
  }
  return "Unknown";
}

std::string_view ike_status_name(IkeSaStatus status) {
  switch (status) {
    case IkeSaStatus::Ready: return "READY";
    case IkeSaStatus::InNeg: return "IN-NEG";
    case IkeSaStatus::Delete: return "DELETE";
    case IkeSaStatus::Deleted: return "DELETED";
    case IkeSaStatus::Unknown: return "UNKNOWN";
  }
  return "UNKNOWN";
}

std::string_view role_name(IkeRole role) {
  return role == IkeRole::Initiator ? "INITIATOR" : "RESPONDER";
}

std::string_view nat_text(NatDetected nat) {
  switch (nat) {
    case NatDetected::None: return "NAT-T is not detected";
    case NatDetected::Inside: return "NAT-T is detected inside";
    case NatDetected::Outside: return "NAT-T is detected outside";
  }
  return "NAT-T is not detected";
}

std::string_view v1_state_name(IkeV1State state) {
  switch (state) {
    case IkeV1State::MmNoState: return "MM_NO_STATE";
    case IkeV1State::MmSaSetup: return "MM_SA_SETUP";
    case IkeV1State::MmKeyExch: return "MM_KEY_EXCH";
    case IkeV1State::MmActive: return "MM_ACTIVE";
    case IkeV1State::AmActive: return "AM_ACTIVE";
    case IkeV1State::QmIdle: return "QM_IDLE";
    case IkeV1State::Deleted: return "MM_NO_STATE";
  }
  return "MM_NO_STATE";
}

std::string selector_text(const SelectorRange& s) {
  return fmt::format("{}/{} - {}/{}", s.start.to_string(), s.start_port, s.end.to_string(),
                     s.end_port);
}

std::string addr_mask_text(const IpAddress& address, int prefix_len) {
  if (address.is_v4()) {
    return fmt::format("{}/{}", address.to_string(),
                       IpAddress::v4(prefix_to_netmask(prefix_len)).to_string());
  }
  return fmt::format("{}/{}", address.to_string(), prefix_len);
}

std::string ident_text(const IdentView& id) {
  return fmt::format("({}/{}/{})", addr_mask_text(id.address, id.prefix_len), id.protocol,
                     id.port);
}

std::string endpoint_slash(const Endpoint& e) {
  return fmt::format("{}/{}", e.address.to_string(), e.port);
}

std::string ike_algorithms_line(const IkeSaView& sa, bool with_prf) {
  std::string prf = with_prf ? fmt::format("PRF: {}, ", prf_name(sa.prf)) : std::string{};
  return fmt::format("Encr: {}, {}Hash: {}, DH Grp:{}, Auth sign: {}, Auth verify: {}",
                     ike_encr_text(sa.encr, sa.key_bits), prf, ike_hash_name(sa.integ),
                     static_cast<unsigned>(sa.dh_group), auth_name(sa.auth_sign),
                     auth_name(sa.auth_verify));
}

std::string hms(Seconds s) {
  auto total = s.count() < 0 ? 0 : s.count();
  return fmt::format("{:02}:{:02}:{:02}", total / 3600, (total / 60) % 60, total % 60);
}

std::string two_columns(std::string_view left, std::string_view right, std::size_t width) {
  std::string out{left};
  out.append(left.size() < width ? width - left.size() : 1, ' ');
  out.append(right);
  return out;
}

std::string trim_line_ends(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto line = text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
    auto end = line.find_last_not_of(' ');
    out.append(line.substr(0, end == std::string_view::npos ? 0 : end + 1));
    if (nl == std::string_view::npos) break;
    out.push_back('\n');
    pos = nl + 1;
  }
  return out;
}

}  // namespace ikegate::cli::show
