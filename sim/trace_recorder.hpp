#pragma once
//! Records a run's decisions: for each, the chosen fiber and its stable labels (operation kind,
//! object id, call site), plus every answer the decision source gave, and a running hash of the
//! labels. The hash is the determinism check: the same seed must give the same hash, bit for bit.
//!
//! Recording is allocation-free in the steady state (vectors keep their capacity across runs) and
//! stores no strings: sites are pointers to string literals plus a line number.

#include <cstdint>
#include <vector>

#include "sim/schedule_view.hpp"

namespace ipcsim::inline sim {

struct decision_record {
  std::uint64_t step = 0;          ///< scheduling point index within the run
  std::uint32_t fiber = 0;         ///< chosen fiber (stable index)
  std::uint32_t runnable = 0;      ///< how many fibers could be chosen (0 or 1: a forced step)
  pending_op op;                   ///< what the chosen fiber does next
};

class trace_recorder {
 public:
  void clear() noexcept {
    decisions_.clear();
    choices_.clear();
    workload_choices_.clear();
    hash_ = hash_seed;
  }

  void set_label_recording(bool enabled) noexcept { record_labels_ = enabled; }

  void record_decision(std::uint64_t step, std::uint32_t fiber, std::uint32_t runnable,
                       const pending_op& op) {
    mix(fiber);
    mix((static_cast<std::uint64_t>(op.kind) << 32) | op.object_id);
    mix(op.line);
    if (record_labels_) {
      decisions_.push_back(decision_record{step, fiber, runnable, op});
    }
  }

  /// A step where no choice existed (one runnable fiber, or the fiber blocked). Kept with the
  /// labels so that explanations show every step; not part of the hash, which the decisions and
  /// choices already determine.
  void record_forced(std::uint64_t step, std::uint32_t fiber, std::uint32_t runnable,
                     const pending_op& op) {
    if (record_labels_) {
      decisions_.push_back(decision_record{step, fiber, runnable, op});
    }
  }

  /// An answer of the decision source; `workload` when a workload or fault drew it rather than
  /// the strategy.
  void record_choice(std::uint32_t bound, std::uint32_t answer, bool workload) {
    choices_.push_back(answer);
    if (workload) {
      // Only workload answers enter the hash: the strategy's own draws are fully reflected in the
      // decisions they lead to, and a run replayed by labels makes no strategy draws at all.
      mix((static_cast<std::uint64_t>(bound) << 32) | answer);
      workload_choices_.push_back(answer);
    }
  }

  std::uint64_t hash() const noexcept { return hash_; }
  const std::vector<decision_record>& decisions() const noexcept { return decisions_; }
  /// Every answer of the decision source, in order: replaying them reproduces the run.
  const std::vector<std::uint32_t>& choices() const noexcept { return choices_; }
  /// The answers that workloads and faults drew (a subsequence of choices()). Replaying the
  /// schedule by labels needs only these.
  const std::vector<std::uint32_t>& workload_choices() const noexcept {
    return workload_choices_;
  }

 private:
  static constexpr std::uint64_t hash_seed = 0x6a09e667f3bcc909ULL;

  void mix(std::uint64_t value) noexcept {
    hash_ = (hash_ ^ value) * 0x100000001b3ULL;
    hash_ ^= hash_ >> 29;
  }

  std::vector<decision_record> decisions_;
  std::vector<std::uint32_t> choices_;
  std::vector<std::uint32_t> workload_choices_;
  std::uint64_t hash_ = hash_seed;
  bool record_labels_ = true;
};

}  // namespace ipcsim::inline sim
