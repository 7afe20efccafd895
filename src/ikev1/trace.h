// What the IKEv1 engine tells an observer. The engine emits values; cli/ renders them as IOS
// (`ISAKMP:(1003):Old State = IKE_I_MM4  New State = IKE_I_MM5`) or ASA (`[IKEv1]: Group = G,
// IP = A, PHASE 1 COMPLETED`) debug lines. State names are IOS's, because operators read traces
// against them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/ip.h"

namespace ikegate::ikev1 {

struct TraceEvent {
  enum class Kind : std::uint8_t {
    StateChange,  // old_state -> new_state of the ISAKMP SA or of a Quick Mode exchange
    Sent,         // a datagram sent: text is ASA's payload list "HDR + SA (1) + VENDOR (13) + NONE (0)"
    Received,     // a datagram received (decrypted), same text form
    Note,         // a protocol line ("PHASE 1 COMPLETED", "Oakley proposal is acceptable", ...)
  };
  Kind kind = Kind::Note;
  int level = 3;             // Cisco debug level 1..255 style (1 = errors, 7 = detail)
  std::uint32_t conn_id = 0;  // IOS's C-id of the ISAKMP SA, 0 = none yet
  std::uint32_t message_id = 0;
  std::string_view old_state, new_state;
  Endpoint local, remote;
  std::string group;  // ASA tunnel-group (the peer's name), empty before it is known
  std::string text;
};

}  // namespace ikegate::ikev1
