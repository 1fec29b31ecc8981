#pragma once
//! Input helpers shared by the ring fuzz targets (fuzz_spsc_ring, fuzz_mpsc_ring): the input read
//! a byte at a time, and frame sizes drawn from the classes that hit a ring's edges.

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/ring/spsc_ring.hpp"

namespace ipcsim::fuzz {

/// A payload size far above any max_payload() the ring fuzzers use; rejected before anything is
/// read.
inline constexpr std::size_t huge_payload_bytes = std::size_t{1} << 16;

/// The input, a byte at a time; past its end every byte reads as 0.
class byte_reader {
 public:
  explicit byte_reader(std::span<const std::uint8_t> bytes) noexcept : bytes_(bytes) {}
  bool empty() const noexcept { return offset_ >= bytes_.size(); }
  std::uint8_t next() noexcept { return empty() ? 0 : bytes_[offset_++]; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
};

/// A frame size for a ring whose largest payload is `max_payload` and whose producer has
/// `till_end` bytes before the end of its buffer: 0, 1, the limit, one past it or huge, small,
/// exactly filling the space before the end, one byte too long for it (so the frame wraps), or
/// anything up to one past the limit.
inline std::size_t draw_frame_size(byte_reader& input, std::size_t max_payload,
                                   std::size_t till_end) noexcept {
  constexpr std::size_t prefix = ring::spsc_ring::prefix_bytes;
  const std::uint8_t choice = input.next();
  switch (choice % 8) {
    case 0:
      return 0;
    case 1:
      return 1;
    case 2:
      return max_payload;
    case 3:
      return (choice & 0x80U) != 0 ? huge_payload_bytes : max_payload + 1;
    case 4:
      return input.next() % 32;
    case 5:
      return till_end >= prefix ? till_end - prefix : 0;
    case 6:
      return till_end >= prefix - 1 ? till_end - prefix + 1 : 0;
    default: {
      const std::size_t raw = (std::size_t{input.next()} << 8) | input.next();
      return raw % (max_payload + 2);
    }
  }
}

}  // namespace ipcsim::fuzz
