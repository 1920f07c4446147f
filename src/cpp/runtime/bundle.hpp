// pyds.json: the one validation of the manifest (the schema is documented in src/pyds/bundle.py, which reads
// and checks bundles through parse_bundle/read_bundle via pyds._core). Every field is type- and range-checked,
// unknown fields are errors, and a bad one is an InvalidModel error naming file and field. Only the fields the
// runtime uses are kept in BundleInfo.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pyds/options.hpp"

namespace pyds::runtime {

struct BundleIo {
  std::string features, state_c_in, state_h_in, logits, state_c_out, state_h_out;
};

struct BundleInfo {
  std::string directory;
  std::string manifest_path;  // <directory>/pyds.json
  std::string acoustic_model_path;
  FeatureOptions features;
  std::size_t n_context = 9;
  std::size_t n_steps = 16;
  std::size_t n_cell_dim = 2048;
  std::vector<std::string> alphabet;  // empty in utf8 mode
  bool utf8_mode = false;
  std::size_t beam_width = 500;
  std::string language;
  BundleIo io;
  bool dynamic_batch = false;
  std::string numerics_mode;
  std::map<std::string, std::string> ov_config;  // compile properties that decide the arithmetic
  bool exact_divide = false;  // keep every Divide a true division (see numerics.hpp)
  // numerics.fast (optional): the IR and compile properties of numerics "fast"; path "" when absent
  std::string fast_acoustic_model_path;
  std::map<std::string, std::string> fast_ov_config;
  bool logits_are_probabilities = true;
  std::string scorer_path;  // optional, absolute ("" when the bundle has none)
  double scorer_alpha = 0, scorer_beta = 0;
};

// Validates the text of a pyds.json (`where` names it in errors; paths in the result are under `directory`).
// Throws InvalidModel for anything malformed. Touches no file.
BundleInfo parse_bundle(std::string_view text, const std::string& where, const std::string& directory);
// Reads and validates <directory>/pyds.json and checks that the IR's .xml and .bin exist. Throws ModelNotFound
// when the manifest cannot be opened, InvalidModel for anything malformed.
BundleInfo read_bundle(const std::string& directory);

}  // namespace pyds::runtime
