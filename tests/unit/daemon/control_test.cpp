#include <fmt/format.h>
#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <thread>

#include "common/bytes.h"
#include "daemon/control.h"
#include "daemon/unique_fd.h"

using namespace ikegate;
using namespace ikegate::daemon;
using namespace std::chrono_literals;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ikegate-ctl-XXXXXX").string();
    path = ::mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// Captures what the client prints.
struct Capture {
  char* buf = nullptr;
  std::size_t size = 0;
  std::FILE* f = ::open_memstream(&buf, &size);
  ~Capture() {
    if (f) std::fclose(f);
    std::free(buf);
  }
  std::string text() {
    std::fflush(f);
    return std::string(buf, size);
  }
};

// A server whose loop runs on its own thread, as in the daemon; the test thread plays the
// operator. Everything touching the server goes through on_loop().
struct Daemon {
  TempDir dir;
  std::string path = dir.path + "/run/ikegate.sock";  // the run directory does not exist yet
  EventLoop loop;
  std::unique_ptr<ControlServer> server;
  std::thread thread;
  std::vector<std::string> lines_seen;

  explicit Daemon(ControlServer::Handler handler = {}) {
    if (!handler) {
      handler = [this](std::string_view line, Session& s) -> CommandResult {
        lines_seen.emplace_back(line);
        if (line == "monitor") {
          s.subscribe_monitor();
          return {0, "% monitor on\n"};
        }
        if (line == "fail") return {7, "% Invalid input detected\n"};
        if (line == "throw") throw std::runtime_error("boom");
        return {0, fmt::format("you said: {}\n", line)};
      };
    }
    auto s = ControlServer::open(loop, path, std::move(handler));
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    if (s) server = std::move(*s);
    thread = std::thread([this] { loop.run(); });
  }
  ~Daemon() {
    on_loop([this] { server.reset(); });
    loop.stop();
    thread.join();
  }
  template <class F>
  auto on_loop(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    loop.post([&task] { task(); });
    EXPECT_EQ(fut.wait_for(5s), std::future_status::ready);
    return fut.get();
  }
  bool wait_for(std::function<bool()> pred) {
    for (int i = 0; i < 300; ++i) {
      if (on_loop(pred)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

UniqueFd raw_connect(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::strncpy(sun.sun_path, path.c_str(), sizeof sun.sun_path - 1);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun), 0);
  timeval tv{3, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Reads frames until 'X' or EOF (bounded by SO_RCVTIMEO); returns output and status (-1: none).
std::pair<std::string, int> read_answer(int fd, std::size_t stop_after_output = SIZE_MAX) {
  std::string in, out;
  char buf[8192];
  while (true) {
    while (in.size() >= 5) {
      const std::uint32_t len = load_be32(reinterpret_cast<const std::uint8_t*>(in.data() + 1));
      if (in.size() < 5 + len) break;
      if (in[0] == 'X')
        return {out, static_cast<int>(
                         load_be32(reinterpret_cast<const std::uint8_t*>(in.data() + 5)))};
      out.append(in, 5, len);
      in.erase(0, 5 + len);
      if (out.size() >= stop_after_output) return {out, -1};
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return {out, -1};
    in.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

TEST(Control, RoundTripWithStatus) {
  Daemon d;
  ASSERT_TRUE(d.server);
  Capture out, err;
  EXPECT_EQ(run_control_client(d.path, {"show", "crypto", "ikev2", "sa"}, out.f, err.f), 0);
  EXPECT_EQ(out.text(), "you said: show crypto ikev2 sa\n");
  EXPECT_EQ(err.text(), "");
  Capture out2;
  EXPECT_EQ(run_control_client(d.path, {"fail"}, out2.f, err.f), 7);
  EXPECT_EQ(out2.text(), "% Invalid input detected\n");
}

TEST(Control, OutputMayContainAnyOctets) {
  static constexpr char kRaw[] = "line\0with NUL\n\x05X\x00\x00\x00\x04";  // looks like a frame
  const std::string weird = std::string(kRaw, sizeof kRaw - 1) + "no newline";
  Daemon d([&](std::string_view, Session&) { return CommandResult{3, weird}; });
  ASSERT_TRUE(d.server);
  Capture out, err;
  EXPECT_EQ(run_control_client(d.path, {"show"}, out.f, err.f), 3);
  EXPECT_EQ(out.text(), weird);
}

TEST(Control, SocketIsPrivateAndDirectoryCreated) {
  Daemon d;
  ASSERT_TRUE(d.server);
  struct stat st;
  ASSERT_EQ(::stat(d.path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((d.dir.path + "/run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(Control, UnreachableDaemonIsStatus2WithClearMessage) {
  TempDir dir;
  const std::string path = dir.path + "/none.sock";
  Capture out, err;
  EXPECT_EQ(run_control_client(path, {"show", "version"}, out.f, err.f), 2);
  EXPECT_EQ(err.text(),
            "ikegate: cannot reach the daemon at " + path + ": No such file or directory\n");
}

TEST(Control, HandlerExceptionIsAnErrorNotACrash) {
  Daemon d;
  ASSERT_TRUE(d.server);
  Capture out, err;
  EXPECT_EQ(run_control_client(d.path, {"throw"}, out.f, err.f), 1);
  EXPECT_EQ(out.text(), "% Internal error: boom\n");
  Capture out2;
  EXPECT_EQ(run_control_client(d.path, {"still", "alive"}, out2.f, err.f), 0);
}

TEST(Control, OverlongLineIsRejected) {
  Daemon d;
  ASSERT_TRUE(d.server);
  auto fd = raw_connect(d.path);
  const std::string junk(ControlServer::kMaxLine * 3, 'a');
  ASSERT_EQ(::send(fd.get(), junk.data(), junk.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(junk.size()));
  auto [output, status] = read_answer(fd.get());
  EXPECT_EQ(status, 1);
  EXPECT_EQ(output, "% Command line too long (limit 4096 octets)\n");
  EXPECT_TRUE(d.lines_seen.empty());
}

TEST(Control, BinaryJunkIsRejected) {
  Daemon d;
  ASSERT_TRUE(d.server);
  auto fd = raw_connect(d.path);
  const std::string junk("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\n", 12);  // a TLS hello
  ASSERT_EQ(::send(fd.get(), junk.data(), junk.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(junk.size()));
  auto [output, status] = read_answer(fd.get());
  EXPECT_EQ(status, 1);
  EXPECT_EQ(output, "% Invalid input: the command line contains control characters\n");
  EXPECT_EQ(d.on_loop([&] { return d.server->stats().rejected; }), 1u);
  Capture out, err;
  EXPECT_EQ(run_control_client(d.path, {"ok"}, out.f, err.f), 0);  // the server lives on
}

TEST(Control, ClientThatVanishesMidLineIsForgotten) {
  Daemon d;
  ASSERT_TRUE(d.server);
  {
    auto fd = raw_connect(d.path);
    ASSERT_EQ(::send(fd.get(), "show cry", 8, MSG_NOSIGNAL), 8);
  }
  EXPECT_TRUE(d.wait_for([&] { return d.server->client_count() == 0; }));
  EXPECT_TRUE(d.lines_seen.empty());
}

TEST(Control, TooManyClientsAreTurnedAway) {
  Daemon d;
  ASSERT_TRUE(d.server);
  std::vector<UniqueFd> idle;
  for (std::size_t i = 0; i < ControlServer::kMaxClients; ++i) idle.push_back(raw_connect(d.path));
  ASSERT_TRUE(d.wait_for([&] { return d.server->client_count() == ControlServer::kMaxClients; }));
  Capture out, err;
  EXPECT_EQ(run_control_client(d.path, {"show"}, out.f, err.f), 1);
  EXPECT_EQ(out.text(), "% Too many control connections (limit 32); try again later\n");
  idle.clear();
  ASSERT_TRUE(d.wait_for([&] { return d.server->client_count() == 0; }));
  Capture out2;
  EXPECT_EQ(run_control_client(d.path, {"show"}, out2.f, err.f), 0);
}

TEST(Control, MonitorBroadcastReachesTwoClientsUntilShutdown) {
  auto d = std::make_unique<Daemon>();
  ASSERT_TRUE(d->server);
  Capture out1, out2, err1, err2;
  auto c1 = std::async(std::launch::async,
                       [&] { return run_control_client(d->path, {"monitor"}, out1.f, err1.f); });
  auto c2 = std::async(std::launch::async,
                       [&] { return run_control_client(d->path, {"monitor"}, out2.f, err2.f); });
  ASSERT_TRUE(d->wait_for([&] { return d->server->monitor_count() == 2; }));
  d->on_loop([&] {
    d->server->broadcast("IKEv2-PROTO-4: Received Packet [From 10.0.0.2:500/To 10.0.0.1:500]");
    d->server->broadcast("IKEv2-PLAT-4: SENT PKT");
  });
  d.reset();  // shutdown: monitors get a clean end (status 0)
  ASSERT_EQ(c1.wait_for(5s), std::future_status::ready);
  ASSERT_EQ(c2.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(c1.get(), 0);
  EXPECT_EQ(c2.get(), 0);
  const std::string expected =
      "% monitor on\n"
      "IKEv2-PROTO-4: Received Packet [From 10.0.0.2:500/To 10.0.0.1:500]\n"
      "IKEv2-PLAT-4: SENT PKT\n";
  EXPECT_EQ(out1.text(), expected);
  EXPECT_EQ(out2.text(), expected);
}

TEST(Control, MonitorClientDisconnectIsNoticed) {
  Daemon d;
  ASSERT_TRUE(d.server);
  {
    auto fd = raw_connect(d.path);
    ASSERT_EQ(::send(fd.get(), "monitor\n", 8, MSG_NOSIGNAL), 8);
    ASSERT_TRUE(d.wait_for([&] { return d.server->monitor_count() == 1; }));
  }
  ASSERT_TRUE(d.wait_for([&] { return d.server->client_count() == 0; }));
  d.on_loop([&] { d.server->broadcast("nobody listens"); });  // no crash, no SIGPIPE
}

TEST(Control, SlowMonitorLosesLinesWithMarkerInsteadOfStallingTheLoop) {
  Daemon d;
  ASSERT_TRUE(d.server);
  auto fd = raw_connect(d.path);
  ASSERT_EQ(::send(fd.get(), "monitor\n", 8, MSG_NOSIGNAL), 8);
  ASSERT_TRUE(d.wait_for([&] { return d.server->monitor_count() == 1; }));
  // Far more than the socket buffer plus the backlog, while the client reads nothing.
  const std::string line(1000, 'x');
  const auto start = Clock::now();
  d.on_loop([&] {
    for (int i = 0; i < 5000; ++i) d.server->broadcast(line);
  });
  EXPECT_LT(Clock::now() - start, 3s);
  const auto dropped = d.on_loop([&] { return d.server->stats().lines_dropped; });
  EXPECT_GT(dropped, 0u);
  // Reading drains the backlog; the marker follows what was kept.
  const std::string marker = fmt::format("%{} lines dropped\n", dropped);
  std::string seen;
  char buf[65536];
  while (seen.find(marker) == std::string::npos) {
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << "marker never arrived";
    seen.append(buf, static_cast<std::size_t>(n));
  }
  d.on_loop([&] { d.server->broadcast("after"); });
  auto [tail, status] = read_answer(fd.get(), 6);
  EXPECT_EQ(tail, "after\n");
}

TEST(Control, MonitorEndsOnSigint) {
  Daemon d;
  ASSERT_TRUE(d.server);
  Capture out, err;
  std::promise<pthread_t> who;
  auto client = std::async(std::launch::async, [&] {
    who.set_value(::pthread_self());
    return run_control_client(d.path, {"monitor"}, out.f, err.f);
  });
  const pthread_t thread = who.get_future().get();
  ASSERT_TRUE(d.wait_for([&] { return d.server->monitor_count() == 1; }));
  // Thread-directed, and SIGINT is blocked in that thread while the session runs.
  ::pthread_kill(thread, SIGINT);
  ASSERT_EQ(client.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(client.get(), 0);
  EXPECT_EQ(out.text(), "% monitor on\n");
  EXPECT_TRUE(d.wait_for([&] { return d.server->client_count() == 0; }));
}

TEST(Control, StaleSocketIsReplacedLiveOneRefused) {
  TempDir dir;
  const std::string path = dir.path + "/ikegate.sock";
  {
    // What a killed daemon leaves behind: the socket file, nobody listening.
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strncpy(sun.sun_path, path.c_str(), sizeof sun.sun_path - 1);
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun), 0);
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  EventLoop loop;
  auto handler = [](std::string_view, Session&) { return CommandResult{}; };
  auto first = ControlServer::open(loop, path, handler);
  ASSERT_TRUE(first) << first.error().message;
  auto second = ControlServer::open(loop, path, handler);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message,
            "another ikegate is already running (control socket " + path + " answers)");
  first->reset();
  EXPECT_FALSE(std::filesystem::exists(path));  // removed on exit
}

TEST(Control, RefusesToReplaceANonSocket) {
  TempDir dir;
  const std::string path = dir.path + "/ikegate.sock";
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_TRUE(f);
  std::fclose(f);
  EventLoop loop;
  auto s = ControlServer::open(loop, path, [](std::string_view, Session&) { return CommandResult{}; });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, path + " exists and is not a socket; refusing to replace it");
  EXPECT_TRUE(std::filesystem::exists(path));
}
