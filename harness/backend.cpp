#include "backend.hpp"

#include <cstdlib>
#include <sstream>
#include <vector>

namespace dc {

namespace {
std::optional<DeviceBackend>& registered() {
  static std::optional<DeviceBackend> backend;
  return backend;
}
}  // namespace

void register_device_backend(DeviceBackend backend) {
  registered() = std::move(backend);
}

const DeviceBackend* device_backend() {
  return registered() ? &*registered() : nullptr;
}

void select_device(int index) {
  for (const char* variable : {"CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES"}) {
    std::string chosen = std::to_string(index);
    if (const char* inherited = std::getenv(variable); inherited != nullptr && *inherited != 0) {
      std::vector<std::string> ids;
      std::istringstream list(inherited);
      for (std::string id; std::getline(list, id, ',');) ids.push_back(id);
      // an index past the inherited list selects nothing (the case then sees no device)
      chosen = static_cast<std::size_t>(index) < ids.size() ? ids[static_cast<std::size_t>(index)]
                                                            : "-1";
    }
    setenv(variable, chosen.c_str(), 1);
  }
}

}  // namespace dc
