#include "tools/cli/strategy_choice.hpp"

#include <array>

#include "sim/strategy.hpp"

namespace ipcsim::cli {

namespace {
constexpr std::array<const char*, 5> portfolio = {"random", "pct:2", "pos", "pct:3", "surw"};
}

bool is_known_strategy(const std::string& name) {
  return name == "portfolio" || sim::make_strategy(name) != nullptr;
}

std::string concrete_strategy(const std::string& name, std::uint64_t run_index) {
  if (name == "portfolio") {
    return portfolio[run_index % portfolio.size()];
  }
  return name;
}

}  // namespace ipcsim::cli
