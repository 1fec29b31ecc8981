#include "tools/cli/strategy_choice.hpp"

#include "sim/strategy.hpp"

namespace ipcsim::cli {

bool is_known_strategy(const std::string& name) {
  return name == "portfolio" || sim::make_strategy(name) != nullptr;
}

std::string concrete_strategy(const std::string& name, std::uint64_t run_index) {
  if (name == "portfolio") {
    const auto members = sim::portfolio_strategies();
    return members[run_index % members.size()];
  }
  return name;
}

}  // namespace ipcsim::cli
