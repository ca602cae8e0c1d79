#include "backend.hpp"

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

}  // namespace dc
