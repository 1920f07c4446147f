#include "runtime/acoustic_model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "pyds/errors.hpp"
#include "pyds/model.hpp"
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
                                           "', which " + xml + " does not have (it has: " + known + ")");
}

std::string shape_text(const ov::PartialShape& s) { return s.to_string(); }

// A partial shape matches when its rank is equal and every static dimension equals the expected one (the batch
// dimension may be dynamic when the bundle says so).
bool shape_fits(const ov::PartialShape& actual, const std::vector<std::int64_t>& expected) {
  if (actual.rank().is_dynamic() || actual.rank().get_length() != static_cast<std::int64_t>(expected.size()))
    return false;
  for (std::size_t i = 0; i < expected.size(); ++i)
    if (actual[i].is_static() && actual[i].get_length() != expected[i]) return false;
  return true;
}

}  // namespace

CompileSettings CompileSettings::from(const ModelOptions& options) {
  CompileSettings s;
  s.device = options.device;
  s.cache_dir = options.cache_dir;
  s.threads = options.threads;
  s.fidelity = options.numerics == "fidelity";
  return s;
}

void to_probabilities(float* rows, std::size_t n_rows, std::size_t classes, bool logits_are_probabilities) {
  if (logits_are_probabilities) return;
  for (std::size_t t = 0; t < n_rows; ++t) {
    float* row = rows + t * classes;
    const float peak = *std::max_element(row, row + classes);
    double sum = 0.0;
    for (std::size_t k = 0; k < classes; ++k) sum += (row[k] = std::exp(row[k] - peak));
    for (std::size_t k = 0; k < classes; ++k) row[k] = static_cast<float>(row[k] / sum);
  }
}

AcousticModel::AcousticModel(const BundleInfo& bundle, std::size_t n_classes, const CompileSettings& settings)
    : n_steps_(bundle.n_steps), window_frames_(2 * bundle.n_context + 1), n_input_(bundle.features.dct_coefficients),
      window_floats_(window_frames_ * n_input_), n_cell_(bundle.n_cell_dim), n_classes_(n_classes),
      probabilities_(bundle.logits_are_probabilities), device_(settings.device) {
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
    for (const auto& s : accepted)
      want +=
          (want.empty() ? "" : " or ") + ov::PartialShape(std::vector<ov::Dimension>(s.begin(), s.end())).to_string();
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

  // Logits layouts: batch-major [B, T, C], time-major [T, 1, C] (TF frontend graphs) or [T, C].
  const auto& logits_dims = lo.get_partial_shape();
  no_batch_axis_ = logits_dims.rank().get_length() == 2;
  time_major_ = !no_batch_axis_ && logits_dims[0].is_static() && logits_dims[0].get_length() == steps && steps != 1;
  const bool batch_major = !no_batch_axis_ && !time_major_;
  if (!bundle.dynamic_batch)
    why_not_batchable_ = bundle.manifest_path +
                         ": field 'batch' is 1, so the model cannot run batched: reconvert it with pyds-convert (which "
                         "writes a dynamic batch dimension)";
  else if (!batch_major)
    why_not_batchable_ = xml + ": logits '" + lo.get_any_name() + "' are " + shape_text(lo.get_partial_shape()) +
                         "; batching needs batch-major [B, n_steps, classes] (reconvert)";
  batchable_ = why_not_batchable_.empty();

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
    throw_error(ErrorKind::InvalidModel, "cannot compile " + xml + " on device '" + settings.device + "': " + e.what());
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
}

std::string AcousticModel::property(const std::string& name) const {
  try {
    return compiled_.get_property(name).as<std::string>();
  } catch (const std::exception& e) {
    throw_error(ErrorKind::InvalidArgument, "compiled model has no property '" + name + "': " + e.what());
  }
}

void AcousticModel::require_batchable() const {
  if (!batchable_) throw_error(ErrorKind::InvalidModel, why_not_batchable_);
}

ov::Shape AcousticModel::features_shape(std::size_t rows) const {
  return ov::Shape{rows, n_steps_, window_frames_, n_input_};
}

ov::Shape AcousticModel::logits_shape(std::size_t rows) const {
  if (no_batch_axis_) return ov::Shape{n_steps_, n_classes_};
  if (time_major_) return ov::Shape{n_steps_, rows, n_classes_};
  return ov::Shape{rows, n_steps_, n_classes_};
}

void AcousticModel::bind(ov::InferRequest& request, const ov::Tensor& features, const ov::Tensor& state_c_in,
                         const ov::Tensor& state_h_in, const ov::Tensor& logits, const ov::Tensor& state_c_out,
                         const ov::Tensor& state_h_out) const {
  request.set_tensor(features_, features);
  request.set_tensor(state_c_in_, state_c_in);
  request.set_tensor(state_h_in_, state_h_in);
  request.set_tensor(logits_, logits);
  request.set_tensor(state_c_out_, state_c_out);
  request.set_tensor(state_h_out_, state_h_out);
}

void AcousticModel::infer(ov::InferRequest& request) {
  try {
    request.infer();
  } catch (const std::exception& e) {
    throw_error(ErrorKind::Runtime, std::string("acoustic model inference failed: ") + e.what());
  }
}

double AcousticModel::time_requests(std::size_t rows, std::size_t requests) const {
  if (rows == 0 || requests == 0) throw_error(ErrorKind::InvalidArgument, "rows and requests must be at least 1");
  if (rows > 1) require_batchable();
  ov::InferRequest request = create_request();
  ov::Tensor features(ov::element::f32, features_shape(rows)), logits(ov::element::f32, logits_shape(rows));
  ov::Tensor c_in(ov::element::f32, state_shape(rows)), h_in(ov::element::f32, state_shape(rows));
  ov::Tensor c_out(ov::element::f32, state_shape(rows)), h_out(ov::element::f32, state_shape(rows));
  std::uint32_t seed = 12345;
  auto fill = [&](ov::Tensor& t, float scale) {
    float* p = t.data<float>();
    for (std::size_t i = 0; i < t.get_size(); ++i) {
      seed = seed * 1664525u + 1013904223u;
      p[i] = scale * (static_cast<float>(seed >> 8) / 16777216.0f - 0.5f);
    }
  };
  fill(features, 20.0f);
  fill(c_in, 1.0f);
  fill(h_in, 1.0f);
  bind(request, features, c_in, h_in, logits, c_out, h_out);
  infer(request);  // warm-up: the first request of a shape prepares its kernels
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < requests; ++i) infer(request);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
         static_cast<double>(requests);
}

ov::Tensor row_view(const ov::Tensor& full, std::size_t row, const ov::Shape& shape) {
  auto* base = static_cast<char*>(const_cast<void*>(full.data()));
  const std::size_t row_bytes = full.get_byte_size() / full.get_shape()[0];
  return ov::Tensor(full.get_element_type(), shape, base + row * row_bytes);
}

ov::Tensor rows_view(const ov::Tensor& full, std::size_t rows) {
  ov::Shape shape = full.get_shape();
  shape[0] = rows;
  return ov::Tensor(full.get_element_type(), shape, const_cast<void*>(full.data()));
}

AcousticSession::AcousticSession(const AcousticModel& model)
    : model_(model), request_(model.create_request()), features_(ov::element::f32, model.features_shape(1)),
      logits_(ov::element::f32, model.logits_shape(1)) {
  for (int i = 0; i < 2; ++i) {
    state_c_[i] = ov::Tensor(ov::element::f32, model.state_shape(1));
    state_h_[i] = ov::Tensor(ov::element::f32, model.state_shape(1));
  }
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
  model_.bind(request_, features_, state_c_[current_], state_h_[current_], logits_, state_c_[next], state_h_[next]);
  AcousticModel::infer(request_);
  current_ = next;
  float* out = logits_.data<float>();
  to_probabilities(out, model_.n_steps(), model_.n_classes(), model_.logits_are_probabilities());
  return out;
}

}  // namespace pyds::runtime
