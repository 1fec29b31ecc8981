#include "sim/surw_strategy.hpp"

#include <algorithm>

#include "core/platform/assert.hpp"
#include "sim/pos_strategy.hpp"

namespace ipcsim::inline sim {

namespace {

bool plain_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

/// Percent-escapes every character of `name` that could clash with the spec syntax.
void append_escaped(std::string& out, std::string_view name) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (const char c : name) {
    if (plain_name_char(c)) {
      out += c;
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out += '%';
    out += hex[byte >> 4];
    out += hex[byte & 0xfU];
  }
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::optional<std::string> unescape(std::string_view text) {
  std::string name;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (plain_name_char(text[i])) {
      name += text[i];
      continue;
    }
    if (text[i] != '%' || i + 2 >= text.size()) {
      return std::nullopt;
    }
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    name += static_cast<char>((high << 4) | low);
    i += 2;
  }
  return name;
}

/// A decimal count in [1, max], or 0 when `text` is not one.
std::uint64_t parse_count(std::string_view text, std::uint64_t max) noexcept {
  if (text.empty() || text.size() > 9) {
    return 0;
  }
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return 0;
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value <= max ? value : 0;
}

}  // namespace

surw_strategy::surw_strategy(bool selective, estimate_map estimates)
    : selective_(selective), estimates_(std::move(estimates)) {
  for (const auto& [name, count] : estimates_) {
    IPC_ASSERT(count >= 1);
    IPC_ASSERT(count <= estimate_max);
  }
}

std::optional<surw_strategy::estimate_map> surw_strategy::parse_estimates(std::string_view text) {
  estimate_map parsed;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view entry = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const auto equals = entry.find('=');
    if (equals == std::string_view::npos) {
      return std::nullopt;
    }
    std::optional<std::string> name = unescape(entry.substr(0, equals));
    const std::uint64_t count = parse_count(entry.substr(equals + 1), estimate_max);
    if (!name.has_value() || count == 0 || parsed.contains(*name)) {
      return std::nullopt;
    }
    parsed.emplace(std::move(*name), count);
    if (comma != std::string_view::npos && text.empty()) {
      return std::nullopt;  // A trailing comma.
    }
  }
  return parsed;
}

std::string surw_strategy::describe() const {
  std::string spec = name();
  if (estimates_.empty()) {
    return spec;
  }
  char separator = '@';
  for (const auto& [fiber_name, count] : estimates_) {
    spec += separator;
    append_escaped(spec, fiber_name);
    spec += '=';
    spec += std::to_string(count);
    separator = ',';
  }
  return spec;
}

void surw_strategy::begin_run(decision_source& source) noexcept {
  static_cast<void>(source);
  for (const auto& [fiber_name, count] : learned_) {
    std::uint64_t& estimate = estimates_[fiber_name];
    estimate = std::max(estimate, count);
  }
  learned_.clear();
  names_.clear();
  fiber_estimate_.clear();
  executed_.clear();
}

void surw_strategy::learn_fibers(const schedule_view& view) {
  for (auto fiber = static_cast<std::uint32_t>(names_.size()); fiber < view.fiber_names.size();
       ++fiber) {
    const std::string_view fiber_name = view.fiber_names[fiber];
    names_.emplace_back(fiber_name);
    const auto found = estimates_.find(fiber_name);
    fiber_estimate_.push_back(found != estimates_.end() ? found->second : default_estimate);
    executed_.push_back(0);
  }
  IPC_ASSERT(names_.size() == view.fiber_names.size());
}

bool surw_strategy::contended(const schedule_view& view, std::uint32_t position) const noexcept {
  const pending_op& mine = view.next_ops[view.runnable[position]];
  for (std::uint32_t other = 0; other < view.runnable.size(); ++other) {
    if (other != position && pos_strategy::conflicts(mine, view.next_ops[view.runnable[other]])) {
      return true;
    }
  }
  return false;
}

std::uint64_t surw_strategy::executed(std::uint32_t fiber) const noexcept {
  return fiber < executed_.size() ? executed_[fiber] : 0;
}

std::uint64_t surw_strategy::weight(const schedule_view& view,
                                    std::uint32_t position) const noexcept {
  IPC_ASSERT(position < view.runnable.size());
  if (selective_ && !contended(view, position)) {
    return 1;
  }
  const std::uint32_t fiber = view.runnable[position];
  std::uint64_t estimate = default_estimate;
  if (fiber < fiber_estimate_.size()) {
    estimate = fiber_estimate_[fiber];
  } else if (const auto found = estimates_.find(view.fiber_names[fiber]);
             found != estimates_.end()) {
    estimate = found->second;
  }
  const std::uint64_t done = executed(fiber);
  const std::uint64_t remaining = estimate > done ? estimate - done : 1;
  // The cap keeps the sum of all weights within one 32-bit draw.
  return std::min<std::uint64_t>(remaining, UINT32_MAX / view.runnable.size());
}

std::uint32_t surw_strategy::pick(const schedule_view& view, decision_source& source) noexcept {
  IPC_ASSERT(view.runnable.size() >= 2);
  learn_fibers(view);
  weights_.resize(view.runnable.size());
  std::uint64_t total = 0;
  for (std::uint32_t position = 0; position < view.runnable.size(); ++position) {
    weights_[position] = weight(view, position);
    IPC_ASSERT(weights_[position] >= 1);
    total += weights_[position];
  }
  IPC_ASSERT(total <= UINT32_MAX);
  std::uint64_t draw = source.choose(static_cast<std::uint32_t>(total));
  std::uint32_t chosen = 0;
  while (draw >= weights_[chosen]) {
    draw -= weights_[chosen];
    ++chosen;
  }
  IPC_ASSERT(chosen < view.runnable.size());
  ++executed_[view.runnable[chosen]];
  return chosen;
}

void surw_strategy::end_run(std::uint64_t decisions) noexcept {
  static_cast<void>(decisions);
  IPC_ASSERT(names_.size() == executed_.size());
  for (std::size_t fiber = 0; fiber < names_.size(); ++fiber) {
    const std::uint64_t seen = std::clamp<std::uint64_t>(executed_[fiber], 1, estimate_max);
    std::uint64_t& learned = learned_[names_[fiber]];
    learned = std::max(learned, seen);
  }
}

}  // namespace ipcsim::inline sim
