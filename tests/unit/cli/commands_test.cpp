// The command interpreter with recording actions: each command, Cisco abbreviations, errors
// with their caret, debug levels, and the peers handed to the clear actions.
#include "cli/commands.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ikegate::cli {
namespace {

using Personality = policy::Personality;
using Output = CommandInterpreter::Output;

struct Recorder {
  std::vector<std::optional<IpAddress>> ike_cleared, ipsec_cleared;
  int reloads = 0;
  bool reload_fails = false;
  std::vector<ikev2::IkeSaInfo> sas;
  ikev2::Stats stats;
};

ikev2::IkeSaInfo sa_with(const char* peer, std::uint32_t id, std::uint32_t spi_in) {
  ikev2::IkeSaInfo sa;
  sa.id = id;
  sa.local = {*IpAddress::parse("10.0.0.1"), 500};
  sa.remote = {*IpAddress::parse(peer), 500};
  sa.status = "READY";
  sa.lifetime = std::chrono::seconds{86400};
  ikev2::ChildSaInfo c;
  c.map = "outside_map";
  c.seq = 1;
  c.acl_text = "access-list l2l_list extended permit ip host 192.168.1.1 host 192.168.2.99";
  c.selector.src_start = c.selector.src_end = *IpAddress::parse("192.168.1.1");
  c.selector.dst_start = c.selector.dst_end = *IpAddress::parse("192.168.2.99");
  c.spi_in = spi_in;
  c.spi_out = spi_in + 1;
  c.key_bits = 256;
  c.integ = IntegId::HMAC_SHA1_96;
  c.lifetime_kb = 4608000;
  sa.children.push_back(c);
  return sa;
}

CommandInterpreter make(Personality p, Recorder& r, bool with_actions = true) {
  auto pol = std::make_shared<policy::Policy>();
  pol->personality = p;
  policy::CryptoMapEntry e;
  e.map = "outside_map";
  e.seq = 1;
  e.interface = p == Personality::Asa ? "outside" : "Ethernet0/0";
  pol->map_entries.push_back(e);
  CommandInterpreter::Actions a;
  if (with_actions) {
    a.snapshot = [&r] { return r.sas; };
    a.stats = [&r] { return r.stats; };
    a.clear_ike = [&r](std::optional<IpAddress> peer) {
      r.ike_cleared.push_back(peer);
      return std::size_t{1};
    };
    a.clear_ipsec = [&r](std::optional<IpAddress> peer) {
      r.ipsec_cleared.push_back(peer);
      return std::size_t{2};
    };
    a.running_config = [] { return std::string("hostname ASA1\ncrypto ikev2 enable outside"); };
    a.reload = [&r]() -> Result<void> {
      ++r.reloads;
      if (r.reload_fails) return fail("line 3: unknown command");
      return {};
    };
  }
  return CommandInterpreter(p, pol, std::move(a));
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(Commands, ShowIkev2SaAndAbbreviations) {
  Recorder r;
  r.sas = {sa_with("10.0.0.2", 7, 0x1000)};
  auto cli = make(Personality::Asa, r);
  auto full = cli.execute("show crypto ikev2 sa");
  EXPECT_EQ(full.status, 0);
  EXPECT_TRUE(contains(full.text, "IKEv2 SAs:")) << full.text;
  EXPECT_TRUE(contains(full.text, "10.0.0.2/500")) << full.text;
  EXPECT_FALSE(contains(full.text, "Local spi:"));
  EXPECT_EQ(cli.execute("sh cry ikev2 sa").text, full.text);
  EXPECT_EQ(cli.execute("  SHOW   Crypto IKEV2 sa\r\n").text, full.text);
  auto detail = cli.execute("sh cry ikev2 sa det");
  EXPECT_EQ(detail.status, 0);
  EXPECT_TRUE(contains(detail.text, "Local spi:")) << detail.text;
  EXPECT_EQ(cli.execute("show crypto ikev2 sa detailed").text, detail.text);
  EXPECT_EQ(cli.execute("show crypto ikev2 sa detail").text, detail.text);
}

TEST(Commands, ShowIsakmpSaOnAsaListsIkev2Too) {
  Recorder r;
  r.sas = {sa_with("10.0.0.2", 7, 0x1000)};
  auto cli = make(Personality::Asa, r);
  auto o = cli.execute("sh cry isa sa det");
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.text.rfind("There are no IKEv1 SAs\n\nIKEv2 SAs:", 0), 0u) << o.text;
  EXPECT_TRUE(contains(o.text, "Local spi:"));
  EXPECT_FALSE(contains(cli.execute("show crypto isakmp sa").text, "Local spi:"));
}

TEST(Commands, ShowIpsecSaFiltersByPeer) {
  Recorder r;
  r.sas = {sa_with("10.0.0.2", 1, 0x1000), sa_with("10.0.0.3", 2, 0x2000)};
  auto cli = make(Personality::Asa, r);
  auto all = cli.execute("show crypto ipsec sa");
  EXPECT_TRUE(contains(all.text, "interface: outside")) << all.text;
  EXPECT_TRUE(contains(all.text, "current_peer: 10.0.0.2"));
  EXPECT_TRUE(contains(all.text, "current_peer: 10.0.0.3"));
  auto one = cli.execute("sh cry ips sa peer 10.0.0.3");
  EXPECT_EQ(one.status, 0);
  EXPECT_FALSE(contains(one.text, "current_peer: 10.0.0.2")) << one.text;
  EXPECT_TRUE(contains(one.text, "current_peer: 10.0.0.3"));
  EXPECT_EQ(cli.execute("show crypto ipsec sa peer 10.9.9.9").text, "There are no ipsec sas\n");
  r.sas.clear();
  EXPECT_EQ(cli.execute("show crypto ipsec sa").text, "There are no ipsec sas\n");
}

TEST(Commands, IosShows) {
  Recorder r;
  r.sas = {sa_with("172.16.10.2", 1, 0x1000)};
  auto cli = make(Personality::Ios, r);
  auto ike = cli.execute("show crypto ikev2 sa detailed");
  EXPECT_EQ(ike.text.rfind(" IPv4 Crypto IKEv2  SA\n", 0), 0u) << ike.text;
  EXPECT_TRUE(contains(ike.text, "Local spi:"));
  auto session = cli.execute("sh cry sess det");
  EXPECT_EQ(session.status, 0);
  EXPECT_TRUE(contains(session.text, "Interface: Ethernet0/0")) << session.text;
  EXPECT_EQ(cli.execute("show crypto session").text, session.text);
  auto ipsec = cli.execute("show crypto ipsec sa");
  EXPECT_TRUE(contains(ipsec.text, "    Crypto map tag: outside_map, local addr 10.0.0.1"))
      << ipsec.text;
  auto isakmp = cli.execute("show crypto isakmp sa detail");
  EXPECT_TRUE(contains(isakmp.text, "IPv4 Crypto ISAKMP SA")) << isakmp.text;
  // The ASA has no `show crypto session`.
  Recorder ra;
  auto asa = make(Personality::Asa, ra);
  EXPECT_EQ(asa.execute("show crypto session").status, 1);
}

TEST(Commands, StatsAndRunningConfig) {
  Recorder r;
  r.sas = {sa_with("10.0.0.2", 1, 0x1000)};
  r.stats.auth_failures = 3;
  r.stats.sa_init_sent = 12;
  auto cli = make(Personality::Asa, r);
  auto s = cli.execute("show crypto ikev2 stats");
  EXPECT_EQ(s.status, 0);
  EXPECT_EQ(s.text.rfind("Global IKEv2 Statistics\n", 0), 0u) << s.text;
  EXPECT_TRUE(contains(s.text, "  Active Tunnels:                         1\n")) << s.text;
  EXPECT_TRUE(contains(s.text, "  Authentication Failures:                3\n")) << s.text;
  EXPECT_TRUE(contains(s.text, "  Out IKE_SA_INIT Requests:               12\n")) << s.text;
  auto run = cli.execute("sh run");
  EXPECT_EQ(run.status, 0);
  EXPECT_EQ(run.text, "hostname ASA1\ncrypto ikev2 enable outside\n");
}

TEST(Commands, AsaIsakmpStatsPrintsTheIkev1CountersUnderCiscosNamesThenTheIkev2Ones) {
  Recorder r;
  ikev1::Stats v1;
  v1.phase1_completed = 3;
  v1.in_packets = 1854;
  v1.in_drops = 925;
  v1.decrypt_failures = 7;
  v1.hash_failures = 2;
  v1.unknown_cookies = 40;
  v1.capacity_fails = 5;
  ikev1::Snapshot snap;
  snap.isakmp.resize(2);
  snap.isakmp[0].established = true;  // one active, one still negotiating
  auto pol = std::make_shared<policy::Policy>();
  CommandInterpreter::Actions a;
  a.v1_stats = [&] { return v1; };
  a.v1_snapshot = [&] { return snap; };
  a.stats = [&r] { return r.stats; };
  a.snapshot = [&r] { return r.sas; };
  CommandInterpreter cli(Personality::Asa, pol, std::move(a));
  auto s = cli.execute("sh cry isa stats");
  ASSERT_EQ(s.status, 0) << s.text;
  EXPECT_EQ(s.text.rfind("Global IKEv1 Statistics\n"
                         "  Active Tunnels:                    1\n"
                         "  Previous Tunnels:                  2\n",
                         0),
            0u)
      << s.text;
  EXPECT_TRUE(contains(s.text, "  In Packets:                     1854\n")) << s.text;
  EXPECT_TRUE(contains(s.text, "  In Drop Packets:                 925\n")) << s.text;
  EXPECT_TRUE(contains(s.text, "  System Capacity Fails:             5\n")) << s.text;
  EXPECT_TRUE(contains(s.text, "  Decrypt Fails:                     7\n")) << s.text;
  EXPECT_TRUE(contains(s.text, "  Hash Valid Fails:                  2\n")) << s.text;
  EXPECT_TRUE(contains(s.text, "  No Sa Fails:                      40\n")) << s.text;
  EXPECT_TRUE(contains(s.text, "\nGlobal IKEv2 Statistics\n")) << s.text;
  // `show crypto isakmp sa` is still reachable by its abbreviation.
  EXPECT_EQ(cli.execute("sh cry isa sa").status, 0);
}

TEST(Commands, ClearCallsTheActionWithThePeer) {
  Recorder r;
  auto cli = make(Personality::Asa, r);
  EXPECT_EQ(cli.execute("clear crypto ikev2 sa").status, 0);
  EXPECT_EQ(cli.execute("clear cry ikev2 sa 10.0.0.2").status, 0);
  EXPECT_EQ(cli.execute("clear crypto ipsec sa").status, 0);
  EXPECT_EQ(cli.execute("cl cry ips sa peer 2001:db8::2").status, 0);
  EXPECT_EQ(cli.execute("clear crypto isakmp sa").status, 0);
  ASSERT_EQ(r.ike_cleared.size(), 3u);
  EXPECT_EQ(r.ike_cleared[0], std::nullopt);
  EXPECT_EQ(r.ike_cleared[1], IpAddress::parse("10.0.0.2"));
  EXPECT_EQ(r.ike_cleared[2], std::nullopt);
  ASSERT_EQ(r.ipsec_cleared.size(), 2u);
  EXPECT_EQ(r.ipsec_cleared[0], std::nullopt);
  EXPECT_EQ(r.ipsec_cleared[1], IpAddress::parse("2001:db8::2"));
  // A bad address is invalid input, and nothing is cleared.
  auto bad = cli.execute("clear crypto ikev2 sa 10.0.0.256");
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(bad.text,
            "clear crypto ikev2 sa 10.0.0.256\n"
            "                      ^\n"
            "ERROR: % Invalid input detected at '^' marker.\n");
  EXPECT_EQ(cli.execute("clear crypto ipsec sa peer").status, 1);
  EXPECT_EQ(r.ike_cleared.size(), 3u);
  EXPECT_EQ(r.ipsec_cleared.size(), 2u);
}

TEST(Commands, DebugLevels) {
  Recorder r;
  auto cli = make(Personality::Asa, r);
  EXPECT_EQ(cli.debug_levels(), (DebugLevels{0, 0}));
  EXPECT_EQ(cli.execute("debug crypto ikev2 protocol 127").status, 0);
  EXPECT_EQ(cli.debug_levels(), (DebugLevels{127, 0}));
  EXPECT_EQ(cli.execute("deb cry ikev2 plat 255").status, 0);
  EXPECT_EQ(cli.debug_levels(), (DebugLevels{127, 255}));
  EXPECT_EQ(cli.execute("show debug").text,
            "debug crypto ikev2 protocol 127\ndebug crypto ikev2 platform 255\n");
  EXPECT_EQ(cli.execute("debug crypto ikev2 platform").status, 0);  // level 1 by default
  EXPECT_EQ(cli.debug_levels().platform, 1);
  for (const char* bad : {"debug crypto ikev2 protocol 0", "debug crypto ikev2 protocol 256",
                          "debug crypto ikev2 protocol -1", "debug crypto ikev2 protocol 12x",
                          "debug crypto ikev2 protocol 99999999999999999999"}) {
    auto o = cli.execute(bad);
    EXPECT_EQ(o.status, 1) << bad;
    EXPECT_TRUE(contains(o.text, "                            ^\n")) << o.text;
  }
  EXPECT_EQ(cli.debug_levels(), (DebugLevels{127, 1}));
  EXPECT_EQ(cli.execute("undebug all").status, 0);
  EXPECT_EQ(cli.debug_levels(), (DebugLevels{}));
  EXPECT_EQ(cli.execute("show debug").text, "");
  cli.execute("debug crypto ikev2 protocol 3");
  EXPECT_EQ(cli.execute("no debug all").status, 0);
  EXPECT_EQ(cli.debug_levels(), (DebugLevels{}));
  // The ASA needs a facility.
  auto o = cli.execute("debug crypto ikev2");
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.text, "ERROR: % Incomplete command\n");
}

TEST(Commands, IosDebug) {
  Recorder r;
  auto cli = make(Personality::Ios, r);
  EXPECT_EQ(cli.execute("debug crypto ikev2").status, 0);
  EXPECT_EQ(cli.debug_levels(), (DebugLevels{127, 127}));
  EXPECT_EQ(cli.execute("show debugging").text,
            "Crypto Subsystem:\n  Crypto IKEv2 protocol debugging is on (level 127)\n"
            "  Crypto IKEv2 platform debugging is on (level 127)\n");
  auto off = cli.execute("undebug all");
  EXPECT_EQ(off.text, "All possible debugging has been turned off\n");
  EXPECT_EQ(cli.execute("debug crypto ikev2 packet").status, 0);
  EXPECT_EQ(cli.debug_levels(), (DebugLevels{4, 4}));
  EXPECT_EQ(cli.execute("no debug crypto ikev2").status, 0);
  EXPECT_EQ(cli.debug_levels(), (DebugLevels{}));
}

TEST(Commands, MonitorAndReload) {
  Recorder r;
  auto cli = make(Personality::Asa, r);
  auto m = cli.execute("terminal monitor");
  EXPECT_EQ(m.status, 0);
  EXPECT_TRUE(m.subscribe_monitor);
  EXPECT_TRUE(cli.execute("monitor").subscribe_monitor);
  EXPECT_TRUE(cli.execute("term mon").subscribe_monitor);
  EXPECT_FALSE(cli.execute("show debug").subscribe_monitor);
  EXPECT_EQ(cli.execute("config reload").status, 0);
  EXPECT_EQ(r.reloads, 1);
  r.reload_fails = true;
  auto failed = cli.execute("con rel");
  EXPECT_EQ(failed.status, 1);
  EXPECT_EQ(failed.text, "ERROR: % Configuration not reloaded: line 3: unknown command\n");
  EXPECT_EQ(r.reloads, 2);
}

TEST(Commands, ErrorsInBothPersonalities) {
  Recorder r;
  auto asa = make(Personality::Asa, r);
  auto ios = make(Personality::Ios, r);
  EXPECT_EQ(ios.execute("show crypto foo").text,
            "show crypto foo\n"
            "            ^\n"
            "% Invalid input detected at '^' marker.\n");
  EXPECT_EQ(asa.execute("show crypto foo").text,
            "show crypto foo\n"
            "            ^\n"
            "ERROR: % Invalid input detected at '^' marker.\n");
  // Extra words after a complete command.
  auto extra = asa.execute("show crypto ikev2 sa detail now");
  EXPECT_EQ(extra.status, 1);
  EXPECT_TRUE(contains(extra.text, "\n                            ^\n")) << extra.text;
  // "c" is clear or config; "show crypto i" is ikev2, isakmp or ipsec.
  auto amb = ios.execute("c");
  EXPECT_EQ(amb.status, 1);
  EXPECT_EQ(amb.text, "% Ambiguous command:  \"c\"\n");
  EXPECT_EQ(asa.execute("sh cry i sa").text, "ERROR: % Ambiguous command:  \"sh cry i\"\n");
  EXPECT_EQ(ios.execute("show crypto").text, "% Incomplete command.\n");
  EXPECT_EQ(ios.execute("show crypto ikev2 sa ?").status, 1);
  // Nothing at all is not an error.
  EXPECT_EQ(asa.execute("").status, 0);
  EXPECT_EQ(asa.execute("   \t  ").text, "");
}

TEST(Commands, JunkAndOverlongInputAreRejected) {
  Recorder r;
  auto cli = make(Personality::Ios, r);
  std::string junk = "show \x01\xff\x7f crypto";
  auto o = cli.execute(junk);
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.text, "show ??? crypto\n     ^\n% Invalid input detected at '^' marker.\n");
  std::string nul("show\0crypto", 11);
  EXPECT_EQ(cli.execute(nul).status, 1);
  std::string longline(CommandInterpreter::kMaxLine + 1, 'a');
  auto l = cli.execute(longline);
  EXPECT_EQ(l.status, 1);
  EXPECT_EQ(l.text, "% Command line too long (1025 characters, at most 1024)\n");
  std::string many;
  for (int i = 0; i < 300; ++i) many += "sh ";
  EXPECT_EQ(cli.execute(many).status, 1);
  // Every byte value alone, and a few mixes: never a crash, always an answer.
  for (int b = 0; b < 256; ++b) {
    std::string one(1, static_cast<char>(b));
    auto out = cli.execute(one);
    EXPECT_TRUE(out.status == 0 || out.status == 1);
    EXPECT_TRUE(out.text.empty() || out.text.back() == '\n');
  }
}

TEST(Commands, MissingActionsFailCleanly) {
  Recorder r;
  auto cli = make(Personality::Asa, r, false);
  for (const char* c : {"show crypto ikev2 sa", "show crypto ipsec sa", "show crypto ikev2 stats",
                        "show running-config", "clear crypto ikev2 sa", "clear crypto ipsec sa",
                        "config reload"}) {
    auto o = cli.execute(c);
    EXPECT_EQ(o.status, 1) << c;
    EXPECT_EQ(o.text, "ERROR: % This command is not available\n") << c;
  }
  EXPECT_EQ(cli.execute("debug crypto ikev2 protocol 5").status, 0);
}

}  // namespace
}  // namespace ikegate::cli
