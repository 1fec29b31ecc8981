#pragma once
//! A vector clock indexed by fiber index (creation order). Missing entries are zero, so clocks of
//! different lengths compare and join without resizing first.

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ipcsim::instr {

class vector_clock {
 public:
  std::uint32_t get(std::uint32_t fiber) const noexcept {
    return fiber < ticks_.size() ? ticks_[fiber] : 0;
  }
  void set(std::uint32_t fiber, std::uint32_t value) {
    if (fiber >= ticks_.size()) {
      ticks_.resize(fiber + 1, 0);
    }
    ticks_[fiber] = value;
  }
  /// Advances `fiber`'s own component (after a release, so later accesses are not covered by it).
  void tick(std::uint32_t fiber) { set(fiber, get(fiber) + 1); }
  void join(const vector_clock& other) {
    if (other.ticks_.size() > ticks_.size()) {
      ticks_.resize(other.ticks_.size(), 0);
    }
    for (std::size_t i = 0; i < other.ticks_.size(); ++i) {
      ticks_[i] = std::max(ticks_[i], other.ticks_[i]);
    }
  }
  void clear() noexcept { ticks_.clear(); }
  bool empty() const noexcept { return ticks_.empty(); }

 private:
  std::vector<std::uint32_t> ticks_;
};

}  // namespace ipcsim::instr
