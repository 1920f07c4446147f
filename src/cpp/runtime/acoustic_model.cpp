#include "runtime/acoustic_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "pyds/errors.hpp"
#include "runtime/numerics.hpp"

namespace pyds::runtime {

namespace {

ov::Output<const ov::Node> find_port(const std::vector<ov::Output<const ov::Node>>& ports, const std::string& name,
                                     const std::string& kind, const BundleInfo& bundle, const std::string& xml,
                                     const std::string& key) {
  for (const auto& p : ports)
    if (p.get_names().count(name)) return p;
  std::string known;
  for (const auto& p : ports) known += (known.empty() ? "" : ", ") + p.get_any_name();
  throw_error(ErrorKind::InvalidModel, bundle.manifest_path + ": field 'io." + key + "' names " + kind + " '" + name +
                                           "', which " + xml + " does not have (it has: " +
                                           known + ")");
}

std::string shape_text(const ov::PartialShape& s) { return s.to_string(); }

// A partial shape matches when its rank is equal and every static dimension equals the expected one (the batch
// dimension may be dynamic when the bundle says so).
bool shape_fits(const ov::PartialShape& actual, const std::vector<std::int64_t>& expected) {
  if (actual.rank().is_dynamic() || actual.rank().get_length() != static_cast<std::int64_t>(expected.size())) return false;
  for (std::size_t i = 0; i < expected.size(); ++i)
    if (actual[i].is_static() && actual[i].get_length() != expected[i]) return false;
  return true;
}

}  // namespace

AcousticModel::AcousticModel(const BundleInfo& bundle, std::size_t n_classes, const CompileSettings& settings,
                             std::size_t max_batch)
    : n_steps_(bundle.n_steps), window_floats_((2 * bundle.n_context + 1) * bundle.features.dct_coefficients),
      n_cell_(bundle.n_cell_dim), n_classes_(n_classes), max_batch_(max_batch),
      probabilities_(bundle.logits_are_probabilities), device_(settings.device) {
  if (max_batch == 0) throw_error(ErrorKind::InvalidArgument, "the batch size must be at least 1");
  if (max_batch > 1 && !bundle.dynamic_batch)
    throw_error(ErrorKind::InvalidModel, bundle.manifest_path +
                                             ": field 'batch' is 1, so the model cannot run batched: reconvert it "
                                             "with pyds-convert (which writes a dynamic batch dimension)");
  // Which IR and compile properties the numerics mode uses (numerics.cpp owns that choice).
  const NumericsPlan plan = numerics_plan(bundle, settings.fidelity);
  const std::string& xml = plan.xml;
  std::shared_ptr<ov::Model> model;
  try {
    model = core_.read_model(xml);
  } catch (const std::exception& e) {
    throw_error(ErrorKind::InvalidModel, "cannot read the IR " + xml + ": " + e.what());
  }
  apply_load_time_numerics(*model, plan);
  const auto in_ports = std::const_pointer_cast<const ov::Model>(model)->inputs();
  const auto out_ports = std::const_pointer_cast<const ov::Model>(model)->outputs();
  const auto& io = bundle.io;
  auto check = [&](const ov::Output<const ov::Node>& port, const std::string& key,
                   const std::vector<std::vector<std::int64_t>>& accepted) {
    const auto& shape = port.get_partial_shape();
    for (const auto& s : accepted)
      if (shape_fits(shape, s)) return;
    std::string want;
    for (const auto& s : accepted) want += (want.empty() ? "" : " or ") + ov::PartialShape(std::vector<ov::Dimension>(s.begin(), s.end())).to_string();
    throw_error(ErrorKind::InvalidModel, bundle.manifest_path + ": io." + key + " '" + port.get_any_name() +
                                             "' has shape " + shape_text(shape) + " in the IR, but pyds.json implies " +
                                             want);
  };
  const auto steps = static_cast<std::int64_t>(bundle.n_steps);
  const auto frames = static_cast<std::int64_t>(2 * bundle.n_context + 1);
  const auto coeffs = static_cast<std::int64_t>(bundle.features.dct_coefficients);
  const auto cell = static_cast<std::int64_t>(bundle.n_cell_dim);
  const auto classes = static_cast<std::int64_t>(n_classes);
  auto f = find_port(in_ports, io.features, "input", bundle, xml, "features");
  auto ci = find_port(in_ports, io.state_c_in, "input", bundle, xml, "state_c_in");
  auto hi = find_port(in_ports, io.state_h_in, "input", bundle, xml, "state_h_in");
  auto lo = find_port(out_ports, io.logits, "output", bundle, xml, "logits");
  auto co = find_port(out_ports, io.state_c_out, "output", bundle, xml, "state_c_out");
  auto ho = find_port(out_ports, io.state_h_out, "output", bundle, xml, "state_h_out");
  check(f, "features", {{1, steps, frames, coeffs}});
  check(ci, "state_c_in", {{1, cell}});
  check(hi, "state_h_in", {{1, cell}});
  // Batch 1 in any of the layouts DeepSpeech exports use: [B, T, C], [T, B, C] or [T, C].
  check(lo, "logits", {{1, steps, classes}, {steps, 1, classes}, {steps, classes}});
  check(co, "state_c_out", {{1, cell}});
  check(ho, "state_h_out", {{1, cell}});

  if (max_batch > 1 && !shape_fits(lo.get_partial_shape(), {1, steps, classes}))
    throw_error(ErrorKind::InvalidModel, xml + ": logits '" + lo.get_any_name() + "' are " +
                                             shape_text(lo.get_partial_shape()) +
                                             "; batching needs batch-major [B, n_steps, classes] (reconvert)");

  // A batch-dynamic IR is compiled as it is, not reshaped to a static batch: with static shapes the CPU plugin
  // fuses the hybrid-int8 graph differently and its arithmetic leaves TFLite's (measured on the Armenian model:
  // golden logits max diff 0.19 at static batch 1 vs 2.4e-7 dynamic). Every row is quantized on its own, so a
  // batch of B rows computes each row as batch 1 does; the batch is set per request by the tensors.
  ov::AnyMap config = plan.config;
  if (settings.threads > 0) config[ov::inference_num_threads.name()] = settings.threads;
  if (!settings.cache_dir.empty()) core_.set_property(ov::cache_dir(settings.cache_dir));
  try {
    compiled_ = core_.compile_model(model, settings.device, config);
  } catch (const std::exception& e) {
    throw_error(ErrorKind::InvalidModel, "cannot compile " + xml + " on device '" +
                                             settings.device + "': " + e.what());
  }
  auto pick = [&](const std::vector<ov::Output<const ov::Node>>& ports, const std::string& name) {
    for (const auto& p : ports)
      if (p.get_names().count(name)) return p;
    throw_error(ErrorKind::InvalidModel, "compiled model lost tensor '" + name + "'");
  };
  features_ = pick(compiled_.inputs(), io.features);
  state_c_in_ = pick(compiled_.inputs(), io.state_c_in);
  state_h_in_ = pick(compiled_.inputs(), io.state_h_in);
  logits_ = pick(compiled_.outputs(), io.logits);
  state_c_out_ = pick(compiled_.outputs(), io.state_c_out);
  state_h_out_ = pick(compiled_.outputs(), io.state_h_out);
  // Concrete shapes for the sessions' tensors (the compiled ports keep the IR's dynamic batch): max_batch rows.
  const auto& logits_dims = logits_.get_partial_shape();
  features_shape_ = ov::Shape{max_batch_, n_steps_, static_cast<std::size_t>(frames), static_cast<std::size_t>(coeffs)};
  state_shape_ = ov::Shape{max_batch_, n_cell_};
  if (logits_dims.rank().get_length() == 2)
    logits_shape_ = ov::Shape{n_steps_, n_classes_};  // [T, C]: batch 1 only (checked above)
  else if (max_batch_ == 1 && logits_dims[0].is_static() && logits_dims[0].get_length() == steps && steps != 1)
    logits_shape_ = ov::Shape{n_steps_, 1, n_classes_};  // time-major [T, 1, C] of TF frontend graphs
  else
    logits_shape_ = ov::Shape{max_batch_, n_steps_, n_classes_};
}

std::string AcousticModel::property(const std::string& name) const {
  try {
    return compiled_.get_property(name).as<std::string>();
  } catch (const std::exception& e) {
    throw_error(ErrorKind::InvalidArgument, "compiled model has no property '" + name + "': " + e.what());
  }
}

AcousticSession::AcousticSession(const AcousticModel& model)
    : model_(model), request_(const_cast<ov::CompiledModel&>(model.compiled_).create_infer_request()),
      features_(ov::element::f32, model.features_shape_), logits_(ov::element::f32, model.logits_shape_) {
  for (int i = 0; i < 2; ++i) {
    state_c_[i] = ov::Tensor(ov::element::f32, model.state_shape_);
    state_h_[i] = ov::Tensor(ov::element::f32, model.state_shape_);
  }
  request_.set_tensor(model.features_, features_);
  request_.set_tensor(model.logits_, logits_);
  std::memset(features_.data(), 0, features_.get_byte_size());
  reset_state();
}

void AcousticSession::reset_state() {
  current_ = 0;
  std::memset(state_c_[0].data(), 0, state_c_[0].get_byte_size());
  std::memset(state_h_[0].data(), 0, state_h_[0].get_byte_size());
}

const float* AcousticSession::run() {
  const int next = 1 - current_;
  request_.set_tensor(model_.state_c_in_, state_c_[current_]);
  request_.set_tensor(model_.state_h_in_, state_h_[current_]);
  request_.set_tensor(model_.state_c_out_, state_c_[next]);
  request_.set_tensor(model_.state_h_out_, state_h_[next]);
  try {
    request_.infer();
  } catch (const std::exception& e) {
    throw_error(ErrorKind::Runtime, std::string("acoustic model inference failed: ") + e.what());
  }
  current_ = next;
  float* out = logits_.data<float>();
  if (!model_.logits_are_probabilities()) {
    // Raw logits: softmax per timestep, in place, so the decoder always sees probabilities.
    const std::size_t c = model_.n_classes();
    for (std::size_t t = 0; t < model_.n_steps(); ++t) {
      float* row = out + t * c;
      const float peak = *std::max_element(row, row + c);
      double sum = 0.0;
      for (std::size_t k = 0; k < c; ++k) sum += (row[k] = std::exp(row[k] - peak));
      for (std::size_t k = 0; k < c; ++k) row[k] = static_cast<float>(row[k] / sum);
    }
  }
  return out;
}

}  // namespace pyds::runtime
