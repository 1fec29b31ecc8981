#pragma once
//! Streaming reassembly of frames from a byte stream that arrives in arbitrary pieces (down to
//! one byte at a time), as a socket delivers it.
//!
//! Contract, which is what keeps memory bounded against a peer that never stops sending:
//! - `feed` consumes bytes only up to the end of the frame in progress and returns how many it
//!   took. While a complete frame waits to be taken by `next`, or after an error, it takes none.
//!   The reassembler therefore holds at most one frame; the caller keeps what was not consumed
//!   (typically in its fixed read buffer) and feeds it again after `next`.
//! - Payload storage grows as bytes arrive, geometrically but never beyond the announced length,
//!   so a peer announcing 1 GiB and sending 5 bytes costs 5 bytes, not 1 GiB. Storage up to
//!   `retained_capacity_bytes` is reused across frames, so a stream of small frames stops
//!   allocating after the first; a larger buffer is released when the next frame starts.
//! - A prefix announcing more than the maximum makes the stream unusable: `next` returns
//!   `frame_error::oversized` from then on. The socket transport disconnects.
//!
//! Not thread-safe: one reassembler belongs to one connection's reader.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/platform/result.hpp"
#include "core/wire/bytes.hpp"
#include "core/wire/frame_codec.hpp"
#include "core/wire/limits.hpp"

namespace ipcsim::wire {

class frame_reassembler {
 public:
  /// Payload storage kept between frames when no larger frame has needed more.
  static constexpr std::size_t default_retained_capacity_bytes = std::size_t{64} << 10;

  /// A reassembler that treats a length above `max_frame_bytes` as corruption.
  explicit frame_reassembler(
      std::uint32_t max_frame_bytes = default_max_frame_bytes,
      std::size_t retained_capacity_bytes = default_retained_capacity_bytes) noexcept;

  /// Consumes a prefix of `input` up to the end of the frame in progress and returns how many
  /// bytes it took: 0 while a completed frame has not been taken by `next`, or after an error.
  /// Invalidates a payload view returned earlier by `next`.
  [[nodiscard]] std::size_t feed(byte_view input);

  /// The completed frame's payload (valid until the next `feed`), `std::nullopt` when more bytes
  /// are needed, or the sticky `frame_error::oversized`. A zero-length frame is a present,
  /// empty payload; it is told apart from "need more" by the optional, never by `data()`.
  [[nodiscard]] result<std::optional<byte_view>, frame_error> next() noexcept;

  /// Bytes still missing from the prefix or payload in progress; 0 when a frame is complete or
  /// the stream has failed. A transport may read exactly this many to avoid over-reading.
  std::size_t wanted_bytes() const noexcept;

  /// Payload bytes currently held for the frame in progress or awaiting `next`.
  std::size_t buffered_bytes() const noexcept { return payload_.size(); }

  /// Bytes of payload storage currently allocated.
  std::size_t capacity_bytes() const noexcept { return payload_.capacity(); }

  /// True once an oversized prefix has been seen; the stream can no longer be used.
  bool failed() const noexcept { return state_ == state::failed; }

  /// The maximum payload length this reassembler accepts.
  std::uint32_t max_frame_bytes() const noexcept { return max_frame_bytes_; }

 private:
  enum class state : std::uint8_t { prefix, payload, ready, failed };

  std::size_t feed_prefix(byte_view input) noexcept;
  std::size_t feed_payload(byte_view input);
  void start_payload(std::uint32_t announced_bytes);
  void reserve_for(std::size_t needed_bytes);

  std::uint32_t max_frame_bytes_;
  std::size_t retained_capacity_bytes_;
  state state_ = state::prefix;
  std::array<std::byte, frame_prefix_bytes> prefix_{};
  std::size_t prefix_filled_ = 0;
  std::uint32_t announced_bytes_ = 0;
  bytes payload_;
};

}  // namespace ipcsim::wire
