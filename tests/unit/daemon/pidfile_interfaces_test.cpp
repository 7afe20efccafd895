#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "daemon/interfaces.h"
#include "daemon/pidfile.h"

using namespace ikegate;
using namespace ikegate::daemon;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ikegate-pid-XXXXXX").string();
    path = ::mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST(PidFile, CreatesDirectoryWritesPidAndRemovesOnExit) {
  TempDir dir;
  const std::string path = dir.path + "/run/ikegate/ikegate.pid";
  {
    auto pf = PidFile::create(path);
    ASSERT_TRUE(pf) << pf.error().message;
    EXPECT_EQ(slurp(path), std::to_string(::getpid()) + "\n");
    struct stat st;
    ASSERT_EQ(::stat((dir.path + "/run/ikegate").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(PidFile, SecondInstanceIsRefused) {
  TempDir dir;
  const std::string path = dir.path + "/ikegate.pid";
  auto first = PidFile::create(path);
  ASSERT_TRUE(first);
  auto second = PidFile::create(path);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message, "ikegate is already running (pid " +
                                        std::to_string(::getpid()) + ", pid file " + path + ")");
  EXPECT_TRUE(std::filesystem::exists(path));  // the refusal did not remove it
}

TEST(PidFile, StaleFileOfAKilledInstanceIsTakenOver) {
  TempDir dir;
  const std::string path = dir.path + "/ikegate.pid";
  // A child takes the pid file and dies by SIGKILL, leaving the file behind.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto pf = PidFile::create(path);
    if (!pf) ::_exit(1);
    ::raise(SIGKILL);
    ::_exit(2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(slurp(path), std::to_string(child) + "\n");
  auto pf = PidFile::create(path);
  ASSERT_TRUE(pf) << pf.error().message;
  EXPECT_EQ(slurp(path), std::to_string(::getpid()) + "\n");
}

TEST(PidFile, MovedFromDoesNotRemove) {
  TempDir dir;
  const std::string path = dir.path + "/ikegate.pid";
  auto pf = PidFile::create(path);
  ASSERT_TRUE(pf);
  {
    PidFile moved = std::move(*pf);
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(EnsureDirectory, RefusesAFileInTheWay) {
  TempDir dir;
  std::ofstream(dir.path + "/file") << "x";
  auto r = ensure_directory(dir.path + "/file/sub");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, dir.path + "/file exists and is not a directory");
}

TEST(Interfaces, LoopbackHas127001) {
  auto all = list_interfaces();
  ASSERT_TRUE(all) << all.error().message;
  const auto lo127 = IpAddress::v4(0x7f000001);
  auto lo = interface_with_address(lo127);
  ASSERT_TRUE(lo);
  EXPECT_EQ(lo->name, "lo");
  EXPECT_EQ(lo->index, 1);
  EXPECT_TRUE(lo->up);
  bool found = false;
  for (const auto& [a, prefix] : lo->addresses)
    if (a == lo127) {
      found = true;
      EXPECT_EQ(prefix, 8);
    }
  EXPECT_TRUE(found);
  auto required = require_interface_with_address(lo127, "inside");
  ASSERT_TRUE(required);
  EXPECT_EQ(required->name, "lo");
}

TEST(Interfaces, MissingAddressIsAClearStartupError) {
  const auto absent = *IpAddress::parse("192.0.2.254");  // TEST-NET-1, on no device here
  EXPECT_FALSE(interface_with_address(absent));
  auto r = require_interface_with_address(absent, "outside");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "interface outside: no Linux device has address 192.0.2.254; configure it (ip addr "
            "add) or map the interface to a device explicitly");
}
