// `ikegate loadgen` argument parsing and its refusal of unusable configurations.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <cstdlib>
#include <unistd.h>

#include "daemon/loadgen.h"

using namespace ikegate;
using namespace ikegate::daemon;

namespace {

Result<void> parse(std::vector<std::string> args, LoadgenOptions& o) { return parse_loadgen_args(args, o); }

}  // namespace

TEST(Loadgen, ParsesEveryOption) {
  LoadgenOptions o;
  ASSERT_TRUE(parse({"--config", "lg.cfg", "--count", "50000", "--rate", "1000", "--window", "8", "--time-limit",
                     "30", "--source", "10.9.0.1,10.9.0.3", "--hold", "--verbose"},
                    o));
  EXPECT_EQ(o.config_path, "lg.cfg");
  EXPECT_EQ(o.count, 50000u);
  EXPECT_EQ(o.rate, 1000.0);
  EXPECT_EQ(o.window, 8u);
  EXPECT_EQ(o.time_limit, std::chrono::seconds(30));
  ASSERT_EQ(o.sources.size(), 2u);
  EXPECT_EQ(o.sources[1].to_string(), "10.9.0.3");
  EXPECT_TRUE(o.hold);
  EXPECT_TRUE(o.verbose);
}

TEST(Loadgen, RefusesBadValuesNamingTheOption) {
  LoadgenOptions o;
  auto r = parse({"--count", "0", "--config", "x"}, o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("--count"), std::string::npos);
  r = parse({"--config", "x", "--rate", "-5"}, o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("--rate"), std::string::npos);
  r = parse({"--config", "x", "--source", "10.9.0.1,nonsense"}, o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("--source"), std::string::npos);
  r = parse({"--config", "x", "--window"}, o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("--window"), std::string::npos);
  LoadgenOptions fresh;
  r = parse({"--count", "10"}, fresh);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("--config"), std::string::npos);
}

TEST(Loadgen, AConfigurationWithoutAUsableCryptoMapIsASetupError) {
  char path[] = "/tmp/loadgen-test-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream f(path);
    f << "hostname LG\ninterface GigabitEthernet0/0\n nameif outside\n ip address 10.9.0.1 255.255.255.0\n";
  }
  LoadgenOptions o;
  o.config_path = path;
  o.count = 1;
  o.time_limit = std::chrono::seconds(1);
  testing::internal::CaptureStderr();
  int rc = run_loadgen(o);
  std::string err = testing::internal::GetCapturedStderr();
  std::remove(path);
  EXPECT_EQ(rc, 2);
  EXPECT_NE(err.find("no static IKEv2 crypto map entry"), std::string::npos) << err;
  o.config_path = "/nonexistent/loadgen.cfg";
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_loadgen(o), 2);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("cannot read"), std::string::npos);
}
