// Configuration files with secrets: refused when other users can read or write them, with a
// message naming the mode and the chmod that fixes it; files without secrets are never refused.
#include "daemon/secret_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config/parser.h"

using namespace ikegate;
using namespace ikegate::daemon;

namespace {

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ikegate-cfg-XXXXXX").string();
    int fd = ::mkstemp(tmpl.data());
    ::close(fd);
    path = tmpl;
    std::ofstream(path) << text;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

config::Model load(const std::string& text) {
  auto r = config::load_config(text, {});
  EXPECT_TRUE(r.ok());
  return r.model;
}

const char* kWithKey =
    "hostname ASA1\n"
    "tunnel-group 10.0.0.2 type ipsec-l2l\n"
    "tunnel-group 10.0.0.2 ipsec-attributes\n"
    " ikev2 remote-authentication pre-shared-key cisco123\n"
    " ikev2 local-authentication pre-shared-key cisco123\n";
const char* kMasked =
    "hostname ASA1\n"
    "tunnel-group 10.0.0.2 type ipsec-l2l\n"
    "tunnel-group 10.0.0.2 ipsec-attributes\n"
    " ikev2 remote-authentication pre-shared-key *****\n";
const char* kNoSecret = "hostname ASA1\n";

TEST(SecretFile, KnowsWhichModelsHoldSecrets) {
  EXPECT_TRUE(holds_secrets(load(kWithKey)));
  EXPECT_FALSE(holds_secrets(load(kMasked)));
  EXPECT_FALSE(holds_secrets(load(kNoSecret)));
  EXPECT_TRUE(holds_secrets(load("hostname R1\ncrypto isakmp key s3cret address 10.0.0.2\n")));
  EXPECT_TRUE(holds_secrets(load("hostname ASA1\nenable password 8Ry2YjIyt7RRXU24 encrypted\n")));
}

TEST(SecretFile, WorldReadableFileWithKeysIsRefusedWithTheFix) {
  TempFile f(kWithKey);
  auto model = load(kWithKey);
  ::chmod(f.path.c_str(), 0644);
  auto p = secret_file_problem(f.path, model);
  ASSERT_TRUE(p);
  EXPECT_NE(p->find("readable by every user (mode 0644)"), std::string::npos) << *p;
  EXPECT_NE(p->find("chmod 600 " + f.path), std::string::npos) << *p;
  EXPECT_EQ(p->find('\n'), std::string::npos);
  EXPECT_EQ(p->find("cisco123"), std::string::npos);

  ::chmod(f.path.c_str(), 0602);
  p = secret_file_problem(f.path, model);
  ASSERT_TRUE(p);
  EXPECT_NE(p->find("writable by every user (mode 0602)"), std::string::npos) << *p;

  for (mode_t ok : {0600, 0640, 0400, 0660}) {
    ::chmod(f.path.c_str(), ok);
    EXPECT_FALSE(secret_file_problem(f.path, model)) << std::oct << ok;
  }
}

TEST(SecretFile, FilesWithoutSecretsMayBeWorldReadable) {
  for (const char* text : {kMasked, kNoSecret}) {
    TempFile f(text);
    ::chmod(f.path.c_str(), 0644);
    EXPECT_FALSE(secret_file_problem(f.path, load(text)));
  }
}

}  // namespace
