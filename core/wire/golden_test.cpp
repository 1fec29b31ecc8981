//! Golden byte files pin the wire encoding: a change to any of them is a protocol change and
//! needs a new protocol version (docs/protocol.md). The hidden `[generate]` case rewrites them;
//! run it only when the protocol deliberately changes, and commit the result.

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/wire/envelope.hpp"
#include "core/wire/frame_codec.hpp"
#include "core/wire/ping.hpp"

#ifndef IPCSIM_WIRE_GOLDEN_DIR
#error "IPCSIM_WIRE_GOLDEN_DIR must name core/wire/golden"
#endif

namespace ipcsim::wire {
namespace {

constexpr std::string_view golden_service = "Wsdb";
constexpr std::uint64_t golden_nonce = 0x0123456789abcdefULL;
constexpr std::string_view golden_error_text = "unknown command: WsdbFrobnicate";

struct golden {
  std::string file_name;
  bytes encoding;
};

bytes ping_request_payload() {
  bytes out;
  append_ping_request(out, golden_service, {golden_nonce});
  return out;
}

std::vector<golden> current_encodings() {
  bytes ping_response_payload;
  append_ping_response(ping_response_payload, golden_service, {golden_nonce});
  bytes error_payload;
  append_error_response(error_payload, golden_service, golden_error_text);
  bytes empty_frame;
  REQUIRE(append_frame(empty_frame, {}));
  bytes ping_frame;
  REQUIRE(append_frame(ping_frame, ping_request_payload()));
  return {
      {"ping_request.msgpack", ping_request_payload()},
      {"ping_response.msgpack", ping_response_payload},
      {"error_response.msgpack", error_payload},
      {"empty.frame", empty_frame},
      {"ping_request.frame", ping_frame},
  };
}

std::string golden_path(const std::string& file_name) {
  return std::string(IPCSIM_WIRE_GOLDEN_DIR) + "/" + file_name;
}

bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  const std::vector<char> chars((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  bytes out;
  for (const char c : chars) {
    out.push_back(static_cast<std::byte>(c));
  }
  return out;
}

bytes make_bytes(std::initializer_list<unsigned> values) {
  bytes out;
  for (const unsigned value : values) {
    out.push_back(static_cast<std::byte>(value));
  }
  return out;
}

}  // namespace

TEST_CASE("golden: current encodings match the committed golden files byte for byte",
          "[wire][unit]") {
  for (const golden& expected : current_encodings()) {
    INFO("golden file " << expected.file_name);
    CHECK(read_file(golden_path(expected.file_name)) == expected.encoding);
  }
}

TEST_CASE("golden: the ping request matches a hand encoding from the msgpack spec",
          "[wire][unit]") {
  // fixarray(1) fixarray(2) fixstr(8) "WsdbPing" fixmap(1) fixstr(5) "nonce" uint64 0x0123...
  const bytes by_hand = make_bytes({0x91, 0x92, 0xa8, 'W', 's', 'd', 'b', 'P', 'i', 'n', 'g',
                                    0x81, 0xa5, 'n', 'o', 'n', 'c', 'e',
                                    0xcf, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef});
  CHECK(read_file(golden_path("ping_request.msgpack")) == by_hand);
  bytes framed = make_bytes({27, 0, 0, 0});
  framed.insert(framed.end(), by_hand.begin(), by_hand.end());
  CHECK(read_file(golden_path("ping_request.frame")) == framed);
}

TEST_CASE("golden: the golden files decode", "[wire][unit]") {
  const auto request_result = decode_request(read_file(golden_path("ping_request.msgpack")));
  REQUIRE(request_result);
  CHECK(read_ping_request(request_result->fields())->nonce == golden_nonce);
  const auto response_result = decode_response(read_file(golden_path("ping_response.msgpack")));
  REQUIRE(response_result);
  CHECK(response_result->tag() == "WsdbPingResponse");
  const auto error_result = decode_response(read_file(golden_path("error_response.msgpack")));
  REQUIRE(error_result);
  CHECK(is_error_response(*error_result, golden_service));
  CHECK(*error_result->fields().get_string("message") == golden_error_text);
}

TEST_CASE("golden: regenerate the golden files", "[wire][.generate]") {
  for (const golden& expected : current_encodings()) {
    std::ofstream out(golden_path(expected.file_name), std::ios::binary | std::ios::trunc);
    REQUIRE(out.good());
    out.write(reinterpret_cast<const char*>(expected.encoding.data()),
              static_cast<std::streamsize>(expected.encoding.size()));
    REQUIRE(out.good());
  }
}

}  // namespace ipcsim::wire
