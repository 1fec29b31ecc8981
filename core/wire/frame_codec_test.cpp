#include "core/wire/frame_codec.hpp"

#include <catch2/catch.hpp>

#include <vector>

namespace ipcsim::wire {
namespace {

bytes make_bytes(std::initializer_list<unsigned> values) {
  bytes out;
  for (const unsigned value : values) {
    out.push_back(static_cast<std::byte>(value));
  }
  return out;
}

bytes filled(std::size_t size, unsigned value) {
  return bytes(size, static_cast<std::byte>(value));
}

}  // namespace

TEST_CASE("frame_codec: the prefix is a little-endian u32", "[wire][unit]") {
  const auto prefix = encode_frame_prefix(0x01020304U);
  CHECK(bytes(prefix.begin(), prefix.end()) == make_bytes({0x04, 0x03, 0x02, 0x01}));
  const auto length_result = parse_frame_length(make_bytes({0x04, 0x03, 0x02, 0x01}),
                                                0xffffffffU);
  REQUIRE(length_result);
  CHECK(*length_result == 0x01020304U);
}

TEST_CASE("frame_codec: a zero-length frame is legal", "[wire][unit]") {
  bytes out;
  REQUIRE(append_frame(out, {}));
  CHECK(out == make_bytes({0, 0, 0, 0}));
  const auto frame_result = split_frame(out);
  REQUIRE(frame_result);
  CHECK(frame_result->payload.empty());
  CHECK(frame_result->frame_bytes == 4);
}

TEST_CASE("frame_codec: a one-byte frame", "[wire][unit]") {
  bytes out;
  REQUIRE(append_frame(out, make_bytes({0xab})));
  CHECK(out == make_bytes({1, 0, 0, 0, 0xab}));
  const auto frame_result = split_frame(out);
  REQUIRE(frame_result);
  CHECK(bytes(frame_result->payload.begin(), frame_result->payload.end()) ==
        make_bytes({0xab}));
}

TEST_CASE("frame_codec: frames of exactly the maximum pass, one more byte is oversized",
          "[wire][unit]") {
  constexpr std::uint32_t max = 16;
  bytes out;
  SECTION("max") {
    REQUIRE(append_frame(out, filled(max, 7), max));
    CHECK(out.size() == max + frame_prefix_bytes);
    const auto frame_result = split_frame(out, max);
    REQUIRE(frame_result);
    CHECK(frame_result->payload.size() == max);
  }
  SECTION("max plus one is refused by the encoder and leaves the buffer unchanged") {
    out = make_bytes({9});
    const auto append_result = append_frame(out, filled(max + 1, 7), max);
    REQUIRE_FALSE(append_result);
    CHECK(append_result.error() == frame_error::oversized);
    CHECK(out == make_bytes({9}));
  }
  SECTION("max plus one is corruption for the parser") {
    const auto prefix = encode_frame_prefix(max + 1);
    const auto length_result = parse_frame_length(prefix, max);
    REQUIRE_FALSE(length_result);
    CHECK(length_result.error() == frame_error::oversized);
  }
}

TEST_CASE("frame_codec: the default maximum is 1 GiB", "[wire][unit]") {
  CHECK(default_max_frame_bytes == 1U << 30U);
  const auto at_max = encode_frame_prefix(default_max_frame_bytes);
  const auto at_max_result = parse_frame_length(at_max);
  REQUIRE(at_max_result);
  CHECK(*at_max_result == default_max_frame_bytes);
  const auto over = encode_frame_prefix(default_max_frame_bytes + 1);
  const auto over_result = parse_frame_length(over);
  REQUIRE_FALSE(over_result);
  CHECK(over_result.error() == frame_error::oversized);
  const auto all_ones_result = parse_frame_length(make_bytes({0xff, 0xff, 0xff, 0xff}));
  REQUIRE_FALSE(all_ones_result);
  CHECK(all_ones_result.error() == frame_error::oversized);
}

TEST_CASE("frame_codec: a short prefix is truncated, not corrupt", "[wire][unit]") {
  const bytes prefix = make_bytes({1, 0, 0, 0});
  for (std::size_t size = 0; size < frame_prefix_bytes; ++size) {
    const auto length_result = parse_frame_length(byte_view(prefix).first(size));
    REQUIRE_FALSE(length_result);
    CHECK(length_result.error() == frame_error::truncated);
  }
}

TEST_CASE("frame_codec: split_frame needs the whole payload and leaves what follows",
          "[wire][unit]") {
  bytes stream;
  REQUIRE(append_frame(stream, make_bytes({1, 2, 3})));
  REQUIRE(append_frame(stream, make_bytes({4})));
  const auto first_result = split_frame(stream);
  REQUIRE(first_result);
  CHECK(first_result->frame_bytes == 7);
  CHECK(bytes(first_result->payload.begin(), first_result->payload.end()) ==
        make_bytes({1, 2, 3}));
  const auto second_result = split_frame(byte_view(stream).subspan(7));
  REQUIRE(second_result);
  CHECK(second_result->frame_bytes == 5);
  const auto cut_result = split_frame(byte_view(stream).first(6));
  REQUIRE_FALSE(cut_result);
  CHECK(cut_result.error() == frame_error::truncated);
}

TEST_CASE("frame_codec: error names", "[wire][unit]") {
  CHECK(std::string(to_string(frame_error::truncated)) == "truncated");
  CHECK(std::string(to_string(frame_error::oversized)) == "oversized");
}

}  // namespace ipcsim::wire
