// config::Model -> policy::Policy: resolves names (crypto map -> ACL, proposals, tunnel-group
// or keyring; interface -> address), expands object groups and dynamic maps, applies the
// platform defaults Cisco documents (lifetimes, PRF from integrity, IOS default proposal).
#pragma once

#include <map>
#include <string>

#include "common/result.h"
#include "config/model.h"
#include "policy/policy.h"

namespace ikegate::policy {

// Addresses learned at run time for interfaces configured with `ip address dhcp`, by Cisco
// interface name (nameif or hardware name).
using LearnedAddresses = std::map<std::string, IpAddress>;

Result<Policy> from_model(const config::Model& model, const LearnedAddresses& learned = {});

// How the platform prints one ACL line (`access-list l2l_list extended permit ip host 192.168.1.1
// host 192.168.2.99` on the ASA, `permit ip 192.168.1.0 0.0.0.255 192.168.2.0 0.0.0.255` on IOS).
std::string acl_entry_text(const config::Model& model, const config::AccessList& acl, const config::AclEntry& e);

// IOS's default protection suites (12.4(20)T and later; `show crypto isakmp default policy`):
// priorities 65507 (highest) to 65514, each pair an RSA-signature and a pre-shared-key suite:
// AES-128 with SHA and with MD5 in group 5, then 3DES with SHA and with MD5 in group 2, all
// 86400 s. They negotiate only while no `crypto isakmp policy` is configured and `no crypto
// isakmp default policy` is absent; only the pre-shared-key ones can be used here.
std::vector<IsakmpProposal> ios_default_isakmp_policies();

}  // namespace ikegate::policy
