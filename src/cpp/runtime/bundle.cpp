#include "runtime/bundle.hpp"

#include <cmath>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "common/json.hpp"
#include "pyds/errors.hpp"

namespace pyds::runtime {

namespace {

class Fields {
 public:
  Fields(const json::Object& object, std::string where) : object_(object), where_(std::move(where)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw_error(ErrorKind::InvalidModel, where_ + ": field '" + key + "' " + what);
  }
  const json::Value& get(const std::string& key) const {
    auto it = object_.find(key);
    if (it == object_.end()) fail(key, "is missing");
    return it->second;
  }
  bool has(const std::string& key) const { return object_.count(key) != 0; }
  std::string string(const std::string& key) const {
    const auto& v = get(key);
    if (!v.is_string()) fail(key, "must be a string");
    return v.string();
  }
  bool boolean(const std::string& key) const {
    const auto& v = get(key);
    if (!v.is_bool()) fail(key, "must be true or false");
    return v.boolean();
  }
  double number(const std::string& key) const {
    const auto& v = get(key);
    if (!v.is_number()) fail(key, "must be a number");
    return v.number();
  }
  long long integer(const std::string& key, long long min, long long max) const {
    const double v = number(key);
    if (v != std::floor(v) || v < static_cast<double>(min) || v > static_cast<double>(max))
      fail(key, "must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return static_cast<long long>(v);
  }
  const json::Object& object(const std::string& key) const {
    const auto& v = get(key);
    if (!v.is_object()) fail(key, "must be an object");
    return v.object();
  }
  const std::string& where() const { return where_; }

 private:
  const json::Object& object_;
  std::string where_;
};

bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name.find('/') == std::string::npos && name.find('\\') == std::string::npos &&
         name != "." && name != "..";
}

}  // namespace

BundleInfo read_bundle(const std::string& directory) {
  BundleInfo b;
  b.directory = directory;
  b.manifest_path = directory + "/pyds.json";
  std::ifstream in(b.manifest_path, std::ios::binary);
  if (!in)
    throw_error(ErrorKind::ModelNotFound,
                "'" + directory + "' is not a pyds model bundle: " + b.manifest_path + " cannot be opened");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  json::Value root;
  try {
    root = json::parse(text);
  } catch (const std::invalid_argument& e) {
    throw_error(ErrorKind::InvalidModel, b.manifest_path + ": not valid JSON (" + e.what() + ")");
  }
  if (!root.is_object()) throw_error(ErrorKind::InvalidModel, b.manifest_path + ": must hold a JSON object");
  const Fields f(root.object(), b.manifest_path);

  if (f.string("format") != "pyds-bundle/1")
    f.fail("format", "is '" + f.string("format") + "'; this pyds reads 'pyds-bundle/1'");
  const std::string xml = f.string("acoustic_model");
  if (!is_plain_file_name(xml)) f.fail("acoustic_model", "must be a file name inside the bundle");
  b.acoustic_model_path = directory + "/" + xml;

  b.features.sample_rate = static_cast<int>(f.integer("sample_rate", 1000, 384000));
  b.features.window_length_ms = static_cast<int>(f.integer("feature_win_len_ms", 1, 1000));
  b.features.window_step_ms = static_cast<int>(f.integer("feature_win_step_ms", 1, 1000));
  b.features.upper_frequency_hz = f.number("mfcc_upper_hz");
  b.features.dct_coefficients = static_cast<int>(f.integer("n_input", 1, 40));
  b.n_context = static_cast<std::size_t>(f.integer("n_context", 0, 1000));
  b.n_steps = static_cast<std::size_t>(f.integer("n_steps", 1, 100000));
  b.n_cell_dim = static_cast<std::size_t>(f.integer("n_cell_dim", 1, 1 << 20));
  b.utf8_mode = f.boolean("utf8_mode");
  const auto& labels = f.get("alphabet");
  if (!labels.is_array()) f.fail("alphabet", "must be a list of strings");
  for (const auto& l : labels.array()) {
    if (!l.is_string()) f.fail("alphabet", "must be a list of strings");
    b.alphabet.push_back(l.string());
  }
  if (!b.utf8_mode && b.alphabet.empty()) f.fail("alphabet", "is empty (and utf8_mode is false)");
  b.beam_width = static_cast<std::size_t>(f.integer("beam_width", 1, 1 << 20));
  b.language = f.string("language");

  const Fields io(f.object("io"), b.manifest_path + ": io");
  b.io = {io.string("features"), io.string("state_c_in"), io.string("state_h_in"),
          io.string("logits"),   io.string("state_c_out"), io.string("state_h_out")};

  const auto& batch = f.get("batch");
  if (batch.is_string() && batch.string() == "dynamic") {
    b.dynamic_batch = true;
  } else if (!(batch.is_number() && batch.number() == 1.0)) {
    f.fail("batch", "must be 1 or \"dynamic\"");
  }

  const Fields numerics(f.object("numerics"), b.manifest_path + ": numerics");
  b.numerics_mode = numerics.string("mode");
  for (const auto& [key, value] : numerics.object("ov_config")) {
    if (!value.is_string()) numerics.fail("ov_config." + key, "must be a string");
    b.ov_config[key] = value.string();
  }
  if (numerics.has("exact_divide")) b.exact_divide = numerics.boolean("exact_divide");
  if (numerics.has("fast")) {
    const Fields fast(numerics.object("fast"), b.manifest_path + ": numerics.fast");
    const std::string fast_xml = fast.string("acoustic_model");
    if (!is_plain_file_name(fast_xml)) fast.fail("acoustic_model", "must be a file name inside the bundle");
    b.fast_acoustic_model_path = directory + "/" + fast_xml;
    for (const auto& [key, value] : fast.object("ov_config")) {
      if (!value.is_string()) fast.fail("ov_config." + key, "must be a string");
      b.fast_ov_config[key] = value.string();
    }
  }
  b.logits_are_probabilities = f.boolean("logits_are_probabilities");

  if (f.has("scorer") && !f.get("scorer").is_null()) {
    const Fields scorer(f.object("scorer"), b.manifest_path + ": scorer");
    const std::string file = scorer.string("file");
    if (!is_plain_file_name(file)) scorer.fail("file", "must be a file name inside the bundle");
    b.scorer_path = directory + "/" + file;
    b.scorer_alpha = scorer.number("alpha");
    b.scorer_beta = scorer.number("beta");
  }
  return b;
}

}  // namespace pyds::runtime
