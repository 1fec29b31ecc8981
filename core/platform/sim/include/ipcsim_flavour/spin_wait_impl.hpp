#pragma once
// Sim flavour of spin_wait: check, then block once until the watched word is written.

#include <cstdint>

#include "core/platform/atomic.hpp"
#include "core/platform/clock.hpp"

#include <ipcsim_flavour/sim_hooks.hpp>

namespace ipcsim::inline sim::platform {

template <class T, class Predicate>
bool spin_wait(const atomic<T>& watched, Predicate&& predicate, clock::time_point deadline,
               const char* file = __builtin_FILE(), std::uint32_t line = __builtin_LINE()) {
  const std::uint64_t ticket = detail::spin_ticket();
  if (predicate()) {
    return true;
  }
  detail::spin_block(&watched, deadline.time_since_epoch().count(), ticket, file, line);
  return predicate();
}

}  // namespace ipcsim::inline sim::platform
