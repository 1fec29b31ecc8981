//! libFuzzer target: the streaming frame reassembler fed in random pieces.
//!
//! How it works: the first input byte picks a small maximum frame size, the next bytes pick piece
//! lengths, and the rest is the byte stream. The stream is fed to a reassembler piece by piece and
//! independently split with split_frame in one go; both must yield the same frames and the same
//! error (an oversized prefix is sticky). ASan/UBSan watch the buffer handling.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/platform/assert.hpp"
#include "core/wire/frame_codec.hpp"
#include "core/wire/frame_reassembler.hpp"

namespace {

using namespace ipcsim::wire;

/// Frames and the final error (if any) from splitting the whole stream at once.
struct reference_split {
  std::vector<bytes> frames;
  bool oversized = false;
};

reference_split split_all(byte_view stream, std::uint32_t max_bytes) {
  reference_split out;
  while (!stream.empty()) {
    auto frame = split_frame(stream, max_bytes);
    if (!frame.has_value()) {
      out.oversized = frame.error() == frame_error::oversized;
      break;
    }
    out.frames.emplace_back(frame->payload.begin(), frame->payload.end());
    stream = stream.subspan(frame->frame_bytes);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) {
    return 0;
  }
  const std::uint32_t max_bytes = 1U + data[0] * 64U;
  const std::size_t piece_bytes = 1 + data[1] % 32;
  const byte_view stream(reinterpret_cast<const std::byte*>(data + 2), size - 2);
  const reference_split expected = split_all(stream, max_bytes);

  frame_reassembler reassembler(max_bytes, 4096);
  std::vector<bytes> frames;
  bool oversized = false;
  std::size_t offset = 0;
  while (offset < stream.size() && !oversized) {
    const std::size_t length = std::min(piece_bytes, stream.size() - offset);
    std::size_t taken_total = 0;
    while (taken_total < length) {
      const std::size_t taken = reassembler.feed(stream.subspan(offset + taken_total,
                                                                length - taken_total));
      taken_total += taken;
      auto next = reassembler.next();
      if (!next.has_value()) {
        oversized = true;
        break;
      }
      if (next->has_value()) {
        frames.emplace_back((*next)->begin(), (*next)->end());
      } else if (taken == 0) {
        break;
      }
    }
    offset += length;
  }
  IPC_ASSERT(oversized == expected.oversized);
  // The reassembler cannot know a trailing partial frame is truncated; it yields only whole ones.
  IPC_ASSERT(frames == expected.frames);
  return 0;
}
