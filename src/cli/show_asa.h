// The ASA personality's show commands, laid out as ASA 8.4/9.x prints them (the seeds
// asa-ikev2-l2l-psk-debug, asa-ikev2-remote-access-anyconnect, pix-ios-ikev1-dynamic-map-nat).
// Each function renders the values it is given, in the order given; it decides nothing.
// Every returned line ends with '\n' and carries no trailing blanks.
#pragma once

#include <string>
#include <vector>

#include "cli/sa_view.h"

namespace ikegate::cli::asa {

// `show crypto ikev2 sa [detail]`. SAs with the same session_id are grouped under one
// "Session-id:N, Status:..., IKE count:N, CHILD count:N" header, in order of first appearance.
// None: "There are no IKEv2 SAs".
std::string show_crypto_ikev2_sa(const std::vector<IkeSaView>& sas, bool detail);

// `show crypto isakmp sa [detail]`: the IKEv1 SAs (`sas` whose version is IKEv1) in the
// "IKE Peer" layout, then the IKEv2 SAs as `show crypto ikev2 sa [detail]` prints them.
std::string show_crypto_isakmp_sa(const std::vector<IkeSaView>& sas, bool detail);

// `show crypto ipsec sa`: one block per CHILD SA, under "interface: NAME" whenever the
// interface changes. None: "There are no ipsec sas".
std::string show_crypto_ipsec_sa(const std::vector<ChildSaView>& sas);

// `show vpn-sessiondb detail anyconnect`.
std::string show_vpn_sessiondb_detail_anyconnect(const std::vector<VpnSessionView>& sessions);

// ESP transform as `transform:` prints it: "esp-aes-256 esp-sha-hmac", "esp-aes-gcm-256
// esp-null-hmac", "esp-3des esp-md5-hmac".
std::string esp_transform_name(const EspTransform& t);

}  // namespace ikegate::cli::asa
