#include "pyds/model.hpp"

#include <cmath>

#include "pyds/errors.hpp"
#include "pyds/stream.hpp"
#include "runtime/acoustic_model.hpp"
#include "runtime/bundle.hpp"
#include "runtime/live_scheduler.hpp"

namespace pyds {

std::shared_ptr<Model> Model::load(const std::string& bundle_dir, const ModelOptions& options) {
  if (options.numerics != "fidelity" && options.numerics != "fast")
    throw_error(ErrorKind::InvalidArgument, "numerics must be 'fidelity' or 'fast', got '" + options.numerics + "'");
  const runtime::BundleInfo bundle = runtime::read_bundle(bundle_dir);
  std::shared_ptr<Model> model(new Model());
  model->bundle_dir_ = bundle_dir;
  model->options_ = options;
  model->language_ = bundle.language;
  model->numerics_ = options.numerics == "fast" ? "fast" : bundle.numerics_mode;
  model->n_context_ = bundle.n_context;
  try {
    model->alphabet_ = bundle.utf8_mode ? Alphabet::utf8() : Alphabet::from_labels(bundle.alphabet);
  } catch (const Error& e) {
    throw_error(ErrorKind::InvalidModel, bundle.manifest_path + ": field 'alphabet': " + e.what());
  }
  try {
    model->features_ = std::make_shared<const MfccComputer>(bundle.features);
  } catch (const Error& e) {
    throw_error(ErrorKind::InvalidModel, bundle.manifest_path + ": feature settings: " + e.what());
  }
  if (options.live_batch_rows == 0) throw_error(ErrorKind::InvalidArgument, "live_batch_rows must be at least 1");
  model->acoustic_ = std::make_unique<runtime::AcousticModel>(bundle, model->alphabet_.num_classes(),
                                                              runtime::CompileSettings::from(options));

  DecoderSettings& s = model->settings_;
  s.options.beam_width = options.beam_width ? options.beam_width : bundle.beam_width;
  s.options.frame_step_seconds =
      static_cast<double>(bundle.features.step_samples()) / static_cast<double>(bundle.features.sample_rate);
  s.options.validate();
  model->bundled_scorer_ = bundle.scorer_path;
  if (options.bundled_scorer && !bundle.scorer_path.empty()) {  // the one place a bundle's scorer is applied
    std::shared_ptr<const Scorer> scorer;
    try {
      scorer = Scorer::load(bundle.scorer_path, model->alphabet_);
    } catch (const Error& e) { throw_error(e.kind(), bundle.manifest_path + ": field 'scorer': " + e.what()); }
    model->enable_scorer(std::move(scorer), bundle.scorer_alpha, bundle.scorer_beta);
  }
  return model;
}

Model::~Model() = default;

bool Model::batchable() const { return acoustic_->batchable(); }

bool Model::batches_streams() const { return options_.batch_streams && batchable(); }

runtime::LiveScheduler* Model::live_scheduler() const {
  if (!batches_streams()) return nullptr;
  std::lock_guard<std::mutex> lock(scheduler_mutex_);
  if (!scheduler_)
    scheduler_ =
        std::make_unique<runtime::LiveScheduler>(*acoustic_, options_.live_batch_rows, options_.live_decoder_threads);
  return scheduler_.get();
}

std::size_t Model::live_rounds() const {
  std::lock_guard<std::mutex> lock(scheduler_mutex_);
  return scheduler_ ? scheduler_->rounds() : 0;
}

std::size_t Model::live_rows() const {
  std::lock_guard<std::mutex> lock(scheduler_mutex_);
  return scheduler_ ? scheduler_->rows() : 0;
}

std::size_t Model::n_context() const { return n_context_; }
std::size_t Model::n_steps() const { return acoustic_->n_steps(); }
std::size_t Model::n_cell() const { return acoustic_->n_cell(); }
const std::string& Model::device() const { return acoustic_->device(); }
std::string Model::compiled_property(const std::string& name) const { return acoustic_->property(name); }

std::size_t Model::beam_width() const {
  std::lock_guard<std::mutex> lock(settings_mutex_);
  return settings_.options.beam_width;
}

void Model::set_beam_width(std::size_t beam_width) {
  if (beam_width == 0) throw_error(ErrorKind::InvalidArgument, "beam_width must be at least 1");
  std::lock_guard<std::mutex> lock(settings_mutex_);
  settings_.options.beam_width = beam_width;
}

void Model::enable_scorer(std::shared_ptr<const Scorer> scorer, std::optional<double> alpha,
                          std::optional<double> beta) {
  if (!scorer) throw_error(ErrorKind::InvalidArgument, "enable_scorer needs a scorer");
  if (scorer->is_utf8_mode() != alphabet_.is_utf8())
    throw_error(ErrorKind::InvalidScorer,
                std::string("the scorer is in ") + (scorer->is_utf8_mode() ? "UTF-8" : "alphabet") +
                    " mode but the model is in " + (alphabet_.is_utf8() ? "UTF-8" : "alphabet") +
                    " mode: they cannot be combined");
  for (const auto* v : {&alpha, &beta})
    if (*v && !std::isfinite(**v)) throw_error(ErrorKind::InvalidArgument, "alpha and beta must be finite");
  std::lock_guard<std::mutex> lock(settings_mutex_);
  settings_.scorer = std::move(scorer);
  settings_.options.alpha = alpha;
  settings_.options.beta = beta;
}

void Model::disable_scorer() {
  std::lock_guard<std::mutex> lock(settings_mutex_);
  settings_.scorer.reset();
  settings_.options.alpha.reset();
  settings_.options.beta.reset();
}

bool Model::has_scorer() const {
  std::lock_guard<std::mutex> lock(settings_mutex_);
  return settings_.scorer != nullptr;
}

void Model::set_scorer_alpha_beta(double alpha, double beta) {
  if (!std::isfinite(alpha) || !std::isfinite(beta))
    throw_error(ErrorKind::InvalidArgument, "alpha and beta must be finite");
  std::lock_guard<std::mutex> lock(settings_mutex_);
  if (!settings_.scorer) throw_error(ErrorKind::InvalidArgument, "no scorer is enabled: enable one first");
  settings_.options.alpha = alpha;
  settings_.options.beta = beta;
}

void Model::add_hot_word(const std::string& word, float boost) {
  if (word.empty()) throw_error(ErrorKind::InvalidArgument, "a hot word cannot be empty");
  if (!std::isfinite(boost)) throw_error(ErrorKind::InvalidArgument, "a hot-word boost must be finite");
  std::lock_guard<std::mutex> lock(settings_mutex_);
  if (!settings_.hot_words.emplace(word, boost).second)
    throw_error(ErrorKind::InvalidArgument,
                "hot word '" + word + "' is already there: erase it first to change its boost");
}

void Model::erase_hot_word(const std::string& word) {
  std::lock_guard<std::mutex> lock(settings_mutex_);
  if (settings_.hot_words.erase(word) == 0) throw_error(ErrorKind::InvalidArgument, "'" + word + "' is not a hot word");
}

void Model::clear_hot_words() {
  std::lock_guard<std::mutex> lock(settings_mutex_);
  settings_.hot_words.clear();
}

DecoderSettings Model::decoder_settings() const {
  std::lock_guard<std::mutex> lock(settings_mutex_);
  return settings_;
}

std::unique_ptr<Stream> Model::create_stream() const { return std::make_unique<Stream>(shared_from_this()); }

}  // namespace pyds
