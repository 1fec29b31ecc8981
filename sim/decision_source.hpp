#pragma once
//! Decision sources: where every choice of a simulation comes from. A run draws all of its
//! randomness (which fiber runs next, faults, timeouts, workload choices) through one source, so a
//! run is reproduced by reproducing the source's answers.
//!
//! - `prng_source`: a seeded generator; the normal mode.
//! - `replay_source`: answers from a recorded list, then a seeded continuation once the list is
//!   used up (or when a recorded answer no longer fits the question, which it reports).
//! - `bytes_source`: answers decoded from a byte buffer (libFuzzer input), then a seeded
//!   continuation, so the fuzzer steers exactly the decisions its bytes cover.

#include <cstdint>
#include <span>
#include <vector>

#include "sim/prng.hpp"

namespace ipcsim::inline sim {

class decision_source {
 public:
  virtual ~decision_source() = default;
  /// A choice in [0, bound); bound >= 1.
  virtual std::uint32_t choose(std::uint32_t bound) noexcept = 0;
  /// A short name for reports ("prng", "replay", "bytes").
  virtual const char* name() const noexcept = 0;
};

class prng_source final : public decision_source {
 public:
  explicit prng_source(std::uint64_t seed) noexcept : generator_(seed) {}
  std::uint32_t choose(std::uint32_t bound) noexcept override { return generator_.below(bound); }
  const char* name() const noexcept override { return "prng"; }
  void reseed(std::uint64_t seed) noexcept { generator_.reseed(seed); }

 private:
  prng generator_;
};

class replay_source final : public decision_source {
 public:
  /// Replays `choices` in order; past their end (or on a misfit) continues from `seed`.
  replay_source(std::vector<std::uint32_t> choices, std::uint64_t seed)
      : choices_(std::move(choices)), continuation_(seed) {}

  std::uint32_t choose(std::uint32_t bound) noexcept override {
    if (next_ < choices_.size()) {
      const std::uint32_t recorded = choices_[next_++];
      if (recorded < bound) {
        return recorded;
      }
      if (!diverged_) {
        diverged_ = true;
        divergence_index_ = next_ - 1;
      }
    }
    return continuation_.below(bound);
  }
  const char* name() const noexcept override { return "replay"; }

  /// True when some recorded answer did not fit its question (the code changed under the trace).
  bool diverged() const noexcept { return diverged_; }
  std::size_t divergence_index() const noexcept { return divergence_index_; }
  /// Recorded answers consumed so far.
  std::size_t consumed() const noexcept { return next_; }

 private:
  std::vector<std::uint32_t> choices_;
  std::size_t next_ = 0;
  bool diverged_ = false;
  std::size_t divergence_index_ = 0;
  prng continuation_;
};

class bytes_source final : public decision_source {
 public:
  /// Does not copy: `bytes` must outlive the source (libFuzzer's buffer does for one input).
  bytes_source(std::span<const std::uint8_t> bytes, std::uint64_t seed) noexcept
      : bytes_(bytes), continuation_(seed) {}

  std::uint32_t choose(std::uint32_t bound) noexcept override {
    if (bound == 1) {
      return 0;
    }
    // One byte answers a choice among up to 256, two bytes beyond that, so that a mutation of one
    // byte changes one decision.
    const std::size_t width = bound <= 256 ? 1 : (bound <= 65536 ? 2 : 4);
    if (offset_ + width > bytes_.size()) {
      return continuation_.below(bound);
    }
    std::uint32_t raw = 0;
    for (std::size_t i = 0; i < width; ++i) {
      raw = (raw << 8) | bytes_[offset_ + i];
    }
    offset_ += width;
    return raw % bound;
  }
  const char* name() const noexcept override { return "bytes"; }
  std::size_t consumed_bytes() const noexcept { return offset_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
  prng continuation_;
};

}  // namespace ipcsim::inline sim
