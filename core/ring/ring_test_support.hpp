#pragma once
//! Helpers shared by the ring tests (both flavours): an aligned heap region, a seed source that
//! honours IPCSIM_SEED, a tiny deterministic generator, and self-checking frame payloads whose
//! bytes depend on (stream, sequence number, length), so that loss, reordering, duplication and
//! corruption all show up as a mismatch at the consumer.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <vector>

namespace ipcsim::ring_test {

/// A zeroed, 64-byte aligned heap buffer standing in for a shared-memory mapping.
class aligned_region {
 public:
  explicit aligned_region(std::size_t size)
      : bytes_(static_cast<std::byte*>(::operator new[](size, std::align_val_t{64}))), size_(size) {
    std::fill(bytes_.get(), bytes_.get() + size_, std::byte{0});
  }
  std::span<std::byte> span() const noexcept { return {bytes_.get(), size_}; }
  std::byte* data() const noexcept { return bytes_.get(); }

 private:
  struct aligned_delete {
    void operator()(std::byte* memory) const noexcept {
      ::operator delete[](memory, std::align_val_t{64});
    }
  };
  std::unique_ptr<std::byte[], aligned_delete> bytes_;
  std::size_t size_;
};

/// The base seed of a randomised test: IPCSIM_SEED if set, else `fallback`.
inline std::uint64_t seed_base(std::uint64_t fallback = 1) {
  const char* text = std::getenv("IPCSIM_SEED");
  return text != nullptr ? std::strtoull(text, nullptr, 10) : fallback;
}

/// splitmix64: small, fast and the same on every platform, which is all a workload needs.
class generator {
 public:
  explicit generator(std::uint64_t seed) noexcept : state_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// A value in [0, bound).
  std::uint32_t below(std::uint32_t bound) noexcept {
    return static_cast<std::uint32_t>(((next() >> 32) * bound) >> 32);
  }

 private:
  std::uint64_t state_;
};

/// The byte at `index` of frame `sequence` of length `length` in stream `stream`.
inline std::byte pattern_byte(std::uint64_t stream, std::uint64_t sequence, std::size_t length,
                              std::size_t index) noexcept {
  const std::uint64_t mixed =
      (stream * 0x9e3779b97f4a7c15ULL) ^ (sequence * 0xc2b2ae3d27d4eb4fULL) ^ (length << 40) ^
      (index * 0x165667b19e3779f9ULL);
  return static_cast<std::byte>((mixed >> 29) & 0xffU);
}

/// Fills `target` with frame `sequence`'s pattern.
inline void fill_pattern(std::span<std::byte> target, std::uint64_t stream,
                         std::uint64_t sequence) noexcept {
  for (std::size_t index = 0; index < target.size(); ++index) {
    target[index] = pattern_byte(stream, sequence, target.size(), index);
  }
}

/// True when `payload` is exactly frame `sequence` of `expected_length` bytes.
inline bool matches_pattern(std::span<const std::byte> payload, std::uint64_t stream,
                            std::uint64_t sequence, std::size_t expected_length) noexcept {
  if (payload.size() != expected_length) {
    return false;
  }
  for (std::size_t index = 0; index < payload.size(); ++index) {
    if (payload[index] != pattern_byte(stream, sequence, payload.size(), index)) {
      return false;
    }
  }
  return true;
}

}  // namespace ipcsim::ring_test
