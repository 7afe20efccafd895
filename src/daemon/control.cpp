#include "daemon/control.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>

#include "common/bytes.h"
#include "daemon/pidfile.h"

namespace ikegate::daemon {

namespace {

constexpr std::size_t kFrameHeader = 5;
// A sane bound for one frame on the client side; a `show` of thousands of SAs is far below it.
constexpr std::uint32_t kMaxFrame = 64u * 1024 * 1024;

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sun.sun_path)
    return fail(fmt::format("control socket path '{}' is empty or longer than {} octets", path,
                            sizeof sun.sun_path - 1));
  std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  return sun;
}

void append_frame(std::string& out, char type, std::string_view payload) {
  std::uint8_t header[kFrameHeader];
  header[0] = static_cast<std::uint8_t>(type);
  store_be32(header + 1, static_cast<std::uint32_t>(payload.size()));
  out.append(reinterpret_cast<const char*>(header), kFrameHeader);
  out.append(payload);
}

void append_status(std::string& out, int status) {
  std::uint8_t payload[4];
  store_be32(payload, static_cast<std::uint32_t>(status));
  append_frame(out, 'X', std::string_view(reinterpret_cast<const char*>(payload), 4));
}

bool has_binary(std::string_view line) {
  for (unsigned char ch : line)
    if ((ch < 0x20 && ch != '\t') || ch == 0x7f) return true;
  return false;
}

}  // namespace

struct ControlServer::Client {
  Client(std::uint64_t id, UniqueFd f) : session(id), fd(std::move(f)) {}
  Session session;
  UniqueFd fd;
  std::string in;
  std::string out;  // framed bytes not yet written
  EventLoop::Handle read_watch;
  EventLoop::Handle write_watch;
  bool answered = false;  // the command line was handled; later input is ignored
  bool closing = false;   // close once `out` is written
  bool lingering = false;  // answer written, write side shut down, waiting for the client's EOF
  EventLoop::Handle linger_timer;
  std::uint64_t dropped = 0;
};

ControlServer::ControlServer(Key, EventLoop& loop, std::string path, Handler handler,
                             Access access)
    : loop_(loop), path_(std::move(path)), handler_(std::move(handler)), access_(access) {}

Result<std::unique_ptr<ControlServer>> ControlServer::open(EventLoop& loop, std::string path,
                                                           Handler handler, Access access) {
  auto sun = unix_address(path);
  if (!sun) return std::unexpected(sun.error());
  const auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string dir = path.substr(0, slash);
    struct stat dst;
    const bool existed = ::stat(dir.c_str(), &dst) == 0;
    if (auto r = ensure_directory(dir, access.group ? 0750 : 0700); !r)
      return std::unexpected(r.error());
    // A directory this created is the group's too, or its members could not reach the socket.
    if (!existed && access.group && ::chown(dir.c_str(), static_cast<uid_t>(-1), *access.group) != 0)
      return fail(fmt::format("cannot give directory {} to group {}: {}", dir, *access.group,
                              std::strerror(errno)));
  }

  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return fail(fmt::format("{} exists and is not a socket; refusing to replace it", path));
    // Tell a live daemon from the file a killed one left behind: only a live one accepts.
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe) return fail(fmt::format("socket: {}", std::strerror(errno)));
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&*sun), sizeof *sun) == 0)
      return fail(fmt::format("another ikegate is already running (control socket {} answers)",
                              path));
    if (errno != ECONNREFUSED)
      return fail(fmt::format("cannot check control socket {}: {}", path, std::strerror(errno)));
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return fail(fmt::format("cannot remove stale control socket {}: {}", path,
                              std::strerror(errno)));
  }

  auto self = std::make_unique<ControlServer>(Key{}, loop, path, std::move(handler), access);
  self->listen_fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!self->listen_fd_) return fail(fmt::format("socket: {}", std::strerror(errno)));
  // bind() creates the file with the umask's mode: make that 0600 so that no other user can
  // connect in the moment before the chmod below (umask is per process; nothing else creates
  // files while the daemon starts).
  const mode_t old_umask = ::umask(0177);
  const int bound =
      ::bind(self->listen_fd_.get(), reinterpret_cast<const sockaddr*>(&*sun), sizeof *sun);
  const int bind_errno = errno;
  ::umask(old_umask);
  if (bound != 0)
    return fail(fmt::format("cannot bind control socket {}: {}", path, std::strerror(bind_errno)));
  // The directory is 0700 when we created it; the socket itself is for root (or the configured
  // group) only in any case: whoever can connect can clear tunnels.
  if ((access.group && ::chown(path.c_str(), static_cast<uid_t>(-1), *access.group) != 0) ||
      ::chmod(path.c_str(), access.group ? 0660 : 0600) != 0 || ::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    return fail(fmt::format("cannot set owner or mode of control socket {}: {}", path,
                            std::strerror(err)));
  }
  self->dev_ = st.st_dev;
  self->ino_ = st.st_ino;
  if (::listen(self->listen_fd_.get(), 16) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    return fail(fmt::format("cannot listen on {}: {}", path, std::strerror(err)));
  }
  ControlServer* raw = self.get();
  self->accept_watch_ = loop.watch_readable(raw->listen_fd_.get(), [raw] { raw->on_accept(); });
  return self;
}

ControlServer::~ControlServer() {
  for (auto& [id, c] : clients_) {
    if (c->session.is_monitor()) {
      append_status(c->out, 0);
      // Best effort: a monitor client still reading gets a clean end.
      ::send(c->fd.get(), c->out.data(), c->out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
  }
  clients_.clear();
  accept_watch_.cancel();
  // Unlink only the socket we created: a successor may already have replaced it.
  struct stat st;
  if (!path_.empty() && ::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ &&
      st.st_ino == ino_)
    ::unlink(path_.c_str());
}

std::size_t ControlServer::monitor_count() const {
  std::size_t n = 0;
  for (const auto& [id, c] : clients_) n += c->session.is_monitor() ? 1 : 0;
  return n;
}

// Root, the daemon's own user, or (when configured) a member of the socket's group by its
// primary group. The file mode is the first guard; this one holds if the mode was widened.
bool ControlServer::permitted(int fd) const {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  if (cred.uid == 0 || cred.uid == ::geteuid()) return true;
  return access_.group && cred.gid == *access_.group;
}

void ControlServer::on_accept() {
  while (true) {
    UniqueFd fd(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) return;  // EAGAIN, or a transient error such as EMFILE: try on the next event
    const bool allowed = permitted(fd.get());
    if (!allowed || clients_.size() >= kMaxClients) {
      ++stats_.rejected;
      std::string out;
      append_frame(out, 'D',
                   allowed ? fmt::format("% Too many control connections (limit {}); try again later\n",
                                         kMaxClients)
                           : std::string("% Permission denied: the control socket is for root only "
                                         "(or the group given by --socket-group)\n"));
      append_status(out, 1);
      ::send(fd.get(), out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      continue;
    }
    const std::uint64_t id = next_id_++;
    auto client = std::make_unique<Client>(id, std::move(fd));
    client->read_watch =
        loop_.watch_readable(client->fd.get(), [this, id] { on_client_readable(id); });
    clients_.emplace(id, std::move(client));
  }
}

void ControlServer::on_client_readable(std::uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client& c = *it->second;
  char buf[4096];
  const ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    close_client(id);
    return;
  }
  if (n == 0) {
    // A client that half-closes after its command still gets the answer.
    if (c.closing && !c.out.empty()) {
      c.read_watch.cancel();
      return;
    }
    close_client(id);
    return;
  }
  // Monitor sessions send nothing more, and a rejected client's surplus is read only so that
  // closing does not reset the connection before it has read the error: ignore it.
  if (c.answered) return;
  c.in.append(buf, static_cast<std::size_t>(n));
  const auto nl = c.in.find('\n');
  if (nl == std::string::npos) {
    if (c.in.size() > kMaxLine)
      reject(c, fmt::format("% Command line too long (limit {} octets)", kMaxLine));
  } else if (nl > kMaxLine) {
    reject(c, fmt::format("% Command line too long (limit {} octets)", kMaxLine));
  } else {
    std::string line = c.in.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    c.in.clear();
    handle_line(c, line);
  }
  settle(id);
}

void ControlServer::settle(std::uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client& c = *it->second;
  if (!flush(c)) {
    close_client(id);
    return;
  }
  if (c.out.empty() && c.dropped > 0 && !c.closing) {
    // The backlog drained: tell the monitor what it missed (at most one marker per drain).
    queue_frame(c, 'D', fmt::format("%{} lines dropped\n", c.dropped));
    c.dropped = 0;
    if (!flush(c)) {
      close_client(id);
      return;
    }
  }
  if (c.closing && c.out.empty() && !c.lingering) {
    // Closing a socket with unread input sends a reset, which can destroy the answer before the
    // client reads it. Shut the write side and let the client close first (bounded wait).
    c.lingering = true;
    ::shutdown(c.fd.get(), SHUT_WR);
    c.linger_timer = loop_.add_timer(kLinger, [this, id] { close_client(id); });
  }
}

void ControlServer::handle_line(Client& c, std::string_view line) {
  c.answered = true;
  if (has_binary(line)) {
    reject(c, "% Invalid input: the command line contains control characters");
    return;
  }
  ++stats_.commands;
  CommandResult result;
  try {
    result = handler_(line, c.session);
  } catch (const std::exception& e) {
    // A bug in one command must not take the gateway (and its tunnels) down.
    result = CommandResult{1, fmt::format("% Internal error: {}\n", e.what())};
  }
  if (!result.output.empty()) queue_frame(c, 'D', result.output);
  if (!c.session.is_monitor()) {
    queue_status(c, result.status);
    c.closing = true;
  }
}

void ControlServer::reject(Client& c, std::string_view message) {
  ++stats_.rejected;
  c.answered = true;
  c.in.clear();
  queue_frame(c, 'D', fmt::format("{}\n", message));
  queue_status(c, 1);
  c.closing = true;
}

void ControlServer::queue_frame(Client& c, char type, std::string_view payload) {
  append_frame(c.out, type, payload);
}

void ControlServer::queue_status(Client& c, int status) { append_status(c.out, status); }

bool ControlServer::flush(Client& c) {
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!c.write_watch.active()) {
          const std::uint64_t id = c.session.id();
          c.write_watch = loop_.watch_writable(c.fd.get(), [this, id] { settle(id); });
        }
        return true;
      }
      return false;  // EPIPE, ECONNRESET: the client is gone
    }
    c.out.erase(0, static_cast<std::size_t>(n));
  }
  c.write_watch.cancel();
  return true;
}

void ControlServer::broadcast(std::string_view line) {
  std::vector<std::uint64_t> gone;
  for (auto& [id, cp] : clients_) {
    Client& c = *cp;
    if (!c.session.is_monitor() || c.closing) continue;
    if (c.out.size() + kFrameHeader + line.size() + 1 > kMaxMonitorBacklog) {
      ++c.dropped;
      ++stats_.lines_dropped;
      continue;
    }
    if (c.dropped > 0) {
      queue_frame(c, 'D', fmt::format("%{} lines dropped\n", c.dropped));
      c.dropped = 0;
    }
    std::string framed;
    framed.reserve(line.size() + 1);
    framed.append(line);
    framed.push_back('\n');
    queue_frame(c, 'D', framed);
    if (!flush(c)) gone.push_back(id);
  }
  for (auto id : gone) close_client(id);
}

void ControlServer::close_client(std::uint64_t id) { clients_.erase(id); }

namespace {

// Blocks SIGINT in this thread for the life of a monitor session and turns it into a readable
// fd, so that Ctrl-C ends the session cleanly (status 0) instead of killing the process.
class SigintCatcher {
 public:
  SigintCatcher() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    if (::pthread_sigmask(SIG_BLOCK, &set, &old_) != 0) return;
    blocked_ = true;
    fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  }
  ~SigintCatcher() {
    fd_.reset();
    if (blocked_) {
      // Swallow a SIGINT that arrived while blocked, before unblocking.
      sigset_t set, pending;
      sigemptyset(&set);
      sigaddset(&set, SIGINT);
      timespec zero{};
      if (::sigpending(&pending) == 0 && sigismember(&pending, SIGINT))
        ::sigtimedwait(&set, nullptr, &zero);
      ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
  }
  SigintCatcher(const SigintCatcher&) = delete;
  SigintCatcher& operator=(const SigintCatcher&) = delete;
  int fd() const { return fd_.get(); }

 private:
  sigset_t old_{};
  bool blocked_ = false;
  UniqueFd fd_;
};

}  // namespace

int run_control_client(const std::string& path, const std::vector<std::string>& words,
                       std::FILE* out, std::FILE* err, std::chrono::milliseconds timeout) {
  const bool monitor = !words.empty() && words.front() == "monitor";
  std::optional<SigintCatcher> sigint;
  if (monitor) sigint.emplace();

  auto sun = unix_address(path);
  if (!sun) {
    std::fprintf(err, "ikegate: cannot reach the daemon at %s: %s\n", path.c_str(),
                 sun.error().message.c_str());
    return 2;
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*sun), sizeof *sun) != 0) {
    std::fprintf(err, "ikegate: cannot reach the daemon at %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return 2;
  }
  std::string line;
  for (const auto& w : words) {
    if (!line.empty()) line.push_back(' ');
    line += w;
  }
  line.push_back('\n');
  // A server that turns us away (too many clients) may answer and close before it reads our
  // line; the send then fails but the answer is waiting, so a failed send is reported only if no
  // answer follows.
  int send_error = 0;
  for (std::size_t sent = 0; sent < line.size();) {
    const ssize_t n = ::send(fd.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      send_error = errno;
      break;
    }
    sent += static_cast<std::size_t>(n);
  }

  const TimePoint deadline = Clock::now() + timeout;
  std::string in;
  char buf[16384];
  bool interrupted = false;
  while (true) {
    // Hand out every complete frame first.
    while (in.size() >= kFrameHeader) {
      const char type = in[0];
      const std::uint32_t len = load_be32(reinterpret_cast<const std::uint8_t*>(in.data() + 1));
      if ((type != 'D' && type != 'X') || len > kMaxFrame || (type == 'X' && len != 4)) {
        std::fprintf(err, "ikegate: unexpected answer from the daemon at %s\n", path.c_str());
        return 1;
      }
      if (in.size() < kFrameHeader + len) break;
      if (type == 'X') {
        std::fflush(out);
        return static_cast<int>(
            load_be32(reinterpret_cast<const std::uint8_t*>(in.data() + kFrameHeader)));
      }
      std::fwrite(in.data() + kFrameHeader, 1, len, out);
      if (monitor) std::fflush(out);
      in.erase(0, kFrameHeader + len);
    }
    if (interrupted) {
      std::fflush(out);
      return 0;
    }
    pollfd fds[2] = {{fd.get(), POLLIN, 0}, {sigint ? sigint->fd() : -1, POLLIN, 0}};
    int wait_ms = -1;
    if (!monitor) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        std::fprintf(err, "ikegate: no answer from the daemon at %s within %lld ms\n",
                     path.c_str(), static_cast<long long>(timeout.count()));
        return 1;
      }
      wait_ms = static_cast<int>(left);
    }
    const int r = ::poll(fds, 2, wait_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (r == 0) continue;  // the deadline check above reports it
    if (fds[1].revents & POLLIN) {
      // Ctrl-C ends a monitor session normally, after printing what has already arrived.
      const ssize_t n = ::recv(fd.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) in.append(buf, static_cast<std::size_t>(n));
      interrupted = true;
      continue;
    }
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::fflush(out);
      if (send_error != 0) {
        std::fprintf(err, "ikegate: cannot send to the daemon at %s: %s\n", path.c_str(),
                     std::strerror(send_error));
        return 2;
      }
      std::fprintf(err, "ikegate: the daemon at %s closed the connection without a status\n",
                   path.c_str());
      return 1;
    }
    in.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace ikegate::daemon
