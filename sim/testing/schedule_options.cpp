#include "sim/testing/schedule_options.hpp"

#include <cerrno>
#include <cstdlib>
#include <memory>

#include "sim/strategy.hpp"

namespace ipcsim::testing {

namespace {

/// Parses a whole decimal unsigned number; anything else (sign, suffix, overflow) is an error.
result<std::uint64_t, std::string> parse_count(const char* variable, const char* text) {
  IPC_ASSERT(variable != nullptr);
  IPC_ASSERT(text != nullptr);
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(text, &end, 10);
  const bool digits_only = text[0] >= '0' && text[0] <= '9' && end != nullptr && *end == '\0';
  if (!digits_only || errno == ERANGE) {
    return unexpected(std::string(variable) + "='" + text + "' is not an unsigned number");
  }
  return static_cast<std::uint64_t>(value);
}

}  // namespace

result<schedule_options, std::string> options_from_environment(schedule_options defaults) {
  schedule_options options = std::move(defaults);
  if (const char* text = std::getenv("IPCSIM_SEED")) {
    auto seed = parse_count("IPCSIM_SEED", text);
    if (!seed) {
      return unexpected(seed.error());
    }
    options.seed = *seed;
  }
  if (const char* text = std::getenv("IPCSIM_RUNS")) {
    auto runs = parse_count("IPCSIM_RUNS", text);
    if (!runs) {
      return unexpected(runs.error());
    }
    options.runs = *runs;
  }
  if (const char* text = std::getenv("IPCSIM_STRATEGY")) {
    options.strategy = text;
  }
  if (const char* text = std::getenv("IPCSIM_OUT")) {
    options.out_dir = text;
  }
  if (const char* text = std::getenv("IPCSIM_REPLAY")) {
    options.replay_path = text;
  }
  if (options.strategy != "portfolio" && sim::make_strategy(options.strategy) == nullptr) {
    return unexpected("unknown strategy '" + options.strategy + "' (known: " +
                      sim::strategy_names() + ")");
  }
  return options;
}

}  // namespace ipcsim::testing
