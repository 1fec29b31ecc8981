#include "core/wire/frame_reassembler.hpp"

#include <catch2/catch.hpp>

#include <vector>

namespace ipcsim::wire {
namespace {

bytes filled(std::size_t size, unsigned value) {
  return bytes(size, static_cast<std::byte>(value));
}

bytes framed(const std::vector<bytes>& payloads) {
  bytes stream;
  for (const bytes& payload : payloads) {
    REQUIRE(append_frame(stream, payload));
  }
  return stream;
}

/// Feeds `stream` in pieces of `piece_bytes` and collects every frame, taking each as soon as it
/// is complete, as a transport would.
std::vector<bytes> reassemble(frame_reassembler& reassembler, byte_view stream,
                              std::size_t piece_bytes) {
  std::vector<bytes> frames;
  while (!stream.empty()) {
    byte_view piece = stream.first(std::min(piece_bytes, stream.size()));
    stream = stream.subspan(piece.size());
    while (!piece.empty()) {
      const std::size_t consumed = reassembler.feed(piece);
      piece = piece.subspan(consumed);
      auto next_result = reassembler.next();
      REQUIRE(next_result);
      if (next_result->has_value()) {
        frames.emplace_back((*next_result)->begin(), (*next_result)->end());
      } else {
        REQUIRE(consumed > 0);
      }
    }
  }
  return frames;
}

}  // namespace

TEST_CASE("frame_reassembler: byte-by-byte feeding reproduces the frames", "[wire][unit]") {
  const std::vector<bytes> payloads = {filled(3, 1), {}, filled(1, 2), filled(300, 3), {}};
  const bytes stream = framed(payloads);
  for (const std::size_t piece_bytes : {std::size_t{1}, std::size_t{2}, std::size_t{5},
                                        std::size_t{4096}}) {
    frame_reassembler reassembler;
    CHECK(reassemble(reassembler, stream, piece_bytes) == payloads);
    CHECK(reassembler.wanted_bytes() == frame_prefix_bytes);
    CHECK_FALSE(reassembler.failed());
  }
}

TEST_CASE("frame_reassembler: need more until the frame is whole", "[wire][unit]") {
  frame_reassembler reassembler;
  const bytes stream = framed({filled(2, 9)});
  REQUIRE(reassembler.next());
  CHECK_FALSE(reassembler.next()->has_value());
  CHECK(reassembler.wanted_bytes() == 4);
  CHECK(reassembler.feed(byte_view(stream).first(5)) == 5);
  CHECK(reassembler.wanted_bytes() == 1);
  CHECK_FALSE(reassembler.next()->has_value());
  CHECK(reassembler.feed(byte_view(stream).subspan(5)) == 1);
  CHECK(reassembler.wanted_bytes() == 0);
  const auto next_result = reassembler.next();
  REQUIRE(next_result);
  REQUIRE(next_result->has_value());
  CHECK(bytes((*next_result)->begin(), (*next_result)->end()) == filled(2, 9));
}

TEST_CASE("frame_reassembler: a zero-length frame is a present, empty frame", "[wire][unit]") {
  frame_reassembler reassembler;
  const bytes stream = framed({{}});
  CHECK(reassembler.feed(stream) == 4);
  const auto next_result = reassembler.next();
  REQUIRE(next_result);
  REQUIRE(next_result->has_value());
  CHECK((*next_result)->empty());
  CHECK_FALSE(reassembler.next()->has_value());
}

TEST_CASE("frame_reassembler: holds at most one frame while the caller does not call next",
          "[wire][unit]") {
  frame_reassembler reassembler;
  const bytes stream = framed({filled(10, 1), filled(10, 2), filled(10, 3)});
  CHECK(reassembler.feed(stream) == 14);
  CHECK(reassembler.feed(byte_view(stream).subspan(14)) == 0);
  CHECK(reassembler.feed(byte_view(stream).subspan(14)) == 0);
  CHECK(reassembler.buffered_bytes() == 10);
  const auto next_result = reassembler.next();
  REQUIRE(next_result->has_value());
  CHECK(bytes((*next_result)->begin(), (*next_result)->end()) == filled(10, 1));
  CHECK(reassembler.feed(byte_view(stream).subspan(14)) == 14);
}

TEST_CASE("frame_reassembler: an oversized prefix is a sticky error", "[wire][unit]") {
  constexpr std::uint32_t max = 16;
  frame_reassembler reassembler(max);
  SECTION("max itself is fine") {
    const bytes stream = framed({filled(max, 4)});
    CHECK(reassemble(reassembler, stream, 3) == std::vector<bytes>{filled(max, 4)});
  }
  SECTION("max plus one fails and stays failed") {
    const auto prefix = encode_frame_prefix(max + 1);
    bytes stream(prefix.begin(), prefix.end());
    const bytes more = filled(max + 1, 5);
    stream.insert(stream.end(), more.begin(), more.end());
    CHECK(reassembler.feed(byte_view(stream).first(2)) == 2);
    CHECK_FALSE(reassembler.next()->has_value());
    CHECK(reassembler.feed(byte_view(stream).subspan(2)) == 2);
    CHECK(reassembler.failed());
    for (int attempt = 0; attempt < 3; ++attempt) {
      const auto next_result = reassembler.next();
      REQUIRE_FALSE(next_result);
      CHECK(next_result.error() == frame_error::oversized);
      CHECK(reassembler.feed(byte_view(stream).subspan(4)) == 0);
      CHECK(reassembler.wanted_bytes() == 0);
    }
    CHECK(reassembler.buffered_bytes() == 0);
  }
}

TEST_CASE("frame_reassembler: storage follows the bytes received, not the announced length",
          "[wire][unit]") {
  frame_reassembler reassembler;
  const auto prefix = encode_frame_prefix(default_max_frame_bytes);
  CHECK(reassembler.feed(prefix) == 4);
  const bytes five = filled(5, 1);
  CHECK(reassembler.feed(five) == 5);
  CHECK(reassembler.buffered_bytes() == 5);
  CHECK(reassembler.capacity_bytes() <= 64);
  CHECK(reassembler.wanted_bytes() == default_max_frame_bytes - 5);
}

TEST_CASE("frame_reassembler: storage never exceeds the announced length", "[wire][unit]") {
  frame_reassembler reassembler(default_max_frame_bytes, 0);
  const bytes stream = framed({filled(1000, 1)});
  std::size_t offset = 0;
  while (offset < stream.size()) {
    offset += reassembler.feed(byte_view(stream).subspan(offset, std::min<std::size_t>(
                                                                      7, stream.size() - offset)));
    CHECK(reassembler.capacity_bytes() <= 1000);
  }
  CHECK(reassembler.next()->has_value());
}

TEST_CASE("frame_reassembler: large buffers are released, small ones reused", "[wire][unit]") {
  constexpr std::size_t retained = 64;
  frame_reassembler reassembler(default_max_frame_bytes, retained);
  const bytes stream = framed({filled(1000, 1), filled(10, 2), filled(20, 3)});
  const auto frames = reassemble(reassembler, byte_view(stream).first(1004 + 14), 4096);
  REQUIRE(frames.size() == 2);
  CHECK(reassembler.capacity_bytes() <= retained);
  const std::size_t capacity_before = reassembler.capacity_bytes();
  CHECK(reassemble(reassembler, byte_view(stream).subspan(1004 + 14), 4096).size() == 1);
  CHECK(reassembler.capacity_bytes() == std::max<std::size_t>(capacity_before, 20));
}

}  // namespace ipcsim::wire
