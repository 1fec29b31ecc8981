#pragma once
//! Logging for core code. Real: one line per call on stderr, at or above the level named by the
//! environment variable IPCSIM_LOG_LEVEL (debug, info, warn, error; default info). Sim: the line
//! goes to the running world's bounded log, stamped with virtual time and the fiber's name, and is
//! attached to the run's result, so reports show what the server said without printing from
//! millions of runs. Logging is not a scheduling point.

#include <cstdint>
#include <string_view>

#include "core/platform/flavour.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {

enum class log_level : std::uint8_t { debug, info, warn, error };

/// Writes one line: "<level> <component>: <text>". Any thread; never throws.
void log(log_level level, std::string_view component, std::string_view text) noexcept;

/// Whether a line at `level` would be written (to skip building expensive messages).
bool log_enabled(log_level level) noexcept;

constexpr const char* to_string(log_level level) noexcept {
  switch (level) {
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
  }
  return "?";
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
