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
#include "runtime/bundle.hpp"

namespace pyds::runtime {

// ---------------------------------------------------------------------------------------------- DecoderPool

DecoderPool::DecoderPool(std::size_t threads) {
  workers_.reserve(std::max<std::size_t>(1, threads));
  for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i) {
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
    task();  // tasks catch their own exceptions
    lock.lock();
  }
}

// -------------------------------------------------------------------------------------------- BatchPipeline

namespace {

constexpr std::size_t kIdle = static_cast<std::size_t>(-1);

// Softmax per timestep, in place (for IRs whose logits are not probabilities yet), as AcousticSession does.
void softmax_rows(float* rows, std::size_t n_rows, std::size_t classes) {
  for (std::size_t t = 0; t < n_rows; ++t) {
    float* row = rows + t * classes;
    const float peak = *std::max_element(row, row + classes);
    double sum = 0.0;
    for (std::size_t k = 0; k < classes; ++k) sum += (row[k] = std::exp(row[k] - peak));
    for (std::size_t k = 0; k < classes; ++k) row[k] = static_cast<float>(row[k] / sum);
  }
}

// Row `row` of a [B, ...] tensor, as a tensor of shape `shape` over the same memory.
ov::Tensor row_view(const ov::Tensor& full, std::size_t row, const ov::Shape& shape) {
  auto* base = static_cast<char*>(const_cast<void*>(full.data()));
  const std::size_t row_bytes = full.get_byte_size() / full.get_shape()[0];
  return ov::Tensor(full.get_element_type(), shape, base + row * row_bytes);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void moving_average(double& average, double sample) { average = average == 0 ? sample : 0.8 * average + 0.2 * sample; }

}  // namespace

// One row of the batch: the utterance it holds (its padded MFCC frames, so that window t is the 19 frames from
// frame t on, exactly the Windower's output) and the beam search that decodes it.
struct BatchPipeline::Row {
  std::size_t input = kIdle;  // index into the inputs; kIdle when the row is free
  std::vector<float> frames;  // n_context zero frames, the utterance's frames (flush frame included), n_context zeros
  std::size_t windows = 0;    // timesteps of the utterance
  std::size_t next = 0;       // first timestep not yet sent to the model
  bool clear[2] = {false, false};  // its window rows in request q's buffer are all zero (idle rows)
  std::unique_ptr<CtcBeamSearch> search;
};

BatchPipeline::BatchPipeline(const Model& model, const AcousticModel& acoustic, DecoderPool& pool)
    : model_(model), acoustic_(acoustic), pool_(pool), batch_(acoustic.max_batch()), steps_(acoustic.n_steps()),
      window_floats_(acoustic.window_floats()),
      n_input_(static_cast<std::size_t>(model.feature_options().dct_coefficients)), n_context_(model.n_context()),
      classes_(acoustic.n_classes()), cell_(acoustic.n_cell()) {
  for (int i = 0; i < 2; ++i) {
    state_c_[i] = ov::Tensor(ov::element::f32, acoustic.state_shape_);
    state_h_[i] = ov::Tensor(ov::element::f32, acoustic.state_shape_);
    std::memset(state_c_[i].data(), 0, state_c_[i].get_byte_size());
    std::memset(state_h_[i].data(), 0, state_h_[i].get_byte_size());
  }
  for (int i = 0; i < 2; ++i) {
    Request& r = requests_[i];
    r.infer = const_cast<ov::CompiledModel&>(acoustic.compiled_).create_infer_request();
    r.windows = ov::Tensor(ov::element::f32, acoustic.features_shape_);
    r.logits = ov::Tensor(ov::element::f32, acoustic.logits_shape_);
    std::memset(r.windows.data(), 0, r.windows.get_byte_size());
    const int out = 1 - i;
    r.infer.set_tensor(acoustic.features_, r.windows);
    r.infer.set_tensor(acoustic.state_c_in_, state_c_[i]);
    r.infer.set_tensor(acoustic.state_h_in_, state_h_[i]);
    r.infer.set_tensor(acoustic.logits_, r.logits);
    r.infer.set_tensor(acoustic.state_c_out_, state_c_[out]);
    r.infer.set_tensor(acoustic.state_h_out_, state_h_[out]);
  }
  single_ = const_cast<ov::CompiledModel&>(model.acoustic().compiled_).create_infer_request();
}

void BatchPipeline::infer_row(int q, std::size_t row) {
  const AcousticModel& one = model_.acoustic();
  const Request& r = requests_[q];
  const int out = 1 - q;
  single_.set_tensor(one.features_, row_view(r.windows, row, one.features_shape_));
  single_.set_tensor(one.state_c_in_, row_view(state_c_[q], row, one.state_shape_));
  single_.set_tensor(one.state_h_in_, row_view(state_h_[q], row, one.state_shape_));
  single_.set_tensor(one.logits_, row_view(r.logits, row, one.logits_shape_));
  single_.set_tensor(one.state_c_out_, row_view(state_c_[out], row, one.state_shape_));
  single_.set_tensor(one.state_h_out_, row_view(state_h_[out], row, one.state_shape_));
  single_.infer();
}

void BatchPipeline::assign(Row& row, std::size_t row_index, std::size_t input, int q) {
  const SampleView& audio = (*audios_)[input];
  const std::size_t pad = n_context_ * n_input_;
  row.frames.clear();
  row.frames.reserve((full_window_count(audio.size, model_.feature_options()) + 1) * n_input_ + 2 * pad);
  row.frames.assign(pad, 0.0f);
  FeatureStream features(model_.mfcc());
  features.accept(audio, row.frames);
  features.finish(row.frames);
  row.frames.resize(row.frames.size() + pad, 0.0f);
  row.windows = row.frames.size() / n_input_ - 2 * n_context_;
  row.next = 0;
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

std::vector<std::vector<Transcript>> BatchPipeline::run(const std::vector<SampleView>& audios, std::size_t num_results) {
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
  std::vector<Row> rows(batch_);
  for (auto& row : rows)
    row.search = std::make_unique<CtcBeamSearch>(model_.alphabet(), settings.options, settings.scorer, settings.hot_words);
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
    wait_decoded(q);  // the decoders are done with this request's logits (from step - 2)

    std::size_t busy = 0;
    for (std::size_t r = 0; r < batch_; ++r) {
      if (rows[r].input == kIdle && next_input < order.size()) assign(rows[r], r, order[next_input++], q);
      if (rows[r].input != kIdle) ++busy;
    }
    if (busy == 0) break;
    const std::size_t batch = batch_;
    // Few busy rows: one batch-1 call per row, when that is measured (or, before measuring, expected) cheaper.
    const bool singles = batch_ > 1 && (single_seconds_ > 0 && batch_seconds_ > 0
                                            ? busy * single_seconds_ < batch_seconds_
                                            : busy <= batch_ / 4);

    float* windows = request.windows.data<float>();
    for (std::size_t r = 0; r < batch; ++r) {
      Row& row = rows[r];
      float* dst = windows + r * steps_ * window_floats_;
      if (row.input == kIdle) {
        if (singles) continue;  // not computed at all
        if (!row.clear[q]) std::fill(dst, dst + steps_ * window_floats_, 0.0f);
        row.clear[q] = true;
        continue;
      }
      const std::size_t valid = std::min(steps_, row.windows - row.next);
      for (std::size_t t = 0; t < valid; ++t)
        std::memcpy(dst + t * window_floats_, row.frames.data() + (row.next + t) * n_input_, window_floats_ * sizeof(float));
      // A partial last chunk is zero-filled, as Stream (and Coqui >= 1.2) does.
      std::fill(dst + valid * window_floats_, dst + steps_ * window_floats_, 0.0f);
      row.clear[q] = false;
    }

    try {
      const auto start = std::chrono::steady_clock::now();
      if (singles) {
        for (std::size_t r = 0; r < batch_; ++r)
          if (rows[r].input != kIdle) infer_row(q, r);
        moving_average(single_seconds_, seconds_since(start) / static_cast<double>(busy));
      } else {
        request.infer.infer();
        moving_average(batch_seconds_, seconds_since(start));
      }
    } catch (const std::exception& e) {
      throw_error(ErrorKind::Runtime, std::string("batched acoustic model inference failed: ") + e.what());
    }

    float* logits = request.logits.data<float>();
    for (std::size_t r = 0; r < batch; ++r) {
      Row& row = rows[r];
      if (row.input == kIdle) continue;
      const std::size_t valid = std::min(steps_, row.windows - row.next);
      row.next += valid;
      const bool last = row.next == row.windows;
      const std::size_t input = row.input;
      float* probs = logits + r * steps_ * classes_;
      CtcBeamSearch* search = row.search.get();
      {
        std::lock_guard<std::mutex> lock(done_mutex_);
        ++request.pending;
      }
      pool_.submit(r, [this, q, search, probs, valid, last, input, num_results, probabilities, &results] {
        std::exception_ptr error;
        try {
          if (!probabilities) softmax_rows(probs, valid, classes_);
          search->next(probs, valid);
          if (last) {
            results[input] = search->decode(num_results);
            search->reset();  // the row's next utterance is queued behind this task on the same thread
          }
        } catch (...) {
          error = std::current_exception();
        }
        task_done(q, error);
      });
      if (last) {
        row.input = kIdle;
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
  const runtime::BundleInfo bundle = runtime::read_bundle(model_->bundle_dir());
  const ModelOptions& mo = model_->options();
  runtime::CompileSettings compile;
  compile.device = mo.device;
  compile.cache_dir = mo.cache_dir;
  compile.threads = mo.threads;
  compile.fidelity = mo.numerics == "fidelity";
  acoustic_ = std::make_unique<runtime::AcousticModel>(bundle, model_->alphabet().num_classes(), compile,
                                                       options_.batch_size);
  pool_ = std::make_unique<runtime::DecoderPool>(options_.decoder_threads);
  pipeline_ = std::make_unique<runtime::BatchPipeline>(*model_, *acoustic_, *pool_);
}

BatchEngine::~BatchEngine() = default;

std::vector<std::vector<Transcript>> BatchEngine::run(const std::vector<SampleView>& audios, std::size_t num_results) {
  if (num_results == 0) throw_error(ErrorKind::InvalidArgument, "num_results must be at least 1");
  for (std::size_t i = 0; i < audios.size(); ++i) {
    try {
      audios[i].check_finite();
    } catch (const Error& e) {
      throw_error(e.kind(), "audios[" + std::to_string(i) + "]: " + e.what());
    }
  }
  std::lock_guard<std::mutex> lock(run_mutex_);
  return pipeline_->run(audios, num_results);
}

}  // namespace pyds
