// SA payload construction and selection (RFC 7296 2.7, 3.3) with Cisco's matching rule: the
// responder walks its own policies in priority order and, for each, the initiator's proposals in
// the order sent; the first pair with a common transform of every type wins.
#pragma once

#include <optional>
#include <vector>

#include "common/iana.h"
#include "policy/policy.h"
#include "wire/ikev2_message.h"

namespace ikegate::ikev2 {

struct IkeChoice {
  CipherSuite suite;
  std::chrono::seconds lifetime{86400};
  std::uint8_t proposal_number = 1;
  Bytes peer_spi;  // IKE SA rekey: the SPI in the chosen proposal
};

struct EspChoice {
  policy::EncrSpec encr;
  IntegId integ = IntegId::NONE;
  std::optional<DhGroup> pfs;
  std::uint32_t peer_spi = 0;
  std::uint8_t proposal_number = 1;
};

// One proposal per IKE policy (priority order). `spi` is empty in IKE_SA_INIT and 8 octets when
// rekeying the IKE SA.
wire::SaPayload build_ike_sa(const std::vector<policy::IkeProposal>& proposals, ByteView spi = {});
// The responder's answer: exactly one proposal with one transform of each type.
wire::SaPayload build_ike_sa_reply(const IkeChoice& choice, ByteView spi = {});
std::optional<IkeChoice> select_ike(const std::vector<policy::IkeProposal>& ours,
                                    const wire::SaPayload& theirs);

wire::SaPayload build_esp_sa(const std::vector<policy::EspProposal>& proposals, std::uint32_t spi,
                             std::optional<DhGroup> pfs);
wire::SaPayload build_esp_sa_reply(const EspChoice& choice, std::uint32_t spi);
std::optional<EspChoice> select_esp(const std::vector<policy::EspProposal>& ours,
                                    std::optional<DhGroup> our_pfs, const wire::SaPayload& theirs);

// Traffic selectors <-> the policy's outbound view. `initiator_view`: TSi is our side.
wire::TrafficSelector to_wire_ts(const IpAddress& start, const IpAddress& end, std::uint8_t proto,
                                 std::uint16_t port_start, std::uint16_t port_end);
policy::Selector selector_from_ts(const wire::TrafficSelector& ours, const wire::TrafficSelector& theirs);

}  // namespace ikegate::ikev2
