#include "daemon/worker_pool.h"

namespace ikegate::daemon {

WorkerPool::WorkerPool(EventLoop& loop, unsigned threads, std::size_t queue_limit)
    : loop_(loop), queue_limit_(queue_limit), token_(std::make_shared<Token>()) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { worker_main(); });
}

WorkerPool::~WorkerPool() { shutdown(); }

void WorkerPool::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // Completions already posted find the token dead and do nothing. shutdown() runs on the loop
  // thread (or after the loop stopped), as does every completion, so a plain bool suffices.
  token_->alive = false;
}

bool WorkerPool::submit(std::function<void()> work, std::function<void()> done_on_loop) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= queue_limit_) {
      ++stats_.rejected;
      return false;
    }
    ++stats_.submitted;
    queue_.push_back(Job{std::move(work), std::move(done_on_loop)});
  }
  wake_.notify_one();
  return true;
}

std::size_t WorkerPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

WorkerPool::Stats WorkerPool::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void WorkerPool::worker_main() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job.work();
    {
      std::lock_guard lock(mutex_);
      ++stats_.completed;
    }
    loop_.post([token = std::weak_ptr<Token>(token_), done = std::move(job.done)] {
      auto alive = token.lock();
      if (alive && alive->alive && done) done();
    });
  }
}

}  // namespace ikegate::daemon
