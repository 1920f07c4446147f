#include "runtime/numerics.hpp"

#include <string>

namespace pyds::runtime {

NumericsPlan numerics_plan(const BundleInfo& bundle, bool fidelity) {
  NumericsPlan plan;
  if (fidelity) {
    plan.xml = bundle.acoustic_model_path;
    for (const auto& [k, v] : bundle.ov_config) plan.config[k] = v;
    plan.exact_divide = bundle.exact_divide;
  } else if (!bundle.fast_acoustic_model_path.empty()) {
    plan.xml = bundle.fast_acoustic_model_path;
    for (const auto& [k, v] : bundle.fast_ov_config) plan.config[k] = v;
  } else {
    plan.xml = bundle.acoustic_model_path;
  }
  return plan;
}

void apply_load_time_numerics(ov::Model& model, const NumericsPlan& plan) {
  if (!plan.exact_divide) return;
  const std::string divide = "Divide";
  for (const auto& op : model.get_ops())
    if (divide == op->get_type_name()) op->get_rt_info()["nonconvertable_divide_0"] = true;
}

}  // namespace pyds::runtime
