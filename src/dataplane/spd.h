// The security policy database of the data plane: inner-packet 5-tuples, selector matching and
// the most-preferred-policy lookup shared by every userspace backend (and the fake).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "dataplane/dataplane.h"

namespace ikegate::dataplane {

// The selector-relevant fields of an inner IP packet (RFC 4301 4.4.1.1). Ports are 0 for
// protocols without ports and for non-first fragments.
struct FiveTuple {
  IpAddress src, dst;
  std::uint8_t protocol = 0;
  std::uint16_t src_port = 0, dst_port = 0;
};

// Parses an IPv4 or IPv6 header (skipping IPv6 extension headers). No allocation.
std::optional<FiveTuple> parse_five_tuple(ByteView packet);

// `reversed`: match an inbound packet against an outbound selector (its src is our dst).
bool selector_matches(const TrafficSelector& ts, const FiveTuple& t, bool reversed = false);

// A selector as a single-address 5-tuple selector (for Acquire events).
TrafficSelector selector_of(const FiveTuple& t);

// Policies ordered by priority (lower first, ties by reqid). Lookup is a linear scan in
// preference order: fine for the crypto-map sizes of a site-to-site gateway (tens of entries);
// a larger SPD would need a decision tree or a per-destination-prefix index.
class Spd {
 public:
  void add(const PolicyParams& p);  // replaces a policy with the same reqid
  bool remove(std::uint32_t reqid);
  const PolicyParams* lookup(const FiveTuple& t) const;
  const PolicyParams* find(std::uint32_t reqid) const;
  const std::vector<PolicyParams>& policies() const { return policies_; }

 private:
  std::vector<PolicyParams> policies_;
};

}  // namespace ikegate::dataplane
