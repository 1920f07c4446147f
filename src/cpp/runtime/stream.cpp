#include "pyds/stream.hpp"

#include "pyds/errors.hpp"
#include "pyds/model.hpp"
#include "runtime/acoustic_model.hpp"
#include "runtime/context_windows.hpp"
#include "runtime/live_scheduler.hpp"

namespace pyds {

namespace {
CtcBeamSearch make_decoder(const Model& model) {
  DecoderSettings s = model.decoder_settings();
  return CtcBeamSearch(model.alphabet(), s.options, std::move(s.scorer), std::move(s.hot_words));
}
}  // namespace

Stream::Stream(std::shared_ptr<const Model> model)
    : model_(std::move(model)), features_(model_->mfcc()),
      windows_(std::make_unique<runtime::ContextWindows>(
          model_->n_context(), static_cast<std::size_t>(model_->feature_options().dct_coefficients),
          model_->n_steps())),
      decoder_(make_decoder(*model_)) {
  frames_.reserve(64 * windows_->n_input());
  if (runtime::LiveScheduler* scheduler = model_->live_scheduler())
    slot_ = scheduler->open([this](const float* probs, std::size_t valid) { decode(probs, valid); });
  else session_ = std::make_unique<runtime::AcousticSession>(model_->acoustic());
}

Stream::~Stream() {
  if (slot_) slot_->close();  // from here on no decode callback touches this stream
}

void Stream::feed_audio(const SampleView& samples) {
  if (finished_) throw_error(ErrorKind::InvalidArgument, "the stream is finished: create a new one (or reset it)");
  frames_.clear();
  features_.accept(samples, frames_);
  push_frames(frames_.size() / windows_->n_input());
  run_chunks(false);
}

void Stream::push_frames(std::size_t n_frames) { windows_->append(frames_.data(), n_frames); }

void Stream::run_chunks(bool partial) {
  while (windows_->chunk_ready() || (partial && windows_->available() > 0)) {
    if (slot_) {
      slot_->submit(*windows_);
    } else {
      const std::size_t valid = windows_->take_chunk(session_->window_rows());
      decode(session_->run(), valid);
    }
  }
}

void Stream::decode(const float* probs, std::size_t valid) {
  decoder_.next(probs, valid);
  if (record_) recorded_.insert(recorded_.end(), probs, probs + valid * model_->alphabet().num_classes());
  timesteps_ += valid;
}

void Stream::drain() const {
  if (slot_) slot_->wait();
}

const std::vector<float>& Stream::probabilities() const {
  drain();
  return recorded_;
}

std::size_t Stream::timesteps() const {
  drain();
  return timesteps_;
}

std::vector<Transcript> Stream::intermediate_decode(std::size_t num_results) const {
  drain();
  return decoder_.decode(num_results);
}

std::vector<Transcript> Stream::intermediate_decode_flush_buffers(std::size_t num_results) {
  if (finished_) throw_error(ErrorKind::InvalidArgument, "the stream is finished: create a new one (or reset it)");
  frames_.clear();
  features_.peek(frames_);
  push_frames(1);
  run_chunks(true);
  drain();
  return decoder_.decode(num_results);
}

std::vector<Transcript> Stream::finish(std::size_t num_results) {
  if (finished_)
    throw_error(ErrorKind::InvalidArgument, "the stream is already finished: create a new one (or reset it)");
  frames_.clear();
  features_.finish(frames_);
  push_frames(1);
  windows_->close();
  run_chunks(true);
  finished_ = true;
  drain();
  return decoder_.decode(num_results);
}

void Stream::reset() {
  if (slot_) slot_->reset_state();  // waits for the chunks in flight first
  else session_->reset_state();
  features_.reset();
  windows_->reset();
  decoder_.reset();
  timesteps_ = 0;
  finished_ = false;
  recorded_.clear();
}

}  // namespace pyds
