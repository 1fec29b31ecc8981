#include "core/platform/log.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {

namespace {

log_level threshold_from_environment() noexcept {
  const char* text = std::getenv("IPCSIM_LOG_LEVEL");
  if (text == nullptr) {
    return log_level::info;
  }
  for (log_level level : {log_level::debug, log_level::info, log_level::warn, log_level::error}) {
    if (std::strcmp(text, to_string(level)) == 0) {
      return level;
    }
  }
  return log_level::info;
}

}  // namespace

bool log_enabled(log_level level) noexcept {
  static const log_level threshold = threshold_from_environment();
  return level >= threshold;
}

void log(log_level level, std::string_view component, std::string_view text) noexcept {
  if (!log_enabled(level)) {
    return;
  }
  try {
    std::string line;
    line.reserve(component.size() + text.size() + 16);
    line.append(to_string(level)).append(" ").append(component).append(": ").append(text);
    line.push_back('\n');
    // One write per line keeps lines from different threads whole.
    [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
  } catch (...) {
    // Out of memory while logging: the line is lost, the caller is not.
  }
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
