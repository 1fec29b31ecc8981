#include "sim/dfs_strategy.hpp"

#include <utility>

#include "core/platform/assert.hpp"

namespace ipcsim::inline sim {

namespace {

/// Decisions a choices string may expand to; far above any step limit in use.
constexpr std::size_t choices_max = std::size_t{1} << 24;
/// Base-36 digits of one number in a choices string (enough for any 32-bit position).
constexpr std::size_t number_digits_max = 7;

char base36_digit(std::uint32_t value) noexcept {
  IPC_ASSERT(value < 36);
  return static_cast<char>(value < 10 ? '0' + value : 'a' + (value - 10));
}

int base36_value(char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 10;
  }
  return -1;
}

void append_base36(std::string& out, std::uint64_t value) {
  char digits[16];
  std::size_t count = 0;
  do {
    digits[count++] = base36_digit(static_cast<std::uint32_t>(value % 36));
    value /= 36;
  } while (value != 0);
  while (count > 0) {
    out += digits[--count];
  }
}

std::string token_of(std::uint32_t position) {
  std::string token;
  if (position < 36) {
    token += base36_digit(position);
  } else {
    token += '_';
    append_base36(token, position);
    token += '_';
  }
  return token;
}

/// Parses the base-36 number that `text[begin]` starts and `closing` ends; advances `begin` past
/// the closing character. nullopt when malformed.
std::optional<std::uint64_t> parse_delimited(std::string_view text, std::size_t& begin,
                                             char closing) {
  const std::size_t end = text.find(closing, begin);
  if (end == std::string_view::npos || end == begin || end - begin > number_digits_max) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (std::size_t i = begin; i < end; ++i) {
    const int digit = base36_value(text[i]);
    if (digit < 0) {
      return std::nullopt;
    }
    value = value * 36 + static_cast<std::uint64_t>(digit);
  }
  begin = end + 1;
  return value;
}

std::uint64_t mix(std::uint64_t hash, std::uint64_t value) noexcept {
  hash ^= value + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  hash *= 0xbf58476d1ce4e5b9ULL;
  return hash ^ (hash >> 31);
}

std::string describe_view(const schedule_view& view) {
  std::string text = "runnable";
  for (const std::uint32_t fiber : view.runnable) {
    text += ' ';
    text += view.fiber_names[fiber];
  }
  text += ", current ";
  text += view.current < view.fiber_names.size() ? std::string(view.fiber_names[view.current])
                                                 : std::string("none");
  return text;
}

}  // namespace

dfs_strategy::dfs_strategy(std::uint32_t preemption_bound, std::vector<std::uint32_t> prefix)
    : bound_(preemption_bound) {
  IPC_ASSERT(preemption_bound <= bound_max);
  IPC_ASSERT(prefix.size() <= choices_max);
  for (const std::uint32_t position : prefix) {
    decision_record record;
    record.position = position;
    path_.push_back(record);
  }
  described_ = spec_of_path();
}

std::optional<std::vector<std::uint32_t>> dfs_strategy::decode_choices(std::string_view text) {
  std::vector<std::uint32_t> positions;
  std::size_t at = 0;
  while (at < text.size()) {
    std::uint64_t position = 0;
    if (text[at] == '_') {
      ++at;
      const auto wide = parse_delimited(text, at, '_');
      if (!wide.has_value() || *wide > UINT32_MAX) {
        return std::nullopt;
      }
      position = *wide;
    } else {
      const int digit = base36_value(text[at++]);
      if (digit < 0) {
        return std::nullopt;
      }
      position = static_cast<std::uint64_t>(digit);
    }
    std::uint64_t copies = 1;
    if (at < text.size() && text[at] == '.') {
      ++at;
      const auto repeat = parse_delimited(text, at, '.');
      if (!repeat.has_value() || *repeat < 2) {
        return std::nullopt;
      }
      copies = *repeat;
    }
    if (copies > choices_max - positions.size()) {
      return std::nullopt;
    }
    positions.insert(positions.end(), copies, static_cast<std::uint32_t>(position));
  }
  return positions;
}

std::string dfs_strategy::encode_choices(std::span<const std::uint32_t> positions) {
  std::string text;
  std::size_t begin = 0;
  while (begin < positions.size()) {
    std::size_t end = begin;
    while (end < positions.size() && positions[end] == positions[begin]) {
      ++end;
    }
    const std::string token = token_of(positions[begin]);
    const std::size_t copies = end - begin;
    std::string repeated = token + '.';
    append_base36(repeated, copies);
    repeated += '.';
    if (copies >= 2 && repeated.size() < token.size() * copies) {
      text += repeated;
    } else {
      for (std::size_t i = 0; i < copies; ++i) {
        text += token;
      }
    }
    begin = end;
  }
  return text;
}

void dfs_strategy::begin_run(decision_source& source) noexcept {
  static_cast<void>(source);
  if (exhausted_) {
    path_.clear();
  }
  planned_ = path_.size();
  preemptions_ = 0;
  divergence_.reset();
  described_ = spec_of_path();
}

dfs_strategy::decision_record dfs_strategy::observe(const schedule_view& view) noexcept {
  decision_record record;
  record.count = static_cast<std::uint32_t>(view.runnable.size());
  record.signature = mix(0, view.current);
  for (std::uint32_t position = 0; position < record.count; ++position) {
    record.signature = mix(record.signature, view.runnable[position]);
    if (view.runnable[position] == view.current) {
      record.current_runnable = true;
      record.default_position = position;
    }
  }
  record.position = record.default_position;
  record.checked = true;
  return record;
}

std::uint32_t dfs_strategy::position_of_rank(const decision_record& record, std::uint32_t rank) {
  IPC_ASSERT(rank < record.count);
  if (rank == 0) {
    return record.default_position;
  }
  return rank - 1 < record.default_position ? rank - 1 : rank;
}

std::uint32_t dfs_strategy::rank_of_position(const decision_record& record,
                                             std::uint32_t position) {
  IPC_ASSERT(position < record.count);
  if (position == record.default_position) {
    return 0;
  }
  return position < record.default_position ? position + 1 : position;
}

std::uint32_t dfs_strategy::pick(const schedule_view& view, decision_source& source) noexcept {
  static_cast<void>(source);
  IPC_ASSERT(view.runnable.size() >= 2);
  decision_record seen = observe(view);
  seen.preemptions_before = preemptions_;
  std::uint32_t position = seen.default_position;
  if (view.decision < planned_) {
    position = replay(view, seen);
  } else {
    IPC_ASSERT(view.decision == path_.size());
    path_.push_back(seen);
  }
  const decision_record& chosen = path_[view.decision];
  IPC_ASSERT(chosen.position == position);
  if (chosen.current_runnable && chosen.rank > 0) {
    ++preemptions_;
  }
  return position;
}

std::uint32_t dfs_strategy::replay(const schedule_view& view, const decision_record& seen) {
  decision_record& recorded = path_[view.decision];
  const bool same =
      recorded.checked ? recorded.signature == seen.signature : recorded.position < seen.count;
  if (!same) {
    std::string expected = "position " + std::to_string(recorded.position) + " of " +
                           (recorded.checked ? std::to_string(recorded.count) : "?") +
                           " runnable fibers as recorded";
    note_divergence(view.decision, std::move(expected), describe_view(view));
    path_.resize(view.decision);
    planned_ = view.decision;
    path_.push_back(seen);
    return seen.default_position;
  }
  const std::uint32_t position = recorded.position;
  recorded = seen;
  recorded.position = position;
  recorded.rank = rank_of_position(recorded, position);
  return position;
}

void dfs_strategy::note_divergence(std::uint64_t decision, std::string expected,
                                   std::string found) {
  IPC_ASSERT(!divergence_.has_value());
  divergence_ = dfs_divergence{decision, std::move(expected), std::move(found)};
}

void dfs_strategy::end_run(std::uint64_t decisions) noexcept {
  if (decisions < planned_) {
    note_divergence(
        decisions,
        "decision " + std::to_string(decisions) + " of a planned " + std::to_string(planned_),
        "the run ended");
    path_.resize(decisions);
  }
  IPC_ASSERT(path_.size() == decisions);
  ++runs_;
  diverged_runs_ += divergence_.has_value() ? 1 : 0;
  described_ = spec_of_path();
  if (!exhausted_) {
    exhausted_ = !backtrack();
  }
}

bool dfs_strategy::backtrack() noexcept {
  for (std::size_t index = path_.size(); index-- > 0;) {
    decision_record& record = path_[index];
    IPC_ASSERT(record.checked);
    const std::uint32_t next = record.rank + 1;
    const bool preemption_allowed = record.preemptions_before < bound_;
    if (next < record.count && (preemption_allowed || !record.current_runnable)) {
      record.rank = next;
      record.position = position_of_rank(record, next);
      path_.resize(index + 1);
      return true;
    }
  }
  path_.clear();
  return false;
}

std::string dfs_strategy::spec_of_path() const {
  std::size_t length = path_.size();
  // Entries given by a spec and not yet run keep their position whatever its rank.
  while (length > 0 && path_[length - 1].checked && path_[length - 1].rank == 0) {
    --length;
  }
  std::string spec = "dfs:" + std::to_string(bound_);
  if (length == 0) {
    return spec;
  }
  std::vector<std::uint32_t> positions(length);
  for (std::size_t index = 0; index < length; ++index) {
    positions[index] = path_[index].position;
  }
  return spec + '@' + encode_choices(positions);
}

}  // namespace ipcsim::inline sim
