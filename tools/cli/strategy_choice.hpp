#pragma once
//! Strategy names on the command line. "portfolio" rotates concrete strategies across runs by run
//! index, so a sweep spreads its budget and `run --seed` can still name one concrete strategy.

#include <cstdint>
#include <string>

namespace ipcsim::cli {

/// True for the names `--strategy` accepts: random, pct, pct:<d>, portfolio.
bool is_known_strategy(const std::string& name);
/// The concrete strategy that run `run_index` uses under `name`.
std::string concrete_strategy(const std::string& name, std::uint64_t run_index);

}  // namespace ipcsim::cli
