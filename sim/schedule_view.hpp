#pragma once
//! What a strategy sees at a decision: the runnable fibers (by stable index, in creation order),
//! the fiber that reached the scheduling point, and every fiber's next operation, so that
//! partial-order strategies can tell conflicting accesses from independent ones.

#include <cstdint>
#include <span>
#include <string_view>

#include <ipcsim_flavour/sim_hooks.hpp>

namespace ipcsim::inline sim {

using op_kind = platform::detail::op_kind;

/// The operation a fiber will perform when it next runs.
struct pending_op {
  op_kind kind = op_kind::thread_start;
  std::uint32_t object_id = 0;  ///< first-touch id of the object, 0 for none
  const char* file = "";        ///< call site (a string literal)
  std::uint32_t line = 0;
};

struct schedule_view {
  std::span<const std::uint32_t> runnable;  ///< fiber indices, ascending; size >= 2
  std::uint32_t current = 0;   ///< the fiber at the scheduling point (may have just blocked)
  std::uint64_t decision = 0;  ///< index of this decision within the run
  std::span<const pending_op> next_ops;  ///< indexed by fiber index
  std::span<const std::string_view> fiber_names;  ///< indexed by fiber index; stable identities
};

}  // namespace ipcsim::inline sim
