// Vendor IDs (RFC 7296 3.12) that Cisco ASA and IOS send in IKEv2, as the seeds show them, and
// the set ikegate sends so that a Cisco peer enables the same features with it.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "common/bytes.h"

namespace ikegate::wire::vid {

enum class Known {
  CUSTOM,                // anything else: Cisco prints "(CUSTOM)"
  CISCO_DELETE_REASON,   // ASCII "CISCO-DELETE-REASON": enables Cisco's delete-reason notify
  CISCO_COPYRIGHT,       // ASCII "CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco Systems, Inc."
  FRAGMENTATION,         // Cisco's proprietary IKE fragmentation, 16 octets 4048b7d5...
  CISCO_GRANITE,         // 16 octets in IKE_AUTH: 8 per-SA octets, then 3db7841a75e683a6
  FLEXVPN_SUPPORTED,     // ASCII "FLEXVPN-SUPPORTED", the 17-octet VID of the IOS trace
  CISCO_DYNAMIC_ROUTE,   // ASCII "CISCO-DYNAMIC-ROUTE"
};

Bytes cisco_delete_reason();
Bytes cisco_copyright();
Bytes cisco_fragmentation();
Bytes flexvpn_supported();
Bytes cisco_dynamic_route();
// CISCO-GRANITE: the peers in the seed differ in the first 8 octets (per SA, e.g. random) and
// share the last 8. `per_sa` must hold 8 octets.
Bytes cisco_granite(std::span<const std::uint8_t, 8> per_sa);

Known classify(ByteView vid);

// What Cisco prints after "Construct Vendor Specific Payload: " for a VID it sends
// (FRAGMENTATION, CISCO-GRANITE, DELETE-REASON on IOS...). Uses the ASA spellings.
std::string_view construct_name(Known k);
// What Cisco prints after "Parse Vendor Specific Payload: " for a VID it receives. Cisco's parser
// names only some (the seeds: CISCO-DELETE-REASON named; CISCO-GRANITE and FLEXVPN-SUPPORTED
// printed as "(CUSTOM)"), so this is not construct_name().
std::string_view parse_name(ByteView vid);

// The VIDs ikegate puts in IKE_SA_INIT, in ASA1's order: CISCO-DELETE-REASON,
// CISCO(COPYRIGHT), FRAGMENTATION.
std::vector<Bytes> ike_sa_init_set();

}  // namespace ikegate::wire::vid
