// The interpreter facing hostile operator input (the control socket is root's, but a script or a
// paste can send anything): every line gets status 0 or 1 and text ending in a newline, bad
// numbers and addresses are refused at their column, and a refused command changes nothing.
// Also the counters `show crypto ikev2 stats` prints for attacks the engine fends off.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cli/commands.h"

namespace ikegate::cli {
namespace {

using Personality = policy::Personality;

CommandInterpreter make(Personality p, ikev2::Stats* stats = nullptr) {
  auto pol = std::make_shared<policy::Policy>();
  pol->personality = p;
  CommandInterpreter::Actions a;
  a.snapshot = [] { return std::vector<ikev2::IkeSaInfo>{}; };
  if (stats) a.stats = [stats] { return *stats; };
  a.clear_ike = [](std::optional<IpAddress>) { return std::size_t{0}; };
  return CommandInterpreter(p, pol, std::move(a));
}

TEST(CommandsHostile, EveryLineGetsAnAnswerOrAnError) {
  const std::string lines[] = {
      std::string(5000, 'a'),
      std::string(1024, ' '),
      std::string(2000, ' ') + "show crypto ikev2 sa",
      "\t\t\t",
      "show\x01 crypto",
      std::string("show crypto\0ikev2 sa", 20),
      "show crypto ikev2 sa \xc3\xa9",
      "debug crypto ikev2 protocol 99999999999999999999999",
      "debug crypto ikev2 protocol -1",
      "debug crypto ikev2 protocol 0x10",
      "debug crypto ikev2 protocol 256",
      "show crypto ipsec sa peer 999.1.1.1",
      "show crypto ipsec sa peer 10.0.0.2 extra",
      "clear crypto ikev2 sa ::ffff:10.0.0.2:500",
      "s c i s d d d d d d d d",
      "\r\n",
      "show crypto ikev2 sa\r\r\r",
  };
  for (auto p : {Personality::Asa, Personality::Ios}) {
    auto cli = make(p);
    cli.execute("debug crypto ikev2 protocol 7");
    const auto before = cli.debug_levels();
    for (const auto& line : lines) {
      auto out = cli.execute(line);
      EXPECT_TRUE(out.status == 0 || out.status == 1) << line;
      if (!out.text.empty()) {
        EXPECT_EQ(out.text.back(), '\n') << line;
      }
      if (out.status != 0) {
        EXPECT_FALSE(out.subscribe_monitor) << line;
      }
      EXPECT_EQ(cli.debug_levels(), before) << line;
    }
  }
}

TEST(CommandsHostile, OutOfRangeLevelIsRefusedAtItsColumn) {
  auto cli = make(Personality::Asa);
  auto out = cli.execute("debug crypto ikev2 protocol 99999999999999999999");
  EXPECT_EQ(out.status, 1);
  EXPECT_NE(out.text.find("\n                            ^\n"), std::string::npos) << out.text;
  EXPECT_EQ(cli.debug_levels().protocol, 0);
}

TEST(CommandsHostile, OverlongLineIsRefusedWithoutEcho) {
  auto cli = make(Personality::Ios);
  auto out = cli.execute(std::string(CommandInterpreter::kMaxLine + 1, 'x'));
  EXPECT_EQ(out.status, 1);
  EXPECT_NE(out.text.find("Command line too long (1025 characters, at most 1024)"), std::string::npos);
  EXPECT_LT(out.text.size(), 200u);
}

TEST(CommandsHostile, StatsShowTheCountersOfRefusedInput) {
  ikev2::Stats s;
  s.fragments_sent = 4;
  s.fragments_received = 7;
  s.fragment_errors = 2;
  s.busy_drops = 5;
  s.decode_errors = 11;
  s.role_mismatch = 3;
  auto cli = make(Personality::Asa, &s);
  auto out = cli.execute("show crypto ikev2 stats");
  ASSERT_EQ(out.status, 0);
  EXPECT_NE(out.text.find("  Fragments Sent:                         4\n"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("  Fragments Received:                     7\n"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("  Fragments Refused:                      2\n"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("  Dropped, Crypto Workers Busy:           5\n"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("  Decode Errors:                          11\n"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("  Role Mismatch (Reflected):              3\n"), std::string::npos) << out.text;
}

}  // namespace
}  // namespace ikegate::cli
