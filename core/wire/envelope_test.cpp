#include "core/wire/envelope.hpp"

#include <catch2/catch.hpp>

#include <msgpack.hpp>

#include <string>

#include "core/wire/ping.hpp"

namespace ipcsim::wire {
namespace {

bytes to_bytes(const msgpack::sbuffer& buffer) {
  const auto* first = reinterpret_cast<const std::byte*>(buffer.data());
  return bytes(first, first + buffer.size());
}

bytes make_bytes(std::initializer_list<unsigned> values) {
  bytes out;
  for (const unsigned value : values) {
    out.push_back(static_cast<std::byte>(value));
  }
  return out;
}

/// A request exercising every value kind the writer has, nested struct and array included.
bytes rich_request() {
  bytes out;
  const bytes blob(32, std::byte{0x5a});
  message_writer::request(out, "WsdbGetSiblingPath", 6)
      .key("treeId").u64(3)
      .key("leafIndex").u64(0x1234567890ULL)
      .key("includeUncommitted").boolean(true)
      .key("revision").begin_struct(2).key("forkId").u64(7).key("blockNumber").nil()
      .key("leaves").begin_array(2).bin(blob).bin(blob)
      .key("label").string("sibling path")
      .finish();
  return out;
}

decode_error request_error(const bytes& payload) {
  const auto decode_result = decode_request(payload);
  REQUIRE_FALSE(decode_result);
  return decode_result.error().kind;
}

decode_error response_error(const bytes& payload) {
  const auto decode_result = decode_response(payload);
  REQUIRE_FALSE(decode_result);
  return decode_result.error().kind;
}

}  // namespace

TEST_CASE("envelope: a ping request round-trips", "[wire][unit]") {
  bytes out;
  append_ping_request(out, "Wsdb", {0xfeedfacecafebeefULL});
  auto decode_result = decode_request(out);
  REQUIRE(decode_result);
  const message request = std::move(decode_result).value();
  CHECK(request.tag() == "WsdbPing");
  CHECK(request_tag("Wsdb", ping_command).equals(request.tag()));
  CHECK(request.fields().size() == 1);
  const auto ping_result = read_ping_request(request.fields());
  REQUIRE(ping_result);
  CHECK(ping_result->nonce == 0xfeedfacecafebeefULL);
}

TEST_CASE("envelope: a ping response round-trips", "[wire][unit]") {
  bytes out;
  append_ping_response(out, "Wsdb", {42});
  const auto decode_result = decode_response(out);
  REQUIRE(decode_result);
  CHECK(decode_result->tag() == "WsdbPingResponse");
  CHECK_FALSE(is_error_response(*decode_result, "Wsdb"));
  const auto ping_result = read_ping_response(decode_result->fields());
  REQUIRE(ping_result);
  CHECK(ping_result->nonce == 42);
}

TEST_CASE("envelope: an error response carries its message", "[wire][unit]") {
  bytes out;
  append_error_response(out, "Wsdb", "unknown command: WsdbFrobnicate");
  const auto decode_result = decode_response(out);
  REQUIRE(decode_result);
  CHECK(decode_result->tag() == "WsdbErrorResponse");
  CHECK(is_error_response(*decode_result, "Wsdb"));
  CHECK_FALSE(is_error_response(*decode_result, "Echo"));
  const auto text_result = decode_result->fields().get_string("message");
  REQUIRE(text_result);
  CHECK(*text_result == "unknown command: WsdbFrobnicate");
}

TEST_CASE("envelope: views stay valid after the input is gone and the message moves",
          "[wire][unit]") {
  auto payload = std::make_unique<bytes>(rich_request());
  auto decode_result = decode_request(*payload);
  REQUIRE(decode_result);
  payload.reset();
  message request = std::move(decode_result).value();
  message moved = std::move(request);
  CHECK(moved.tag() == "WsdbGetSiblingPath");
  const auto label_result = moved.fields().get_string("label");
  REQUIRE(label_result);
  CHECK(*label_result == "sibling path");
}

TEST_CASE("envelope: every truncation of a valid request is an error, never a throw",
          "[wire][unit]") {
  const bytes payload = rich_request();
  REQUIRE(decode_request(payload));
  for (std::size_t cut = 0; cut < payload.size(); ++cut) {
    INFO("cut at " << cut << " of " << payload.size());
    const bytes prefix(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(cut));
    CHECK_NOTHROW(static_cast<void>(decode_request(prefix)));
    CHECK(request_error(prefix) == decode_error::truncated);
  }
}

TEST_CASE("envelope: trailing bytes are an error", "[wire][unit]") {
  bytes payload = rich_request();
  payload.push_back(std::byte{0xc0});
  CHECK(request_error(payload) == decode_error::trailing_bytes);
}

TEST_CASE("envelope: shapes other than the envelope are rejected", "[wire][unit]") {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  SECTION("a bare map") {
    packer.pack_map(0);
    CHECK(request_error(to_bytes(buffer)) == decode_error::not_an_envelope);
    CHECK(response_error(to_bytes(buffer)) == decode_error::not_an_envelope);
  }
  SECTION("a response given to the request decoder") {
    bytes out;
    append_ping_response(out, "Wsdb", {1});
    CHECK(request_error(out) == decode_error::not_an_envelope);
  }
  SECTION("a request given to the response decoder") {
    bytes out;
    append_ping_request(out, "Wsdb", {1});
    CHECK(response_error(out) == decode_error::not_an_envelope);
  }
  SECTION("an outer array of two") {
    packer.pack_array(2).pack_array(2).pack("WsdbPing").pack_map(0).pack_nil();
    CHECK(request_error(to_bytes(buffer)) == decode_error::not_an_envelope);
  }
  SECTION("a triple instead of a pair") {
    packer.pack_array(1).pack_array(3).pack("WsdbPing").pack_map(0).pack_nil();
    CHECK(request_error(to_bytes(buffer)) == decode_error::not_an_envelope);
  }
  SECTION("fields that are not a map") {
    packer.pack_array(1).pack_array(2).pack("WsdbPing").pack_array(0);
    CHECK(request_error(to_bytes(buffer)) == decode_error::not_an_envelope);
  }
}

TEST_CASE("envelope: the tag must be a short non-empty str", "[wire][unit]") {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  SECTION("an integer tag") {
    packer.pack_array(1).pack_array(2).pack(7).pack_map(0);
  }
  SECTION("a bin tag") {
    packer.pack_array(1).pack_array(2).pack_bin(1).pack_bin_body("P", 1).pack_map(0);
  }
  SECTION("an empty tag") {
    packer.pack_array(1).pack_array(2).pack("").pack_map(0);
  }
  SECTION("a tag one byte over the limit") {
    packer.pack_array(1).pack_array(2).pack(std::string(257, 'T')).pack_map(0);
  }
  CHECK(request_error(to_bytes(buffer)) == decode_error::bad_tag);
}

TEST_CASE("envelope: a tag at the limit is accepted", "[wire][unit]") {
  bytes out;
  const std::string tag(256, 'T');
  message_writer::request(out, tag, 0).finish();
  const auto decode_result = decode_request(out);
  REQUIRE(decode_result);
  CHECK(decode_result->tag() == tag);
  CHECK(decode_result->fields().size() == 0);
}

TEST_CASE("envelope: the field map must be a struct", "[wire][unit]") {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  packer.pack_array(1).pack_array(2).pack("WsdbPing");
  SECTION("a non-string key") {
    packer.pack_map(1).pack(1).pack(2);
  }
  SECTION("a repeated key") {
    packer.pack_map(2).pack("nonce").pack(1).pack("nonce").pack(2);
  }
  SECTION("more than 64 fields") {
    packer.pack_map(65);
    for (int index = 0; index < 65; ++index) {
      packer.pack("f" + std::to_string(index)).pack_nil();
    }
  }
  CHECK(request_error(to_bytes(buffer)) == decode_error::bad_struct);
}

TEST_CASE("envelope: malformed and oversized msgpack inside an envelope", "[wire][unit]") {
  CHECK(request_error(make_bytes({0x91, 0x92, 0xa1, 'P', 0xc1})) == decode_error::malformed);
  CHECK(request_error(make_bytes({0x91, 0x92, 0xa1, 'P', 0xdf, 0xff, 0xff, 0xff, 0xff})) ==
        decode_error::limit_exceeded);
  CHECK(request_error({}) == decode_error::truncated);
}

TEST_CASE("envelope: decode errors have names and messages", "[wire][unit]") {
  const auto decode_result = decode_request(make_bytes({0xc1}));
  REQUIRE_FALSE(decode_result);
  CHECK(std::string(to_string(decode_result.error().kind)) == "malformed");
  CHECK_FALSE(decode_result.error().message.empty());
  CHECK(std::string(to_string(decode_error::out_of_range)) == "out_of_range");
}

}  // namespace ipcsim::wire
