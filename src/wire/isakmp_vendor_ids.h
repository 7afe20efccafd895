// IKEv1 Vendor IDs (RFC 2408 3.16) that Cisco ASA/IOS and strongSwan exchange, as the IKEv1 seeds
// show them: recognised by name on receipt, and the set ikegate sends so that a Cisco peer turns
// on DPD, NAT-T and Unity with it.
#pragma once

#include <string_view>
#include <vector>

#include "common/bytes.h"

namespace ikegate::wire::isakmp::vid {

enum class Known {
  UNKNOWN,
  CISCO_UNITY,         // MD5("CISCO-UNITY")[0..13] | 01 00
  XAUTH,               // MD5("draft-ietf-ipsra-isakmp-xauth-06.txt")[0..7]
  DPD,                 // RFC 3706 7: afcad71368a1f1c96b8696fc77570100
  CISCO_ALTIGA,        // "Altiga/Cisco VPN3000/Cisco ASA GW": 1f07f70eaa6514d3b0fa96542a50 | version
  FRAGMENTATION,       // Cisco IKE fragmentation: 4048b7d56ebce88525e7de7f00d6c2d3
  NAT_T_RFC3947,       // MD5("RFC 3947")
  NAT_T_DRAFT_02,      // MD5("draft-ietf-ipsec-nat-t-ike-02")
  NAT_T_DRAFT_02_N,    // MD5("draft-ietf-ipsec-nat-t-ike-02\n")
  NAT_T_DRAFT_03,      // MD5("draft-ietf-ipsec-nat-t-ike-03")
  NAT_T_DRAFT_07,      // MD5("draft-ietf-ipsec-nat-t-ike-07")
  NAT_T_DRAFT_08,      // MD5("draft-ietf-ipsec-nat-t-ike-08")
};

Bytes bytes(Known k);  // empty for UNKNOWN
Known classify(ByteView vid);
// How IOS names a VID it processes ("Unity", "XAUTH", "DPD", "NAT-T RFC 3947", ...), "" if none.
std::string_view name(Known k);
bool is_nat_t(Known k);
bool is_nat_t_draft(Known k);

// The VIDs ikegate sends in Main Mode message 1 (and 2): NAT-T RFC 3947 and the drafts IOS sends
// (rfc3947, 07, 03, 02\n), then DPD, Cisco Unity, XAUTH, fragmentation.
std::vector<Bytes> main_mode_set();

}  // namespace ikegate::wire::isakmp::vid
