#include "runtime/live_scheduler.hpp"

#include <algorithm>
#include <cstring>

#include "pyds/errors.hpp"
#include "runtime/acoustic_model.hpp"
#include "runtime/context_windows.hpp"

namespace pyds::runtime {

// ------------------------------------------------------------------------------------------------- LiveSlot

LiveSlot::LiveSlot(LiveScheduler& scheduler, Decode decode, std::size_t lane)
    : scheduler_(scheduler), decode_(std::move(decode)), lane_(lane), state_c_(scheduler.cell_, 0.0f),
      state_h_(scheduler.cell_, 0.0f) {}

void LiveSlot::close() {
  {
    std::lock_guard<std::mutex> lock(scheduler_.mutex_);
    if (!queue_.empty()) {
      scheduler_.ready_.erase(std::find(scheduler_.ready_.begin(), scheduler_.ready_.end(), this));
      in_flight_ -= queue_.size();
      queue_.clear();
    }
  }
  std::lock_guard<std::mutex> lock(decode_mutex_);
  closed_ = true;
}

std::size_t LiveSlot::submit(ContextWindows& windows) {
  std::unique_ptr<Chunk> chunk;
  {
    std::unique_lock<std::mutex> lock(scheduler_.mutex_);
    idle_.wait(lock, [&] { return in_flight_ < kMaxInFlight; });
    if (!free_.empty()) {
      chunk = std::move(free_.back());
      free_.pop_back();
    }
  }
  if (!chunk) {
    chunk = std::make_unique<Chunk>();
    chunk->windows.resize(windows.chunk_floats());
    chunk->probs.resize(scheduler_.steps_ * scheduler_.classes_);
  }
  chunk->valid = windows.take_chunk(chunk->windows.data());
  const std::size_t valid = chunk->valid;
  {
    std::lock_guard<std::mutex> lock(scheduler_.mutex_);
    if (valid == 0) {
      free_.push_back(std::move(chunk));
      return 0;
    }
    if (queue_.empty()) scheduler_.ready_.push_back(this);
    queue_.push_back(std::move(chunk));
    ++in_flight_;
  }
  scheduler_.wake_.notify_one();
  return valid;
}

void LiveSlot::wait() const {
  std::unique_lock<std::mutex> lock(scheduler_.mutex_);
  idle_.wait(lock, [&] { return in_flight_ == 0; });
  if (error_) {
    std::exception_ptr error = error_;
    error_ = nullptr;
    std::rethrow_exception(error);
  }
}

void LiveSlot::reset_state() {
  wait();
  std::fill(state_c_.begin(), state_c_.end(), 0.0f);
  std::fill(state_h_.begin(), state_h_.end(), 0.0f);
}

// -------------------------------------------------------------------------------------------- LiveScheduler

LiveScheduler::LiveScheduler(const AcousticModel& model, std::size_t max_rows, std::size_t decoder_threads)
    : model_(model), max_rows_(max_rows), steps_(model.n_steps()), window_floats_(model.window_floats()),
      classes_(model.n_classes()), cell_(model.n_cell()), pool_(decoder_threads) {
  if (max_rows == 0) throw_error(ErrorKind::InvalidArgument, "live_batch_rows must be at least 1");
  if (max_rows > 1) model.require_batchable();
  request_ = model.create_request();
  windows_ = ov::Tensor(ov::element::f32, model.features_shape(max_rows));
  logits_ = ov::Tensor(ov::element::f32, model.logits_shape(max_rows));
  state_c_in_ = ov::Tensor(ov::element::f32, model.state_shape(max_rows));
  state_h_in_ = ov::Tensor(ov::element::f32, model.state_shape(max_rows));
  state_c_out_ = ov::Tensor(ov::element::f32, model.state_shape(max_rows));
  state_h_out_ = ov::Tensor(ov::element::f32, model.state_shape(max_rows));
  thread_ = std::thread([this] { loop(); });
}

LiveScheduler::~LiveScheduler() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::shared_ptr<LiveSlot> LiveScheduler::open(LiveSlot::Decode decode) {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::shared_ptr<LiveSlot>(new LiveSlot(*this, std::move(decode), next_lane_++));
}

std::size_t LiveScheduler::rounds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rounds_;
}

std::size_t LiveScheduler::rows() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rows_;
}

void LiveScheduler::loop() {
  Round round;
  round.reserve(max_rows_);
  for (;;) {
    round.clear();
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
      if (ready_.empty()) return;  // stopping, and nothing is queued
      // The front chunk of up to max_rows slots; a slot with more chunks goes to the back for the next round.
      const std::size_t n = std::min(max_rows_, ready_.size());
      for (std::size_t i = 0; i < n; ++i) {
        LiveSlot* slot = ready_.front();
        ready_.pop_front();
        round.emplace_back(slot->shared_from_this(), slot->queue_.front().release());
        slot->queue_.pop_front();
        if (!slot->queue_.empty()) ready_.push_back(slot);
      }
      ++rounds_;
      rows_ += n;
    }
    run_round(round);
  }
}

void LiveScheduler::run_round(Round& round) {
  const std::size_t rows = round.size();
  const std::size_t chunk_floats = steps_ * window_floats_;
  float* windows = windows_.data<float>();
  float* c_in = state_c_in_.data<float>();
  float* h_in = state_h_in_.data<float>();
  for (std::size_t r = 0; r < rows; ++r) {
    const auto& [slot, chunk] = round[r];
    std::memcpy(windows + r * chunk_floats, chunk->windows.data(), chunk_floats * sizeof(float));
    std::memcpy(c_in + r * cell_, slot->state_c_.data(), cell_ * sizeof(float));
    std::memcpy(h_in + r * cell_, slot->state_h_.data(), cell_ * sizeof(float));
  }
  std::exception_ptr error;
  try {
    model_.bind(request_, rows_view(windows_, rows), rows_view(state_c_in_, rows), rows_view(state_h_in_, rows),
                rows_view(logits_, rows), rows_view(state_c_out_, rows), rows_view(state_h_out_, rows));
    AcousticModel::infer(request_);
  } catch (...) { error = std::current_exception(); }
  const float* logits = logits_.data<float>();
  const float* c_out = state_c_out_.data<float>();
  const float* h_out = state_h_out_.data<float>();
  const std::size_t probs_floats = steps_ * classes_;
  for (std::size_t r = 0; r < rows; ++r) {
    auto& [slot, chunk] = round[r];
    if (error) {
      chunk_done(*slot, chunk, error);
      continue;
    }
    std::memcpy(slot->state_c_.data(), c_out + r * cell_, cell_ * sizeof(float));
    std::memcpy(slot->state_h_.data(), h_out + r * cell_, cell_ * sizeof(float));
    std::memcpy(chunk->probs.data(), logits + r * probs_floats, probs_floats * sizeof(float));
    const std::size_t lane = slot->lane_;
    pool_.submit(lane, [this, slot = std::move(slot), chunk = chunk] {
      std::exception_ptr failure;
      try {
        to_probabilities(chunk->probs.data(), chunk->valid, classes_, model_.logits_are_probabilities());
        std::lock_guard<std::mutex> lock(slot->decode_mutex_);
        if (!slot->closed_) slot->decode_(chunk->probs.data(), chunk->valid);
      } catch (...) { failure = std::current_exception(); }
      chunk_done(*slot, chunk, failure);
    });
  }
}

void LiveScheduler::chunk_done(LiveSlot& slot, LiveSlot::Chunk* chunk, std::exception_ptr error) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    slot.free_.emplace_back(chunk);
    if (error && !slot.error_) slot.error_ = error;
    --slot.in_flight_;
    slot.idle_.notify_all();
  }
}

}  // namespace pyds::runtime
