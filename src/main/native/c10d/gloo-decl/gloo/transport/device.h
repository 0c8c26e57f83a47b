// Declarations only (see ../../README.md): held through shared_ptr/unique_ptr in ProcessGroupGloo.hpp.
#pragma once

namespace gloo {
namespace transport {
class Device;
class UnboundBuffer;
}  // namespace transport
}  // namespace gloo
