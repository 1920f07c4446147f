#include "pyds/stream.hpp"

#include <algorithm>
#include <cstring>

#include "pyds/errors.hpp"
#include "pyds/model.hpp"
#include "runtime/acoustic_model.hpp"

namespace pyds {

namespace {
CtcBeamSearch make_decoder(const Model& model) {
  DecoderSettings s = model.decoder_settings();
  return CtcBeamSearch(model.alphabet(), s.options, std::move(s.scorer), std::move(s.hot_words));
}
}  // namespace

Stream::Stream(std::shared_ptr<const Model> model)
    : model_(std::move(model)), features_(model_->mfcc()),
      windower_(model_->n_context(), static_cast<std::size_t>(model_->feature_options().dct_coefficients)),
      session_(std::make_unique<runtime::AcousticSession>(model_->acoustic())), decoder_(make_decoder(*model_)) {
  frames_.reserve(64 * windower_.n_input());
}

Stream::~Stream() = default;

void Stream::feed_audio(const SampleView& samples) {
  if (finished_) throw_error(ErrorKind::InvalidArgument, "the stream is finished: create a new one (or reset it)");
  frames_.clear();
  features_.accept(samples, frames_);
  on_frames(frames_.data(), frames_.size() / windower_.n_input());
}

void Stream::on_frames(const float* frames, std::size_t n_frames) {
  windower_.push(frames, n_frames, [this](const float* window) { on_window(window); });
}

void Stream::on_window(const float* window) {
  const std::size_t width = windower_.window_floats();
  std::memcpy(session_->window_rows() + pending_steps_ * width, window, width * sizeof(float));
  if (++pending_steps_ == model_->n_steps()) run_chunk(pending_steps_);
}

void Stream::run_chunk(std::size_t valid_steps) {
  const std::size_t steps = model_->n_steps();
  const std::size_t width = windower_.window_floats();
  if (valid_steps < steps)  // Coqui >= 1.2 zero-fills the rows a partial last chunk does not use
    std::fill(session_->window_rows() + valid_steps * width, session_->window_rows() + steps * width, 0.0f);
  const float* probs = session_->run();
  decoder_.next(probs, valid_steps);
  if (record_) recorded_.insert(recorded_.end(), probs, probs + valid_steps * model_->alphabet().num_classes());
  timesteps_ += valid_steps;
  pending_steps_ = 0;
}

std::vector<Transcript> Stream::intermediate_decode(std::size_t num_results) const {
  return decoder_.decode(num_results);
}

std::vector<Transcript> Stream::intermediate_decode_flush_buffers(std::size_t num_results) {
  if (finished_) throw_error(ErrorKind::InvalidArgument, "the stream is finished: create a new one (or reset it)");
  frames_.clear();
  features_.peek(frames_);
  on_frames(frames_.data(), 1);
  if (pending_steps_ > 0) run_chunk(pending_steps_);
  return decoder_.decode(num_results);
}

std::vector<Transcript> Stream::finish(std::size_t num_results) {
  if (finished_) throw_error(ErrorKind::InvalidArgument, "the stream is already finished: create a new one (or reset it)");
  frames_.clear();
  features_.finish(frames_);
  on_frames(frames_.data(), 1);
  windower_.finish([this](const float* window) { on_window(window); });
  if (pending_steps_ > 0) run_chunk(pending_steps_);
  finished_ = true;
  return decoder_.decode(num_results);
}

void Stream::reset() {
  features_.reset();
  windower_.reset();
  session_->reset_state();
  decoder_.reset();
  pending_steps_ = 0;
  timesteps_ = 0;
  finished_ = false;
  recorded_.clear();
}

}  // namespace pyds
