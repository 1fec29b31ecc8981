//! The registry of strategy names: make_strategy parses a command-line spec, including the exact
//! specs that the strategies' describe() produce, and strategy_names lists the accepted forms.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/dfs_strategy.hpp"
#include "sim/pct_strategy.hpp"
#include "sim/pos_strategy.hpp"
#include "sim/strategy.hpp"
#include "sim/surw_strategy.hpp"

namespace ipcsim::inline sim {

namespace {

/// A decimal number in [0, max], or nullopt when `text` is not one.
std::optional<std::uint64_t> parse_number(std::string_view text, std::uint64_t max) {
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != text.npos) {
    return std::nullopt;
  }
  const std::uint64_t value = std::stoull(std::string(text));
  if (value > max) {
    return std::nullopt;
  }
  return value;
}

/// Splits "head@tail" into head and tail; `tail` is nullopt without an '@'.
std::pair<std::string_view, std::optional<std::string_view>> split_at(std::string_view spec) {
  const auto at = spec.find('@');
  if (at == std::string_view::npos) {
    return {spec, std::nullopt};
  }
  return {spec.substr(0, at), spec.substr(at + 1)};
}

std::unique_ptr<strategy> make_pct(std::string_view rest) {
  const auto [depth_text, length_text] = split_at(rest);
  const auto depth = parse_number(depth_text, 64);
  const bool has_length = length_text.has_value() && !length_text->empty();
  const auto length =
      has_length ? parse_number(*length_text, UINT32_MAX) : std::optional<std::uint64_t>(64);
  if (!depth.has_value() || !length.has_value() || *depth == 0 || *length == 0) {
    return nullptr;
  }
  return std::make_unique<pct_strategy>(static_cast<std::uint32_t>(*depth), *length);
}

std::unique_ptr<strategy> make_surw(bool selective, std::optional<std::string_view> estimates) {
  if (!estimates.has_value()) {
    return std::make_unique<surw_strategy>(selective);
  }
  auto parsed = surw_strategy::parse_estimates(*estimates);
  if (!parsed.has_value()) {
    return nullptr;
  }
  return std::make_unique<surw_strategy>(selective, std::move(*parsed));
}

/// "dfs", "dfs:<bound>", "dfs:<bound>@<choices>".
std::unique_ptr<strategy> make_dfs(std::string_view spec) {
  const auto [head, choices_text] = split_at(spec);
  std::optional<std::uint64_t> bound = dfs_strategy::default_bound;
  if (head != "dfs") {
    if (!head.starts_with("dfs:")) {
      return nullptr;
    }
    bound = parse_number(head.substr(4), dfs_strategy::bound_max);
  }
  std::optional<std::vector<std::uint32_t>> prefix = std::vector<std::uint32_t>{};
  if (choices_text.has_value()) {
    prefix = dfs_strategy::decode_choices(*choices_text);
  }
  if (!bound.has_value() || !prefix.has_value()) {
    return nullptr;
  }
  return std::make_unique<dfs_strategy>(static_cast<std::uint32_t>(*bound), std::move(*prefix));
}

}  // namespace

std::unique_ptr<strategy> make_strategy(std::string_view name) {
  if (name == "random") {
    return std::make_unique<random_walk_strategy>();
  }
  if (name == "pos") {
    return std::make_unique<pos_strategy>();
  }
  if (name == "pct") {
    return std::make_unique<pct_strategy>(3);
  }
  if (name.starts_with("pct:")) {
    return make_pct(name.substr(4));
  }
  const auto [head, tail] = split_at(name);
  if (head == "surw" || head == "urw") {
    return make_surw(head == "surw", tail);
  }
  if (head == "dfs" || head.starts_with("dfs:")) {
    return make_dfs(name);
  }
  return nullptr;
}

const char* strategy_names() noexcept {
  return "random, pos, pct, pct:<depth 1..64>[@<run length k>], "
         "surw[@<fiber>=<events>,...], urw[@<fiber>=<events>,...], "
         "dfs, dfs:<preemption bound 0..1000>[@<choices>], portfolio";
}

std::span<const char* const> portfolio_strategies() noexcept {
  // Breadth first (random), then the depth-bounded searches that find shallow ordering bugs
  // quickly, then the partial-order and weighted samplers.
  static constexpr std::array<const char*, 5> members = {"random", "pct:2", "pos", "pct:3", "surw"};
  return members;
}

}  // namespace ipcsim::inline sim
