#include "runtime/batch_engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>

#include "pyds/batch.hpp"
#include "pyds/errors.hpp"
#include "pyds/model.hpp"
#include "runtime/acoustic_model.hpp"
#include "runtime/context_windows.hpp"

namespace pyds::runtime {

// -------------------------------------------------------------------------------------------- BatchPipeline

namespace {

constexpr std::size_t kIdle = static_cast<std::size_t>(-1);
using Clock = std::chrono::steady_clock;

// Seconds since `mark`; moves `mark` to now.
double lap(Clock::time_point& mark) {
  const auto now = Clock::now();
  const double s = std::chrono::duration<double>(now - mark).count();
  mark = now;
  return s;
}

}  // namespace

// One row of the batch: the utterance it holds (all its MFCC frames, as context windows) and the beam search
// that decodes it.
struct BatchPipeline::Row {
  Row(std::size_t n_context, std::size_t n_input, std::size_t n_steps) : windows(n_context, n_input, n_steps) {}
  std::size_t input = kIdle;  // index into the inputs; kIdle when the row is free
  ContextWindows windows;     // the utterance's frames (flush frame and trailing context included)
  std::vector<float> frames;  // reused for feature extraction
  std::size_t lane = 0;       // its decoder thread lane: every chunk of an utterance is decoded on one thread
  std::size_t valid = 0;      // valid timesteps of its chunk in the request being run
  std::unique_ptr<CtcBeamSearch> search;
};

BatchPipeline::BatchPipeline(const Model& model, std::size_t batch_size, DecoderPool& pool)
    : model_(model), acoustic_(model.acoustic()), pool_(pool), batch_(batch_size), steps_(acoustic_.n_steps()),
      window_floats_(acoustic_.window_floats()),
      n_input_(static_cast<std::size_t>(model.feature_options().dct_coefficients)), n_context_(model.n_context()),
      classes_(acoustic_.n_classes()), cell_(acoustic_.n_cell()) {
  for (int i = 0; i < 2; ++i) {
    state_c_[i] = ov::Tensor(ov::element::f32, acoustic_.state_shape(batch_));
    state_h_[i] = ov::Tensor(ov::element::f32, acoustic_.state_shape(batch_));
    std::memset(state_c_[i].data(), 0, state_c_[i].get_byte_size());
    std::memset(state_h_[i].data(), 0, state_h_[i].get_byte_size());
  }
  for (int i = 0; i < 2; ++i) {
    Request& r = requests_[i];
    r.infer = acoustic_.create_request();
    r.windows = ov::Tensor(ov::element::f32, acoustic_.features_shape(batch_));
    r.logits = ov::Tensor(ov::element::f32, acoustic_.logits_shape(batch_));
    std::memset(r.windows.data(), 0, r.windows.get_byte_size());
  }
}

void BatchPipeline::assign(Row& row, std::size_t row_index, std::size_t input, int q) {
  const SampleView& audio = (*audios_)[input];
  row.windows.reset();
  row.windows.reserve(full_window_count(audio.size, model_.feature_options()) + 1);
  row.frames.clear();
  FeatureStream features(model_.mfcc());
  features.accept(audio, row.frames);
  features.finish(row.frames);
  row.windows.append(row.frames.data(), row.frames.size() / n_input_);
  row.windows.close();
  row.input = input;
  // A new utterance starts from zero state, in this row of the pair request q reads.
  std::memset(state_c_[q].data<float>() + row_index * cell_, 0, cell_ * sizeof(float));
  std::memset(state_h_[q].data<float>() + row_index * cell_, 0, cell_ * sizeof(float));
}

void BatchPipeline::task_done(int q, std::exception_ptr error) {
  {
    std::lock_guard<std::mutex> lock(done_mutex_);
    if (error && !error_) error_ = error;
    --requests_[q].pending;
  }
  done_.notify_all();
}

void BatchPipeline::wait_decoded(int q) {
  std::unique_lock<std::mutex> lock(done_mutex_);
  done_.wait(lock, [&] { return requests_[q].pending == 0; });
  if (error_) std::rethrow_exception(error_);
}

std::vector<std::vector<Transcript>> BatchPipeline::run(const std::vector<SampleView>& audios,
                                                        std::size_t num_results) {
  const auto started = Clock::now();
  stats_ = BatchStats{};
  struct Total {
    BatchStats& stats;
    Clock::time_point started;
    ~Total() { stats.total_s = std::chrono::duration<double>(Clock::now() - started).count(); }
  } total{stats_, started};
  std::vector<std::vector<Transcript>> results(audios.size());
  if (audios.empty()) return results;
  audios_ = &audios;
  error_ = nullptr;

  // Longest first: the long utterances start at once, in the low rows, and the short ones fill the other rows
  // around them, so the tail (when few rows are busy and the batch shrinks) is as short as it can be.
  std::vector<std::size_t> order(audios.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return audios[a].size > audios[b].size; });

  const DecoderSettings settings = model_.decoder_settings();
  std::vector<Row> rows;
  rows.reserve(batch_);
  for (std::size_t r = 0; r < batch_; ++r) {
    rows.emplace_back(n_context_, n_input_, steps_);
    rows.back().lane = r;
  }
  for (auto& row : rows)
    row.search =
        std::make_unique<CtcBeamSearch>(model_.alphabet(), settings.options, settings.scorer, settings.hot_words);
  for (auto& r : requests_) std::memset(r.windows.data(), 0, r.windows.get_byte_size());

  // However this ends, no decode task may outlive the rows and results it writes to.
  struct Drain {
    BatchPipeline& p;
    ~Drain() {
      std::unique_lock<std::mutex> lock(p.done_mutex_);
      p.done_.wait(lock, [&] { return p.requests_[0].pending == 0 && p.requests_[1].pending == 0; });
    }
  } drain{*this};

  const bool probabilities = acoustic_.logits_are_probabilities();
  std::size_t next_input = 0;
  for (std::size_t step = 0;; ++step) {
    const int q = static_cast<int>(step & 1);
    Request& request = requests_[q];
    auto mark = Clock::now();
    wait_decoded(q);  // the decoders are done with this request's logits (from step - 2)
    stats_.waiting_s += lap(mark);

    std::size_t busy = 0;
    for (std::size_t r = 0; r < batch_; ++r) {
      if (rows[r].input == kIdle && next_input < order.size()) {
        assign(rows[r], r, order[next_input++], q);
        stats_.features_s += lap(mark);
      }
      if (rows[r].input != kIdle) ++busy;
    }
    if (busy == 0) break;
    // Rows only fall idle once every input is assigned (the tail): move the busy rows down to rows 0..busy-1
    // (state row and all), so that the request runs on exactly the busy rows (the batch is dynamic).
    for (std::size_t lo = 0, hi = batch_; lo < busy; ++lo) {
      if (rows[lo].input != kIdle) continue;
      do --hi;
      while (rows[hi].input == kIdle);
      std::swap(rows[lo], rows[hi]);
      for (ov::Tensor* pair : {&state_c_[q], &state_h_[q]})
        std::memcpy(pair->data<float>() + lo * cell_, pair->data<float>() + hi * cell_, cell_ * sizeof(float));
    }

    float* windows = request.windows.data<float>();
    for (std::size_t r = 0; r < busy; ++r)
      rows[r].valid = rows[r].windows.take_chunk(windows + r * steps_ * window_floats_);
    const int out = 1 - q;
    acoustic_.bind(request.infer, rows_view(request.windows, busy), rows_view(state_c_[q], busy),
                   rows_view(state_h_[q], busy), rows_view(request.logits, busy), rows_view(state_c_[out], busy),
                   rows_view(state_h_[out], busy));
    lap(mark);
    AcousticModel::infer(request.infer);
    stats_.inference_s += lap(mark);
    ++stats_.requests;
    stats_.rows += busy;

    float* logits = request.logits.data<float>();
    for (std::size_t r = 0; r < busy; ++r) {
      Row& row = rows[r];
      const std::size_t valid = row.valid;
      const bool last = row.windows.available() == 0;
      const std::size_t input = row.input;
      float* probs = logits + r * steps_ * classes_;
      CtcBeamSearch* search = row.search.get();
      {
        std::lock_guard<std::mutex> lock(done_mutex_);
        ++request.pending;
      }
      pool_.submit(row.lane, [this, q, search, probs, valid, last, input, num_results, probabilities, &results] {
        std::exception_ptr error;
        try {
          to_probabilities(probs, valid, classes_, probabilities);
          search->next(probs, valid);
          if (last) {
            results[input] = search->decode(num_results);
            search->reset();  // the row's next utterance is queued behind this task on the same thread
          }
        } catch (...) { error = std::current_exception(); }
        task_done(q, error);
      });
      if (last) {
        row.input = kIdle;
        row.windows.reset();
        row.frames.clear();
        row.frames.shrink_to_fit();
      }
    }
  }
  wait_decoded(0);
  wait_decoded(1);
  return results;
}

}  // namespace pyds::runtime

// ---------------------------------------------------------------------------------------------- BatchEngine

namespace pyds {

BatchEngine::BatchEngine(std::shared_ptr<const Model> model, const BatchOptions& options)
    : model_(std::move(model)), options_(options) {
  if (!model_) throw_error(ErrorKind::InvalidArgument, "BatchEngine needs a model");
  if (options_.batch_size == 0) throw_error(ErrorKind::InvalidArgument, "batch_size must be at least 1");
  if (options_.decoder_threads == 0) options_.decoder_threads = std::max(1u, std::thread::hardware_concurrency());
  if (options_.batch_size > 1) model_->acoustic().require_batchable();
  pool_ = std::make_unique<runtime::DecoderPool>(options_.decoder_threads);
  pipeline_ = std::make_unique<runtime::BatchPipeline>(*model_, options_.batch_size, *pool_);
}

BatchEngine::~BatchEngine() = default;

std::vector<std::vector<Transcript>> BatchEngine::run(const std::vector<SampleView>& audios, std::size_t num_results) {
  if (num_results == 0) throw_error(ErrorKind::InvalidArgument, "num_results must be at least 1");
  for (std::size_t i = 0; i < audios.size(); ++i) {
    try {
      audios[i].check_finite();
    } catch (const Error& e) { throw_error(e.kind(), "audios[" + std::to_string(i) + "]: " + e.what()); }
  }
  std::lock_guard<std::mutex> lock(run_mutex_);
  return pipeline_->run(audios, num_results);
}

BatchStats BatchEngine::last_run_stats() {
  std::lock_guard<std::mutex> lock(run_mutex_);
  return pipeline_->stats();
}

}  // namespace pyds
