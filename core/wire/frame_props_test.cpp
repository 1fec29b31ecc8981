//! Properties of framing: whatever the frames and however the stream is cut into pieces, the
//! reassembler yields exactly the frames that were appended, in order, and never holds more than
//! one frame.

#include <catch2/catch.hpp>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include <cstdint>
#include <vector>

#include "core/wire/frame_codec.hpp"
#include "core/wire/frame_reassembler.hpp"

namespace ipcsim::wire {
namespace {

using payload_list = std::vector<std::vector<std::uint8_t>>;

bytes to_bytes(const std::vector<std::uint8_t>& values) {
  bytes out;
  for (const std::uint8_t value : values) {
    out.push_back(static_cast<std::byte>(value));
  }
  return out;
}

bytes framed(const payload_list& payloads) {
  bytes stream;
  for (const auto& payload : payloads) {
    RC_ASSERT(append_frame(stream, to_bytes(payload)));
  }
  return stream;
}

std::vector<bytes> expected_frames(const payload_list& payloads) {
  std::vector<bytes> frames;
  for (const auto& payload : payloads) {
    frames.push_back(to_bytes(payload));
  }
  return frames;
}

/// Feeds `stream` in pieces whose sizes cycle through `piece_sizes` (0 means 1), taking every
/// completed frame at once, as a transport does.
std::vector<bytes> reassemble(byte_view stream, const std::vector<std::size_t>& piece_sizes) {
  frame_reassembler reassembler;
  std::vector<bytes> frames;
  std::size_t piece_index = 0;
  while (!stream.empty()) {
    const std::size_t wanted = std::max<std::size_t>(1, piece_sizes[piece_index]);
    piece_index = (piece_index + 1) % piece_sizes.size();
    byte_view piece = stream.first(std::min(wanted, stream.size()));
    stream = stream.subspan(piece.size());
    while (!piece.empty()) {
      const std::size_t consumed = reassembler.feed(piece);
      piece = piece.subspan(consumed);
      auto next_result = reassembler.next();
      RC_ASSERT(next_result.has_value());
      if (next_result->has_value()) {
        frames.emplace_back((*next_result)->begin(), (*next_result)->end());
      } else {
        RC_ASSERT(consumed > 0);
      }
      RC_ASSERT(reassembler.buffered_bytes() <= default_max_frame_bytes);
    }
  }
  RC_ASSERT(reassembler.wanted_bytes() == frame_prefix_bytes);
  return frames;
}

}  // namespace

TEST_CASE("frame_props: reassembly reproduces the frames", "[wire][prop]") {
  rc::prop("byte-by-byte feeding yields exactly the appended frames",
           [](const payload_list& payloads) {
             const bytes stream = framed(payloads);
             RC_ASSERT(reassemble(stream, {1}) == expected_frames(payloads));
           });
  rc::prop("feeding in random pieces yields exactly the appended frames",
           [](const payload_list& payloads) {
             const bytes stream = framed(payloads);
             const auto piece_sizes = *rc::gen::nonEmpty(
                 rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(
                     0, 2 * frame_prefix_bytes + 64)));
             RC_ASSERT(reassemble(stream, piece_sizes) == expected_frames(payloads));
           });
  rc::prop("split_frame walks a stream frame by frame", [](const payload_list& payloads) {
    const bytes stream = framed(payloads);
    byte_view rest = stream;
    std::vector<bytes> frames;
    while (!rest.empty()) {
      const auto frame_result = split_frame(rest);
      RC_ASSERT(frame_result.has_value());
      frames.emplace_back(frame_result->payload.begin(), frame_result->payload.end());
      rest = rest.subspan(frame_result->frame_bytes);
    }
    RC_ASSERT(frames == expected_frames(payloads));
  });
  rc::prop("any announced length above the maximum is a sticky error",
           [](std::uint32_t max_frame_bytes, std::uint32_t excess) {
             RC_PRE(max_frame_bytes < 0xffffffffU);
             const std::uint32_t room = 0xffffffffU - max_frame_bytes;
             const std::uint32_t announced = max_frame_bytes + 1 + excess % room;
             frame_reassembler reassembler(max_frame_bytes);
             const auto prefix = encode_frame_prefix(announced);
             RC_ASSERT(reassembler.feed(prefix) == frame_prefix_bytes);
             const auto first = reassembler.next();
             RC_ASSERT(!first.has_value());
             RC_ASSERT(first.error() == frame_error::oversized);
             RC_ASSERT(reassembler.feed(prefix) == 0U);
             RC_ASSERT(!reassembler.next().has_value());
           });
}

}  // namespace ipcsim::wire
