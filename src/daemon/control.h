// The operator channel: `ikegate COMMAND` talks to the running daemon over a unix stream socket.
//
// Protocol (version 1). The client sends one command line, at most kMaxLine octets, ended by
// '\n'. The server answers with frames; each frame is
//     type (1 octet) | length (4 octets, big-endian) | payload (length octets)
// with the types
//     'D'  output: payload is printed verbatim (any octets, so output text never needs escaping)
//     'X'  end: payload is the command's exit status, 4 octets big-endian (signed); the server
//          closes the connection after it.
// A command the handler turns into a monitor session (`monitor`, like `terminal monitor`) gets
// its output frame and then a stream of 'D' frames, one per debug line, until the client
// disconnects or the server shuts down (then an 'X' frame with status 0). Length framing, rather
// than a sentinel line, keeps the status unambiguous whatever the output contains.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "common/result.h"
#include "daemon/event_loop.h"
#include "daemon/unique_fd.h"

namespace ikegate::daemon {

inline constexpr const char* kDefaultControlSocket = "/run/ikegate/ikegate.sock";

struct CommandResult {
  int status = 0;
  std::string output;
};

// One client connection as the handler sees it.
class Session {
 public:
  // The connection stays open after the answer and receives every broadcast() line.
  void subscribe_monitor() { monitor_ = true; }
  bool is_monitor() const { return monitor_; }
  std::uint64_t id() const { return id_; }

 private:
  friend class ControlServer;
  explicit Session(std::uint64_t id) : id_(id) {}
  std::uint64_t id_;
  bool monitor_ = false;
};

class ControlServer {
 public:
  using Handler = std::function<CommandResult(std::string_view line, Session&)>;

  static constexpr std::size_t kMaxLine = 4096;
  static constexpr std::size_t kMaxClients = 32;
  // Per monitor client: past this much unsent output, lines are dropped (and counted) instead
  // of blocking the loop or growing without bound.
  static constexpr std::size_t kMaxMonitorBacklog = 256 * 1024;
  // How long an answered client may take to close its end before the server closes it.
  static constexpr Duration kLinger = std::chrono::seconds(2);

  // Who may use the socket. Whoever can connect can clear tunnels and read debug output.
  struct Access {
    // nullopt: the owner (root) only, socket mode 0600. A group: mode 0660 and that group owns
    // the socket (and the socket's directory, mode 0750, if this creates it).
    std::optional<gid_t> group;
  };

  struct Stats {
    std::uint64_t commands = 0;
    std::uint64_t rejected = 0;       // over-long, binary, too many clients, not permitted
    std::uint64_t lines_dropped = 0;  // monitor lines lost to slow clients
  };

  // Creates the socket's directory if missing (mode 0700), replaces a stale socket left by a
  // dead instance, refuses a live one, and leaves the socket file with mode 0600 (0660 and the
  // group with access.group). The socket never exists with a wider mode, not even briefly. A
  // client whose credentials (SO_PEERCRED) are neither root's, the daemon's user's nor, with
  // access.group, that group's, is refused even if the file's mode was widened by hand.
  static Result<std::unique_ptr<ControlServer>> open(EventLoop& loop, std::string path,
                                                     Handler handler, Access access = {});
  ~ControlServer();  // closes every client (monitors get an 'X' frame) and unlinks the socket
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Sends `line` (a '\n' is appended) to every monitor subscriber. Never blocks.
  void broadcast(std::string_view line);

  std::size_t client_count() const { return clients_.size(); }
  std::size_t monitor_count() const;
  const Stats& stats() const { return stats_; }
  const std::string& path() const { return path_; }

 private:
  struct Key {};

 public:
  ControlServer(Key, EventLoop& loop, std::string path, Handler handler,
                Access access);  // use open()

 private:
  struct Client;

  void on_accept();
  bool permitted(int fd) const;
  void on_client_readable(std::uint64_t id);
  void handle_line(Client& c, std::string_view line);
  void reject(Client& c, std::string_view message);
  void queue_frame(Client& c, char type, std::string_view payload);
  void queue_status(Client& c, int status);
  // Writes what it can; false if the client is gone and must be closed.
  bool flush(Client& c);
  // Flushes (also when the client becomes writable), then closes a failed client or starts the
  // orderly close of an answered one.
  void settle(std::uint64_t id);
  void close_client(std::uint64_t id);

  EventLoop& loop_;
  std::string path_;
  Handler handler_;
  Access access_;
  UniqueFd listen_fd_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  EventLoop::Handle accept_watch_;
  std::map<std::uint64_t, std::unique_ptr<Client>> clients_;
  std::uint64_t next_id_ = 1;
  Stats stats_;
};

// Client side of `ikegate [--socket PATH] COMMAND`: sends `words` joined by spaces, prints the
// output to `out` and returns the command's status. 2 (with "ikegate: cannot reach the daemon
// at PATH: <reason>" on `err`) when no daemon listens. A `monitor` session prints until the
// server closes or SIGINT arrives (then 0). Other commands give up after `timeout`.
int run_control_client(const std::string& path, const std::vector<std::string>& words,
                       std::FILE* out, std::FILE* err = stderr,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace ikegate::daemon
