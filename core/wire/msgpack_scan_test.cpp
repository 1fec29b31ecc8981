#include "core/wire/msgpack_scan.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace ipcsim::wire {
namespace {

bytes make_bytes(std::initializer_list<unsigned> values) {
  bytes out;
  for (const unsigned value : values) {
    out.push_back(static_cast<std::byte>(value));
  }
  return out;
}

decode_error scan_error(const bytes& input, const decode_limits& limits = default_decode_limits) {
  const auto scan_result = scan_msgpack(input, limits);
  REQUIRE_FALSE(scan_result);
  return scan_result.error().kind;
}

/// `levels` nested 1-element arrays around nil.
bytes nested_arrays(std::size_t levels) {
  bytes out(levels, std::byte{0x91});
  out.push_back(std::byte{0xc0});
  return out;
}

}  // namespace

TEST_CASE("msgpack_scan: accepts one complete value", "[wire][unit]") {
  CHECK(scan_msgpack(make_bytes({0xc0}), default_decode_limits));
  CHECK(scan_msgpack(make_bytes({0x92, 0xa1, 'x', 0x80}), default_decode_limits));
  CHECK(scan_msgpack(make_bytes({0xcf, 1, 2, 3, 4, 5, 6, 7, 8}), default_decode_limits));
  CHECK(scan_msgpack(make_bytes({0xc4, 2, 0xaa, 0xbb}), default_decode_limits));
  CHECK(scan_msgpack(make_bytes({0xd4, 1, 0xaa}), default_decode_limits));
  CHECK(scan_msgpack(make_bytes({0x90}), default_decode_limits));
}

TEST_CASE("msgpack_scan: empty input is truncated", "[wire][unit]") {
  CHECK(scan_error({}) == decode_error::truncated);
}

TEST_CASE("msgpack_scan: the map32/array32 bomb is a limit, not an allocation", "[wire][unit]") {
  CHECK(scan_error(make_bytes({0xdf, 0xff, 0xff, 0xff, 0xff})) == decode_error::limit_exceeded);
  CHECK(scan_error(make_bytes({0xdd, 0xff, 0xff, 0xff, 0xff})) == decode_error::limit_exceeded);
  // Within the entry limit but far beyond the bytes present: truncated, before any allocation.
  CHECK(scan_error(make_bytes({0xdf, 0x00, 0x10, 0x00, 0x00})) == decode_error::truncated);
  CHECK(scan_error(make_bytes({0xdd, 0x00, 0x10, 0x00, 0x00})) == decode_error::truncated);
  CHECK(scan_error(make_bytes({0xde, 0xff, 0xff})) == decode_error::truncated);
}

TEST_CASE("msgpack_scan: blob lengths are checked against the limit and the input",
          "[wire][unit]") {
  CHECK(scan_error(make_bytes({0xdb, 0xff, 0xff, 0xff, 0xff})) == decode_error::limit_exceeded);
  CHECK(scan_error(make_bytes({0xc6, 0x40, 0x00, 0x00, 0x01})) == decode_error::limit_exceeded);
  CHECK(scan_error(make_bytes({0xc6, 0x40, 0x00, 0x00, 0x00})) == decode_error::truncated);
  CHECK(scan_error(make_bytes({0xd9, 0x05, 'a', 'b'})) == decode_error::truncated);
  CHECK(scan_error(make_bytes({0xd9})) == decode_error::truncated);
  // msgpack-c computes an ext32 body as length + 1 in 32 bits; 0xffffffff wraps to 0 there.
  CHECK(scan_error(make_bytes({0xc9, 0xff, 0xff, 0xff, 0xff})) == decode_error::limit_exceeded);
}

TEST_CASE("msgpack_scan: nesting is limited to max_depth", "[wire][unit]") {
  CHECK(scan_msgpack(nested_arrays(32), default_decode_limits));
  CHECK(scan_error(nested_arrays(33)) == decode_error::limit_exceeded);
  CHECK(scan_error(nested_arrays(1000)) == decode_error::limit_exceeded);
}

TEST_CASE("msgpack_scan: the total number of values is limited", "[wire][unit]") {
  decode_limits limits;
  limits.max_total_values = 4;
  CHECK(scan_msgpack(make_bytes({0x93, 1, 2, 3}), limits));
  CHECK(scan_error(make_bytes({0x94, 1, 2, 3, 4}), limits) == decode_error::limit_exceeded);
}

TEST_CASE("msgpack_scan: the reserved byte is malformed", "[wire][unit]") {
  CHECK(scan_error(make_bytes({0xc1})) == decode_error::malformed);
  CHECK(scan_error(make_bytes({0x91, 0xc1})) == decode_error::malformed);
}

TEST_CASE("msgpack_scan: bytes after the value are trailing", "[wire][unit]") {
  CHECK(scan_error(make_bytes({0xc0, 0xc0})) == decode_error::trailing_bytes);
  CHECK(scan_error(make_bytes({0x91, 0x01, 0x02})) == decode_error::trailing_bytes);
}

TEST_CASE("msgpack_scan: the message names the offset", "[wire][unit]") {
  const auto scan_result = scan_msgpack(make_bytes({0x92, 0x01, 0xc1}), default_decode_limits);
  REQUIRE_FALSE(scan_result);
  CHECK(scan_result.error().message.find("offset 2") != std::string::npos);
}

}  // namespace ipcsim::wire
