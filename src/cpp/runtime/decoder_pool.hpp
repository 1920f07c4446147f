// DecoderPool: beam-search threads with one FIFO per thread, so that every task of one lane (one batch row,
// one live stream) runs in submission order on the same thread. Used by the batch engine and the live-stream
// scheduler.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace pyds::runtime {

class DecoderPool {
 public:
  explicit DecoderPool(std::size_t threads);  // 0 = one per hardware thread
  ~DecoderPool();                              // finishes the queued tasks, then joins
  DecoderPool(const DecoderPool&) = delete;
  DecoderPool& operator=(const DecoderPool&) = delete;

  std::size_t size() const { return workers_.size(); }
  // Queues `task` on thread `lane % size()`; tasks of one lane run in submission order. Tasks catch their own
  // exceptions.
  void submit(std::size_t lane, std::function<void()> task);

 private:
  struct Worker {
    std::deque<std::function<void()>> queue;
    std::condition_variable wake;
    std::thread thread;
  };
  void loop(Worker& worker);

  std::mutex mutex_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace pyds::runtime
