// The load-time half of a bundle's numerics: settings that live on the graph rather than in compile
// properties, and so are lost when an IR is saved and must be restored after read_model.
#pragma once

#include <openvino/core/model.hpp>

#include "runtime/bundle.hpp"

namespace pyds::runtime {

// exact_divide: OpenVINO's ConvertDivide pass rewrites a / b as a * (1 / b), which rounds differently from the
// division TFLite's kernels do; the rt_info mark "nonconvertable_divide_0" keeps a Divide a division. The
// converter sets it on the graph it builds, but IR serialization drops rt_info, so it is put back here.
void apply_load_time_numerics(ov::Model& model, const BundleInfo& bundle);

}  // namespace pyds::runtime
