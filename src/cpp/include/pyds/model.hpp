// pyds::Model — a DeepSpeech/Coqui acoustic model bundle compiled on OpenVINO, plus the decoder settings
// (beam width, scorer, alpha/beta, hot words) that new streams start from.
//
// Basic usage:
//   auto model = pyds::Model::load("/path/to/bundle");        // a pyds-convert output directory
//   auto stream = model->create_stream();
//   stream->feed_audio(pyds::SampleView::of(samples, n));      // int16 or float32 mono at sample_rate()
//   std::string partial = stream->intermediate_decode(1)[0].text;
//   std::string text = stream->finish(1)[0].text;
//
// One Model holds ONE compiled network (one ov::Core, one copy of the weights), shared by its streams, its
// batch engines (pyds::BatchEngine) and its live scheduler: with batch_streams on (the default) and a bundle
// with a dynamic batch, the chunks of all streams fed at the same time, from any threads, run as the rows of
// one batched request, each stream's results identical to running it alone (see pyds/stream.hpp). The
// scheduler thread and its decoder threads start with the first such stream.
//
// Thread safety: a Model is shared (std::shared_ptr) by any number of streams on any threads. What it was
// loaded with never changes: the compiled network, the alphabet, the feature settings, the options. It is NOT
// immutable as a whole: the decoder settings (beam width, scorer, alpha/beta, hot words) are mutable defaults,
// which any thread may change at any time under an internal lock. Each stream (and each batch row) copies them
// when it is created, so a change applies to streams created afterwards and never to one already open (as in
// DeepSpeech, where hot words and the scorer are copied into each stream). Threads that share a model share its
// settings: set them before sharing it, or give each set of settings its own Model.
// A Stream is one utterance's mutable state: use each from one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "pyds/alphabet.hpp"
#include "pyds/decoder.hpp"
#include "pyds/features.hpp"
#include "pyds/scorer.hpp"

namespace pyds {

namespace runtime {
class AcousticModel;
class LiveScheduler;
struct BundleInfo;
}  // namespace runtime

class Stream;

struct ModelOptions {
  std::string device = "CPU";   // any OpenVINO device name, AUTO included
  std::string cache_dir;        // compiled-model cache directory ("" = no cache)
  int threads = 0;              // inference threads (0 = OpenVINO's choice)
  std::string numerics = "fidelity";  // "fidelity": the bundle's arithmetic (exact hybrid int8 / f32);
                                      // "fast": the bundle's graph built for speed (split LSTM, the
                                      // plugin's dynamic int8 / bf16), see runtime/numerics.hpp
  std::size_t beam_width = 0;  // 0 = the bundle's default (the model's metadata_beam_width)
  bool batch_streams = true;  // streams share batched inference (the live scheduler); false = each stream
                              // runs its own batch-1 requests on the caller's thread. Ignored (false) for
                              // bundles with a fixed batch of 1.
  std::size_t live_batch_rows = 16;  // at most this many streams' chunks per batched request (memory grows
                                     // with it: 16 is the batch engine's default, so both share one size)
  std::size_t live_decoder_threads = 0;  // the live streams' beam-search threads (0 = one per hardware thread)
  bool bundled_scorer = true;  // enable the bundle's own scorer (pyds.json "scorer", with its alpha/beta) at
                               // load; the C ABI and pyds.compat pass false (DeepSpeech models start without one)
};

// The decoder settings a stream snapshots at creation.
struct DecoderSettings {
  DecoderOptions options;
  std::shared_ptr<const Scorer> scorer;
  HotWords hot_words;
};

class Model : public std::enable_shared_from_this<Model> {
 public:
  // Loads <bundle_dir>/pyds.json and its IR, checks one against the other and compiles. Throws ModelNotFound
  // or InvalidModel (naming the file and field).
  static std::shared_ptr<Model> load(const std::string& bundle_dir, const ModelOptions& options = {});
  ~Model();

  const Alphabet& alphabet() const { return alphabet_; }
  int sample_rate() const { return features_->options().sample_rate; }
  const FeatureOptions& feature_options() const { return features_->options(); }
  std::shared_ptr<const MfccComputer> mfcc() const { return features_; }
  std::size_t n_context() const;
  std::size_t n_steps() const;
  std::size_t n_cell() const;
  const std::string& bundle_dir() const { return bundle_dir_; }
  const std::string& language() const { return language_; }
  const std::string& numerics() const { return numerics_; }
  // The options the model was loaded with.
  const ModelOptions& options() const { return options_; }
  // True when requests may hold more than one row (a dynamic batch and batch-major logits): the batch engine
  // and the live scheduler need it.
  bool batchable() const;
  // True when new streams run batched on the live scheduler (batch_streams on and the bundle batchable).
  bool batches_streams() const;
  const std::string& device() const;
  // A compiled-model property (e.g. "INFERENCE_PRECISION_HINT"), as OpenVINO prints it.
  std::string compiled_property(const std::string& name) const;
  // The bundle's own scorer file ("" when it has none). load() enables it with the bundle's alpha/beta unless
  // ModelOptions::bundled_scorer is false.
  const std::string& bundled_scorer() const { return bundled_scorer_; }

  // Decoder settings for new streams.
  std::size_t beam_width() const;
  void set_beam_width(std::size_t beam_width);  // InvalidArgument for 0
  void enable_scorer(std::shared_ptr<const Scorer> scorer, std::optional<double> alpha = {},
                     std::optional<double> beta = {});  // InvalidScorer when its alphabet mode does not fit
  void disable_scorer();
  bool has_scorer() const;
  void set_scorer_alpha_beta(double alpha, double beta);  // InvalidArgument without a scorer
  void add_hot_word(const std::string& word, float boost);  // InvalidArgument when the word is already there
  void erase_hot_word(const std::string& word);  // InvalidArgument when it is not there
  void clear_hot_words();
  DecoderSettings decoder_settings() const;

  std::unique_ptr<Stream> create_stream() const;

  const runtime::AcousticModel& acoustic() const { return *acoustic_; }
  // The live scheduler (started on first use), or nullptr when streams are not batched.
  runtime::LiveScheduler* live_scheduler() const;
  // Batched rounds run and stream chunks inferred by the live scheduler so far (0, 0 before it starts).
  std::size_t live_rounds() const;
  std::size_t live_rows() const;

 private:
  Model() = default;
  std::string bundle_dir_;
  std::string language_;
  std::string numerics_;
  std::string bundled_scorer_;
  ModelOptions options_;
  Alphabet alphabet_ = Alphabet::utf8();
  std::shared_ptr<const MfccComputer> features_;
  std::unique_ptr<runtime::AcousticModel> acoustic_;
  std::size_t n_context_ = 9;

  mutable std::mutex settings_mutex_;
  DecoderSettings settings_;
  mutable std::mutex scheduler_mutex_;
  mutable std::unique_ptr<runtime::LiveScheduler> scheduler_;  // after acoustic_: destroyed before it
};

}  // namespace pyds
