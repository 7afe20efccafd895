// Threads for heavy crypto (Diffie-Hellman, ECDH) so the event loop never stalls on it: a
// responder under an IKE_SA_INIT flood keeps answering retransmissions, DPD and the operator.
//
// Work runs on a worker thread; its completion is posted back to the loop thread. Destroying the
// pool discards work not yet started, joins the threads (waiting for work in progress) and
// guarantees that no completion of this pool runs afterwards, even one already posted.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "daemon/event_loop.h"

namespace ikegate::daemon {

class WorkerPool {
 public:
  struct Stats {
    std::uint64_t submitted = 0;
    std::uint64_t rejected = 0;  // queue full
    std::uint64_t completed = 0;
  };

  static constexpr std::size_t kDefaultQueueLimit = 1024;

  WorkerPool(EventLoop& loop, unsigned threads, std::size_t queue_limit = kDefaultQueueLimit);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Loop thread (or any thread). `work` runs on a worker, then `done_on_loop` on the loop
  // thread. False when the queue is full: the loop must not block, so the caller sheds the load
  // (an IKE_SA_INIT is dropped and will be retransmitted by its initiator, RFC 7296 2.1).
  // With one thread, completions arrive in submission order. `work` must not throw (a worker
  // has nobody to report to); it captures its inputs by value and hands results to `done`.
  bool submit(std::function<void()> work, std::function<void()> done_on_loop);

  // Stops accepting work, discards what has not started and joins. Idempotent.
  void shutdown();

  std::size_t queued() const;
  Stats stats() const;

 private:
  struct Job {
    std::function<void()> work;
    std::function<void()> done;
  };
  // Shared with posted completions, which check it before running: the pool may be gone.
  struct Token {
    bool alive = true;  // written and read on the loop thread only
  };

  void worker_main();

  EventLoop& loop_;
  const std::size_t queue_limit_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;  // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  Stats stats_;            // guarded by mutex_
  std::shared_ptr<Token> token_;
  std::vector<std::thread> threads_;
};

}  // namespace ikegate::daemon
