// What the IKEv2 engine tells an observer. The engine emits values; cli/ renders them in the
// ASA (`IKEv2-PROTO-5: (16): SM Trace-> ...`) or IOS (`IKEv2:(SA ID = 1):SM Trace-> ...`)
// personality. State and event names are Cisco's, because operators read traces against them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/ip.h"

namespace ikegate::wire {
struct Message;
}

namespace ikegate::ikev2 {

enum class Facility : std::uint8_t { Protocol, Platform };

struct TraceEvent {
  enum class Kind : std::uint8_t {
    SmTrace,  // state machine step: state + event
    Packet,   // a message sent or received (message is set; the renderer dumps it)
    Note,     // a free-form protocol/platform line (text)
  };
  Kind kind = Kind::Note;
  Facility facility = Facility::Protocol;
  int level = 3;          // Cisco debug level 1..5 of the line
  std::uint32_t sa_id = 0;  // the negotiation/SA number Cisco prints, 0 = none
  // SmTrace
  std::uint64_t spi_i = 0, spi_r = 0;
  bool initiator = false;  // (I) or (R)
  std::uint32_t message_id = 0;
  std::string_view state, event;
  // Packet
  const wire::Message* message = nullptr;
  bool sent = false;
  Endpoint local, remote;
  // Note
  std::string text;
};

}  // namespace ikegate::ikev2
