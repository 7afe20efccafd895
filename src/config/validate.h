// Cross-reference and consistency checks on a parsed Model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "config/diagnostics.h"
#include "config/model.h"

namespace ikegate::config {

// Names that resolve (crypto map -> access-list, proposals, transform-sets, dynamic-maps,
// profiles, keyrings, tunnel-groups, pools, group-policies, trustpoints, interfaces, objects),
// complete crypto map entries, keys for every peer, and crypto ACL entries that can become
// traffic selectors without overlapping one another.
std::vector<Diagnostic> validate(const Model& m);

// Checks that gateways which name each other as peers protect mirrored traffic: every crypto
// ACL entry of one has its mirror image in the other's. Returns (index of the model, problem).
std::vector<std::pair<std::size_t, Diagnostic>> check_peers(std::span<const Model* const> models,
                                                            std::span<const std::string> names);

// A crypto ACL entry's source or destination as an inclusive IPv4 range, when it is one.
struct AddrRange {
  std::uint32_t low = 0, high = 0;
  friend bool operator==(const AddrRange&, const AddrRange&) = default;
};
std::optional<AddrRange> address_range(const Model& m, const AddrMatch& a);

}  // namespace ikegate::config
