// The IOS personality's show commands, laid out as IOS 15.x prints them (the seeds
// ios-strongswan-ikev1-ikev2 and, for IKEv1, pix-ios-ikev1-dynamic-map-nat).
// Each function renders the values it is given, in the order given; it decides nothing.
// Every returned line ends with '\n' and carries no trailing blanks.
#pragma once

#include <string>
#include <vector>

#include "cli/sa_view.h"
#include "policy/policy.h"

namespace ikegate::cli::ios {

// What differs between IOS releases in these commands.
struct IosStyle {
  // "Encr: ..., PRF: SHA1, Hash: ..." (IOS 15.4 and later); the seed's 15.x omits PRF.
  bool ikev2_prf = true;
  // The `slot` column of `show crypto isakmp sa` (IOS 12.x, the PIX seed's router).
  bool isakmp_slot_column = false;
};

// `show crypto ikev2 sa [detailed]`: an "IPv4 Crypto IKEv2  SA" section, then IPv6.
std::string show_crypto_ikev2_sa(const std::vector<IkeSaView>& sas, bool detailed,
                                 const IosStyle& style = {});

// `show crypto isakmp sa [detail]`: the IKEv1 SAs of `sas` (IKEv2 ones are left out, as IOS
// does), an IPv4 then an IPv6 section. dst/src are the responder/initiator addresses.
std::string show_crypto_isakmp_sa(const std::vector<IkeSaView>& sas, bool detail,
                                  const IosStyle& style = {});

// `show crypto ipsec sa`: one flow block per CHILD SA, under "interface:" and "Crypto map
// tag:" lines printed whenever they change.
std::string show_crypto_ipsec_sa(const std::vector<ChildSaView>& sas);

// `show crypto session detail`.
std::string show_crypto_session_detail(const std::vector<SessionView>& sessions);

// `show crypto isakmp policy`: the configured protection suites ("Global IKE policy"), or the
// default suites 65507-65514 when they are the ones in use ("Default IKE policy").
std::string show_crypto_isakmp_policy(const std::vector<policy::IsakmpProposal>& policies);
// `show crypto isakmp default policy`: the default suites, whether in use or not.
std::string show_crypto_isakmp_default_policy(const std::vector<policy::IsakmpProposal>& defaults);

// ESP transform as `transform:` prints it: "esp-aes esp-sha-hmac", "esp-256-aes
// esp-sha256-hmac", "esp-gcm 256".
std::string esp_transform_name(const EspTransform& t);

}  // namespace ikegate::cli::ios
