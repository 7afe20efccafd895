// The debug renderer against the seeds' lines (asa-ikev2-l2l-psk-debug, ios-ikev2-l2l-debug),
// with the seeds' PDF line breaks joined back into single lines.
#include "cli/debug.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wire/ikev2_dump.h"
#include "wire/ikev2_message.h"

namespace ikegate::cli {
namespace {

using ikev2::Facility;
using ikev2::TraceEvent;
using policy::Personality;

constexpr std::uint64_t kSpiI = 0xDFA3B583A4369958;
constexpr std::uint64_t kSpiR = 0x27C943C13FD94665;
constexpr DebugLevels kAll{127, 127};

Endpoint ep(const char* a, std::uint16_t port) { return {*IpAddress::parse(a), port}; }

TraceEvent sm(std::uint32_t sa_id, std::uint64_t spi_i, std::uint64_t spi_r, bool initiator,
              std::uint32_t mid, std::string_view state, std::string_view event) {
  TraceEvent ev;
  ev.kind = TraceEvent::Kind::SmTrace;
  ev.level = 5;
  ev.sa_id = sa_id;
  ev.spi_i = spi_i;
  ev.spi_r = spi_r;
  ev.initiator = initiator;
  ev.message_id = mid;
  ev.state = state;
  ev.event = event;
  return ev;
}

TraceEvent note(Facility f, int level, std::uint32_t sa_id, std::string text) {
  TraceEvent ev;
  ev.kind = TraceEvent::Kind::Note;
  ev.facility = f;
  ev.level = level;
  ev.sa_id = sa_id;
  ev.text = std::move(text);
  return ev;
}

wire::Message init_request(std::uint64_t spi_r, std::uint8_t flags) {
  wire::Message m;
  m.header.spi_i = kSpiI;
  m.header.spi_r = spi_r;
  m.header.exchange = wire::ExchangeType::IKE_SA_INIT;
  m.header.flags = flags;
  m.header.message_id = 0;
  m.payloads.push_back(wire::make(wire::NoncePayload{Bytes(20, 0x84)}));
  return m;
}

TraceEvent packet(const wire::Message& m, bool sent, Endpoint local, Endpoint remote,
                  std::uint32_t sa_id) {
  TraceEvent ev;
  ev.kind = TraceEvent::Kind::Packet;
  ev.level = 4;
  ev.sa_id = sa_id;
  ev.message = &m;
  ev.sent = sent;
  ev.local = local;
  ev.remote = remote;
  return ev;
}

std::vector<std::string> render_all(const DebugRenderer& r, const std::vector<TraceEvent>& evs,
                                    DebugLevels levels = kAll) {
  std::vector<std::string> out;
  for (const auto& ev : evs) {
    auto lines = r.render(ev, levels);
    out.insert(out.end(), lines.begin(), lines.end());
  }
  return out;
}

TEST(DebugRenderer, AsaInitiatorStartMatchesSeed) {
  DebugRenderer r(Personality::Asa);
  std::vector<TraceEvent> evs = {
      note(Facility::Platform, 3, 0, "attempting to find tunnel group for IP: 10.0.0.2"),
      note(Facility::Platform, 3, 16, "tg_name set to: 10.0.0.2"),
      note(Facility::Platform, 5, 0, "New ikev2 sa request admitted"),
      sm(16, kSpiI, 0, true, 0, "IDLE", "EV_INIT_SA"),
      sm(16, kSpiI, 0, true, 0, "I_BLD_INIT", "EV_GET_IKE_POLICY"),
      note(Facility::Protocol, 3, 16, "Getting configured policies"),
      note(Facility::Protocol, 3, 16, ""),
      note(Facility::Protocol, 2, 16, "Sending initial message"),
  };
  std::vector<std::string> expected = {
      "IKEv2-PLAT-3: attempting to find tunnel group for IP: 10.0.0.2",
      "IKEv2-PLAT-3: (16) tg_name set to: 10.0.0.2",
      "IKEv2-PLAT-5: New ikev2 sa request admitted",
      "IKEv2-PROTO-5: (16): SM Trace-> SA: I_SPI=DFA3B583A4369958 R_SPI=0000000000000000 (I) "
      "MsgID = 00000000 CurState: IDLE Event: EV_INIT_SA",
      "IKEv2-PROTO-5: (16): SM Trace-> SA: I_SPI=DFA3B583A4369958 R_SPI=0000000000000000 (I) "
      "MsgID = 00000000 CurState: I_BLD_INIT Event: EV_GET_IKE_POLICY",
      "IKEv2-PROTO-3: (16): Getting configured policies",
      "IKEv2-PROTO-3: (16):",
      "IKEv2-PROTO-2: (16): Sending initial message",
  };
  EXPECT_EQ(render_all(r, evs), expected);
}

TEST(DebugRenderer, AsaSentPacketFramesTheDump) {
  DebugRenderer r(Personality::Asa);
  auto m = init_request(0, wire::kFlagInitiator);
  auto lines = r.render(packet(m, true, ep("10.0.0.1", 500), ep("10.0.0.2", 500), 16), kAll);
  auto dump = wire::dump_asa(m, wire::Direction::Sent);
  ASSERT_EQ(lines.size(), dump.size() + 3);
  EXPECT_EQ(lines[0], "IKEv2-PROTO-3: Tx [L 10.0.0.1:500/R 10.0.0.2:500/VRF i0:f0] m_id: 0x0");
  EXPECT_EQ(lines[1], "IKEv2-PROTO-3: HDR[i:DFA3B583A4369958 - r: 0000000000000000]");
  EXPECT_EQ(std::vector<std::string>(lines.begin() + 2, lines.end() - 1), dump);
  EXPECT_EQ(lines.back(),
            "IKEv2-PLAT-4: SENT PKT [IKE_SA_INIT] [10.0.0.1]:500->[10.0.0.2]:500 "
            "InitSPI=0xdfa3b583a4369958 RespSPI=0x0000000000000000 MID=00000000");
}

// ASA2 receiving ASA1's IKE_AUTH: RECV PKT first, source -> destination as on the wire.
TEST(DebugRenderer, AsaReceivedPacketAnnouncedFirst) {
  DebugRenderer r(Personality::Asa);
  auto m = init_request(kSpiR, wire::kFlagInitiator);
  m.header.exchange = wire::ExchangeType::IKE_AUTH;
  m.header.message_id = 1;
  auto lines = r.render(packet(m, false, ep("10.0.0.2", 500), ep("10.0.0.1", 500), 16), kAll);
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "IKEv2-PLAT-4: RECV PKT [IKE_AUTH] [10.0.0.1]:500->[10.0.0.2]:500 "
            "InitSPI=0xdfa3b583a4369958 RespSPI=0x27c943c13fd94665 MID=00000001");
  EXPECT_EQ(lines[1], "IKEv2-PROTO-3: Rx [L 10.0.0.2:500/R 10.0.0.1:500/VRF i0:f0] m_id: 0x1");
  EXPECT_EQ(lines[2], "IKEv2-PROTO-3: HDR[i:DFA3B583A4369958 - r: 27C943C13FD94665]");
}

TEST(DebugRenderer, LevelsGateEachPart) {
  DebugRenderer r(Personality::Asa);
  auto m = init_request(0, wire::kFlagInitiator);
  auto ev = packet(m, true, ep("10.0.0.1", 500), ep("10.0.0.2", 500), 16);
  EXPECT_TRUE(r.render(ev, {}).empty());
  auto plat_only = r.render(ev, {0, 4});
  ASSERT_EQ(plat_only.size(), 1u);
  EXPECT_EQ(plat_only[0].rfind("IKEv2-PLAT-4: SENT PKT", 0), 0u);
  auto proto3 = r.render(ev, {3, 0});
  ASSERT_EQ(proto3.size(), 2u);  // Tx and HDR, no dump below level 4
  EXPECT_EQ(r.render(ev, {255, 0}).size(), wire::dump_asa(m).size() + 2);

  EXPECT_TRUE(r.render(sm(16, kSpiI, 0, true, 0, "IDLE", "EV_INIT_SA"), {4, 127}).empty());
  EXPECT_EQ(r.render(sm(16, kSpiI, 0, true, 0, "IDLE", "EV_INIT_SA"), {5, 0}).size(), 1u);
  EXPECT_TRUE(r.wants(Facility::Protocol, 1, {1, 0}));
  EXPECT_FALSE(r.wants(Facility::Protocol, 2, {1, 0}));
  EXPECT_FALSE(r.wants(Facility::Platform, 1, {127, 0}));
  EXPECT_TRUE(r.wants(Facility::Platform, 5, {0, 127}));

  TraceEvent empty_packet;
  empty_packet.kind = TraceEvent::Kind::Packet;
  EXPECT_TRUE(r.render(empty_packet, kAll).empty());
}

TEST(DebugRenderer, ControlCharactersInTextCannotForgeLines) {
  DebugRenderer r(Personality::Asa);
  auto lines = r.render(note(Facility::Protocol, 3, 16, "id a\x1b[2Jb\nIKEv2-PROTO-1: x"), kAll);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "IKEv2-PROTO-3: (16): id a?[2Jb");
  EXPECT_EQ(lines[1], "IKEv2-PROTO-3: (16): IKEv2-PROTO-1: x");
}

TEST(DebugRenderer, IosMatchesSeed) {
  DebugRenderer r(Personality::Ios);
  constexpr std::uint64_t i = 0xF074D8BBD5A59F0B, rs = 0xF94020DD8CB4B9C4;
  std::vector<TraceEvent> evs = {
      note(Facility::Platform, 5, 0, "New ikev2 sa request admitted"),
      sm(1, i, 0, true, 0, "IDLE", "EV_INIT_SA"),
      sm(1, i, rs, false, 0, "R_INIT", "EV_VERIFY_MSG"),
      note(Facility::Protocol, 3, 1, "Generate skeyid"),
      sm(1, i, rs, true, 1, "READY", "EV_I_OK"),
  };
  std::vector<std::string> expected = {
      "IKEv2:New ikev2 sa request admitted",
      "IKEv2:(SA ID = 1):SM Trace-> SA: I_SPI=F074D8BBD5A59F0B R_SPI=0000000000000000 (I) "
      "MsgID = 00000000 CurState: IDLE Event: EV_INIT_SA",
      "IKEv2:(SA ID = 1):SM Trace-> SA: I_SPI=F074D8BBD5A59F0B R_SPI=F94020DD8CB4B9C4 (R) "
      "MsgID = 00000000 CurState: R_INIT Event: EV_VERIFY_MSG",
      "IKEv2:(SA ID = 1):Generate skeyid",
      "IKEv2:(SA ID = 1):SM Trace-> SA: I_SPI=F074D8BBD5A59F0B R_SPI=F94020DD8CB4B9C4 (I) "
      "MsgID = 00000001 CurState: READY Event: EV_I_OK",
  };
  EXPECT_EQ(render_all(r, evs), expected);
}

// The responder's first look at IKE_SA_INIT has no SA yet: "IKEv2:Next payload: SA, ...".
TEST(DebugRenderer, IosPacketIsTheIosDump) {
  DebugRenderer r(Personality::Ios);
  auto m = init_request(0, wire::kFlagInitiator);
  auto sent = r.render(packet(m, true, ep("10.0.0.1", 500), ep("10.0.0.2", 500), 1), kAll);
  auto dump = wire::dump_ios(m, wire::Direction::Sent, 1u);
  ASSERT_EQ(sent.size(), dump.size() + 1);
  EXPECT_EQ(sent[0], "IKEv2:(SA ID = 1):Sending Packet [To 10.0.0.2:500/From 10.0.0.1:500/VRF i0:f0]");
  EXPECT_EQ(std::vector<std::string>(sent.begin() + 1, sent.end()), dump);
  EXPECT_EQ(sent[1].rfind("IKEv2:(SA ID = 1):Next payload: ", 0), 0u);

  auto recv = r.render(packet(m, false, ep("10.0.0.2", 500), ep("10.0.0.1", 500), 0), {4, 0});
  ASSERT_FALSE(recv.empty());
  EXPECT_EQ(recv, wire::dump_ios(m, wire::Direction::Received));
  EXPECT_EQ(recv[0].rfind("IKEv2:Next payload: N, version: 2.0 ", 0), 0u);
}

}  // namespace
}  // namespace ikegate::cli
