#pragma once
//! The simulator's own pseudo-random generator: xoshiro256** seeded through splitmix64, with
//! Lemire's multiply-shift reduction for bounded draws. Standard-library distributions are not
//! specified bit-for-bit across implementations, so a seed would not replay everywhere; this
//! generator gives the same sequence on every compiler and machine.

#include <cstdint>

#include "core/platform/assert.hpp"

namespace ipcsim::inline sim {

class prng {
 public:
  explicit prng(std::uint64_t seed = 0) noexcept { reseed(seed); }

  void reseed(std::uint64_t seed) noexcept {
    std::uint64_t mixer = seed;
    for (std::uint64_t& word : state_) {
      word = splitmix64(mixer);
    }
  }

  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t shifted = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= shifted;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// A value in [0, bound). The slight bias of the plain multiply-shift (at most bound / 2^32)
  /// is irrelevant for scheduling and keeps every draw to one generator step, which replay needs.
  std::uint32_t below(std::uint32_t bound) noexcept {
    IPC_ASSERT(bound > 0);
    const std::uint64_t high = next() >> 32;
    return static_cast<std::uint32_t>((high * bound) >> 32);
  }

  /// True with probability 1 / one_in (never when one_in is 0).
  bool one_in(std::uint32_t one_in) noexcept { return one_in != 0 && below(one_in) == 0; }

  /// splitmix64 step: also used to derive independent seeds (run k of a sweep, a sub-stream).
  static std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  static std::uint64_t rotl(std::uint64_t value, int shift) noexcept {
    return (value << shift) | (value >> (64 - shift));
  }

  std::uint64_t state_[4] = {};
};

}  // namespace ipcsim::inline sim
