#include "runtime/numerics.hpp"

#include <string>

namespace pyds::runtime {

void apply_load_time_numerics(ov::Model& model, const BundleInfo& bundle) {
  if (!bundle.exact_divide) return;
  const std::string divide = "Divide";
  for (const auto& op : model.get_ops())
    if (divide == op->get_type_name()) op->get_rt_info()["nonconvertable_divide_0"] = true;
}

}  // namespace pyds::runtime
