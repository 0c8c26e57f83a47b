// Declarations only (see ../README.md). ProcessGroupGloo.hpp holds gloo::Context through shared_ptr and calls
// setTimeout in an inline method the glue never uses; nothing here is defined or instantiated.
#pragma once
#include <chrono>

namespace gloo {
class Context {
 public:
  void setTimeout(std::chrono::milliseconds timeout);
};
}  // namespace gloo
