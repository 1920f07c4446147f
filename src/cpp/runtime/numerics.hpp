// A bundle's numerics modes, as the runtime applies them: which IR file to read, what to do to the graph after
// read_model, and which compile properties to pass to compile_model.
#pragma once

#include <openvino/core/any.hpp>
#include <openvino/core/model.hpp>

#include <string>

#include "runtime/bundle.hpp"

namespace pyds::runtime {

// What one numerics mode of a bundle needs from the runtime.
struct NumericsPlan {
  std::string xml;            // the IR to read (absolute path)
  ov::AnyMap config;          // compile properties that decide the arithmetic (before threads / device settings)
  bool exact_divide = false;  // apply_load_time_numerics marks every Divide (see below)
};

// fidelity = true: the bundle's main IR with numerics.ov_config (TFLite's arithmetic for hybrid_int8 bundles).
// fidelity = false ("fast"): the IR of numerics.fast with its ov_config when the bundle has one (a graph built
// for speed: split LSTM, native activations, the plugin's own dynamic quantization / bf16); for bundles
// converted before numerics.fast existed, the main IR with OpenVINO's default (performance) properties.
NumericsPlan numerics_plan(const BundleInfo& bundle, bool fidelity);

// exact_divide: OpenVINO's ConvertDivide pass rewrites a / b as a * (1 / b), which rounds differently from the
// division TFLite's kernels do; the rt_info mark "nonconvertable_divide_0" keeps a Divide a division. The
// converter sets it on the graph it builds, but IR serialization drops rt_info, so it is put back here.
void apply_load_time_numerics(ov::Model& model, const NumericsPlan& plan);

}  // namespace pyds::runtime
