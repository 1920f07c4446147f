#include "runtime/decoder_pool.hpp"

#include <algorithm>

namespace pyds::runtime {

DecoderPool::DecoderPool(std::size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<Worker>());
    Worker& w = *workers_.back();
    w.thread = std::thread([this, &w] { loop(w); });
  }
}

DecoderPool::~DecoderPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  for (auto& w : workers_) w->wake.notify_all();
  for (auto& w : workers_) w->thread.join();
}

void DecoderPool::submit(std::size_t lane, std::function<void()> task) {
  Worker& w = *workers_[lane % workers_.size()];
  {
    std::lock_guard<std::mutex> lock(mutex_);
    w.queue.push_back(std::move(task));
  }
  w.wake.notify_one();
}

void DecoderPool::loop(Worker& w) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    w.wake.wait(lock, [&] { return stopping_ || !w.queue.empty(); });
    if (w.queue.empty()) return;  // stopping, and everything queued is done
    std::function<void()> task = std::move(w.queue.front());
    w.queue.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

}  // namespace pyds::runtime
