#include "runtime/bundle.hpp"

#include <cmath>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <stdexcept>
#include <string_view>

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
  std::string one_of(const std::string& key, std::initializer_list<const char*> allowed) const {
    const std::string v = string(key);
    std::string list;
    for (const char* a : allowed) {
      if (v == a) return v;
      list += (list.empty() ? "'" : ", '") + std::string(a) + "'";
    }
    fail(key, "is '" + v + "'; it must be one of " + list);
  }
  // Every key present must be one of `known` (a typo is an error, not a silently ignored setting).
  template <typename Keys>
  void only(const Keys& known) const {
    for (const auto& [key, value] : object_) {
      bool found = false;
      for (const auto& k : known) found = found || key == k;
      if (!found) throw_error(ErrorKind::InvalidModel, where_ + ": unknown field '" + key + "'");
    }
  }
  const std::string& where() const { return where_; }

 private:
  const json::Object& object_;
  std::string where_;
};

bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name.find('/') == std::string::npos && name.find('\\') == std::string::npos && name != "." &&
         name != "..";
}

// An IR file name inside the bundle: a plain file name ending in .xml (its weights are the .bin beside it).
bool is_ir_file_name(const std::string& name) {
  return is_plain_file_name(name) && name.size() > 4 && name.compare(name.size() - 4, 4, ".xml") == 0;
}

// The `numerics` record, one entry per field: adding a field is one entry here (plus the BundleInfo member
// the runtime reads). Python reads the record through this validation (pyds._core.check_bundle).
struct NumericsField {
  const char* key;
  bool required;
  void (*read)(const Fields& numerics, const char* key, BundleInfo& b);
};
const NumericsField kNumericsFields[] = {
    {"mode", true,
     [](const Fields& f, const char* key, BundleInfo& b) { b.numerics_mode = f.one_of(key, {"hybrid_int8", "f32"}); }},
    {"ov_config", true,
     [](const Fields& f, const char* key, BundleInfo& b) {
       for (const auto& [name, value] : f.object(key)) {
         if (!value.is_string()) f.fail(std::string(key) + "." + name, "must be a string");
         b.ov_config[name] = value.string();
       }
     }},
    {"exact_divide", true, [](const Fields& f, const char* key, BundleInfo& b) { b.exact_divide = f.boolean(key); }},
    // The fast numerics' own IR and compile properties (optional: bundles converted before it existed run "fast"
    // as their main IR with OpenVINO's defaults). The path is made absolute once the object is read.
    {"fast", false,
     [](const Fields& f, const char* key, BundleInfo& b) {
       const Fields fast(f.object(key), f.where() + "." + key);
       fast.only(std::initializer_list<const char*>{"acoustic_model", "ov_config"});
       const std::string xml = fast.string("acoustic_model");
       if (!is_ir_file_name(xml)) fast.fail("acoustic_model", "must be the name of an .xml file inside the bundle");
       b.fast_acoustic_model_path = xml;
       for (const auto& [name, value] : fast.object("ov_config")) {
         if (!value.is_string()) fast.fail("ov_config." + name, "must be a string");
         b.fast_ov_config[name] = value.string();
       }
     }},
};

const char* const kTopLevelKeys[] = {"format",
                                     "acoustic_model",
                                     "sample_rate",
                                     "feature_win_len_ms",
                                     "feature_win_step_ms",
                                     "mfcc_upper_hz",
                                     "n_input",
                                     "n_context",
                                     "n_steps",
                                     "n_cell_dim",
                                     "alphabet",
                                     "utf8_mode",
                                     "beam_width",
                                     "language",
                                     "io",
                                     "batch",
                                     "numerics",
                                     "logits_are_probabilities",
                                     "source",
                                     "converter",
                                     "scorer"};
const char* const kIoKeys[] = {"features", "state_c_in", "state_h_in", "logits", "state_c_out", "state_h_out"};

bool is_hex_sha256(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

BundleInfo parse_bundle(std::string_view text, const std::string& where, const std::string& directory) {
  BundleInfo b;
  b.directory = directory;
  b.manifest_path = where;
  json::Value root;
  try {
    root = json::parse(text);
  } catch (const std::invalid_argument& e) {
    throw_error(ErrorKind::InvalidModel, where + ": not valid JSON (" + e.what() + ")");
  }
  if (!root.is_object()) throw_error(ErrorKind::InvalidModel, where + ": must hold a JSON object");
  const Fields f(root.object(), where);
  f.only(kTopLevelKeys);

  if (f.string("format") != "pyds-bundle/1")
    f.fail("format", "is '" + f.string("format") + "'; this pyds reads 'pyds-bundle/1'");
  const std::string xml = f.string("acoustic_model");
  if (!is_ir_file_name(xml)) f.fail("acoustic_model", "must be the name of an .xml file inside the bundle");
  b.acoustic_model_path = directory + "/" + xml;

  b.features.sample_rate = static_cast<int>(f.integer("sample_rate", 1000, 384000));
  b.features.window_length_ms = static_cast<int>(f.integer("feature_win_len_ms", 1, 1000));
  b.features.window_step_ms = static_cast<int>(f.integer("feature_win_step_ms", 1, 1000));
  b.features.upper_frequency_hz = f.number("mfcc_upper_hz");
  if (!(b.features.upper_frequency_hz > 0)) f.fail("mfcc_upper_hz", "must be a positive number");
  b.features.dct_coefficients = static_cast<int>(f.integer("n_input", 1, 40));
  b.n_context = static_cast<std::size_t>(f.integer("n_context", 0, 1000));
  b.n_steps = static_cast<std::size_t>(f.integer("n_steps", 1, 100000));
  b.n_cell_dim = static_cast<std::size_t>(f.integer("n_cell_dim", 1, 1 << 20));
  b.utf8_mode = f.boolean("utf8_mode");
  const auto& labels = f.get("alphabet");
  if (!labels.is_array()) f.fail("alphabet", "must be a list of non-empty strings");
  for (const auto& l : labels.array()) {
    if (!l.is_string() || l.string().empty()) f.fail("alphabet", "must be a list of non-empty strings");
    b.alphabet.push_back(l.string());
  }
  if (!b.utf8_mode && b.alphabet.empty()) f.fail("alphabet", "is empty (and utf8_mode is false)");
  if (b.utf8_mode && !b.alphabet.empty()) f.fail("alphabet", "must be empty when utf8_mode is true");
  b.beam_width = static_cast<std::size_t>(f.integer("beam_width", 1, 1 << 20));
  b.language = f.string("language");

  const Fields io(f.object("io"), where + ": io");
  io.only(kIoKeys);
  for (const char* key : kIoKeys)
    if (io.string(key).empty()) io.fail(key, "must be a tensor name");
  b.io = {io.string("features"), io.string("state_c_in"),  io.string("state_h_in"),
          io.string("logits"),   io.string("state_c_out"), io.string("state_h_out")};

  const auto& batch = f.get("batch");
  if (batch.is_string() && batch.string() == "dynamic") {
    b.dynamic_batch = true;
  } else if (!(batch.is_number() && batch.number() == 1.0)) {
    f.fail("batch", "must be 1 or \"dynamic\"");
  }

  const Fields numerics(f.object("numerics"), where + ": numerics");
  const char* numerics_keys[std::size(kNumericsFields)];
  for (std::size_t i = 0; i < std::size(kNumericsFields); ++i) numerics_keys[i] = kNumericsFields[i].key;
  numerics.only(numerics_keys);
  for (const auto& field : kNumericsFields)
    if (field.required || numerics.has(field.key)) field.read(numerics, field.key, b);
  if (!b.fast_acoustic_model_path.empty()) b.fast_acoustic_model_path = directory + "/" + b.fast_acoustic_model_path;
  b.logits_are_probabilities = f.boolean("logits_are_probabilities");

  const Fields source(f.object("source"), where + ": source");
  source.only(std::initializer_list<const char*>{"file", "format", "sha256"});
  source.string("file");
  source.one_of("format", {"tflite", "pb", "pbmm", "checkpoint"});
  if (!is_hex_sha256(source.string("sha256"))) source.fail("sha256", "must be 64 lowercase hex digits");

  const Fields converter(f.object("converter"), where + ": converter");
  converter.only(std::initializer_list<const char*>{"pyds", "openvino", "backend", "precision", "graph"});
  converter.string("pyds");
  converter.string("openvino");
  converter.one_of("backend", {"ovc", "mo"});
  converter.one_of("precision", {"fp32", "int8"});
  converter.one_of("graph", {"canonical", "frontend"});

  if (f.has("scorer") && !f.get("scorer").is_null()) {
    const Fields scorer(f.object("scorer"), where + ": scorer");
    scorer.only(std::initializer_list<const char*>{"file", "alpha", "beta"});
    const std::string file = scorer.string("file");
    if (!is_plain_file_name(file)) scorer.fail("file", "must be a file name inside the bundle");
    b.scorer_path = directory + "/" + file;
    b.scorer_alpha = scorer.number("alpha");
    b.scorer_beta = scorer.number("beta");
  }
  return b;
}

BundleInfo read_bundle(const std::string& directory) {
  const std::string manifest_path = directory + "/pyds.json";
  std::ifstream in(manifest_path, std::ios::binary);
  if (!in)
    throw_error(ErrorKind::ModelNotFound,
                "'" + directory + "' is not a pyds model bundle: " + manifest_path + " cannot be opened");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BundleInfo b = parse_bundle(text, manifest_path, directory);
  const std::pair<const char*, std::string> irs[] = {{"acoustic_model", b.acoustic_model_path},
                                                     {"numerics.fast.acoustic_model", b.fast_acoustic_model_path}};
  for (const auto& [field, xml] : irs) {
    if (xml.empty()) continue;
    for (const std::string& file : {xml, xml.substr(0, xml.size() - 4) + ".bin"}) {
      std::ifstream ir(file, std::ios::binary);
      if (!ir)
        throw_error(ErrorKind::InvalidModel, manifest_path + ": field '" + field + "': " + file + " does not exist");
    }
  }
  return b;
}

}  // namespace pyds::runtime
