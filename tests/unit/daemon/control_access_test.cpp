// Who may reach the control socket: root (mode 0600) or a configured group (0660, the group's
// ownership), and a client with other credentials is refused even when the mode was widened.
#include <gtest/gtest.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <future>
#include <thread>

#include "common/bytes.h"
#include "daemon/control.h"

using namespace ikegate;
using namespace ikegate::daemon;
using namespace std::chrono_literals;

namespace {

struct Server {
  std::string dir;
  std::string path;
  EventLoop loop;
  std::unique_ptr<ControlServer> server;
  std::thread thread;

  explicit Server(ControlServer::Access access) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ikegate-acc-XXXXXX").string();
    dir = ::mkdtemp(tmpl.data()) ? tmpl : "";
    path = dir + "/run/ikegate.sock";
    auto s = ControlServer::open(
        loop, path, [](std::string_view, Session&) { return CommandResult{0, "ok\n"}; }, access);
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    if (s) server = std::move(*s);
    thread = std::thread([this] { loop.run(); });
  }
  ~Server() {
    std::promise<void> done;
    loop.post([&] {
      server.reset();
      done.set_value();
    });
    done.get_future().wait_for(5s);
    loop.stop();
    thread.join();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

// Connects, sends one command and returns everything the server sent back (bounded: 10 s, so a
// loaded machine does not turn a slow answer into a missing one).
std::string ask(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::strncpy(sun.sun_path, path.c_str(), sizeof sun.sun_path - 1);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0) {
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    // MSG_NOSIGNAL: a refused client may find the socket closed already (EPIPE, not SIGPIPE).
    (void)!::send(fd, "show\n", 5, MSG_NOSIGNAL);
    char buf[512];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<std::size_t>(n));
  } else {
    out = std::string("connect: ") + std::strerror(errno);
  }
  ::close(fd);
  return out;
}

TEST(ControlAccess, RootOnlyByDefault) {
  Server s({});
  ASSERT_TRUE(s.server);
  struct stat st;
  ASSERT_EQ(::stat(s.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::stat((s.dir + "/run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_NE(ask(s.path).find("ok\n"), std::string::npos);
}

TEST(ControlAccess, ConfiguredGroupOwnsSocketAndDirectory) {
  // A group this process may give files to: its own (root may give any).
  const gid_t gid = ::geteuid() == 0 ? 65534 : ::getegid();
  Server s({gid});
  ASSERT_TRUE(s.server);
  struct stat st;
  ASSERT_EQ(::stat(s.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(st.st_gid, gid);
  ASSERT_EQ(::stat((s.dir + "/run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_gid, gid);
}

// Runs `ask` as uid/gid 65534 in a child; returns what it got.
std::string ask_as_nobody(const std::string& path, gid_t gid) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipefd[0]);
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(65534) != 0) ::_exit(3);
    std::string got = ask(path);
    (void)!::write(pipefd[1], got.data(), got.size());
    ::_exit(0);
  }
  ::close(pipefd[1]);
  std::string got;
  char buf[512];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return got;
}

TEST(ControlAccess, OtherUsersAreRefusedEvenWithAWidenedMode) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (to run a client as another user)";
  Server s({});
  ASSERT_TRUE(s.server);
  // The file mode alone keeps them out...
  std::string got = ask_as_nobody(s.path, 65534);
  EXPECT_NE(got.find("connect: Permission denied"), std::string::npos) << got;
  // ...and if an operator widens it by mistake, the credentials check still does.
  ASSERT_EQ(::chmod(s.dir.c_str(), 0755), 0);
  ASSERT_EQ(::chmod((s.dir + "/run").c_str(), 0755), 0);
  ASSERT_EQ(::chmod(s.path.c_str(), 0666), 0);
  got = ask_as_nobody(s.path, 65534);
  EXPECT_NE(got.find("% Permission denied"), std::string::npos) << got;
  EXPECT_EQ(got.find("ok\n"), std::string::npos) << got;
  EXPECT_GE(s.server->stats().rejected, 1u);
}

TEST(ControlAccess, MembersOfTheConfiguredGroupGetIn) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (to run a client as another user)";
  Server s({65534});
  ASSERT_TRUE(s.server);
  ASSERT_EQ(::chmod(s.dir.c_str(), 0755), 0);  // the test's temporary parent
  std::string got = ask_as_nobody(s.path, 65534);
  EXPECT_NE(got.find("ok\n"), std::string::npos) << got;
}

}  // namespace
