#include "core/wire/message_writer.hpp"

#include <catch2/catch.hpp>

#include "core/wire/envelope.hpp"

namespace ipcsim::wire {
namespace {

bytes make_bytes(std::initializer_list<unsigned> values) {
  bytes out;
  for (const unsigned value : values) {
    out.push_back(static_cast<std::byte>(value));
  }
  return out;
}

}  // namespace

TEST_CASE("message_writer: a response is [tag, {fields}] in the smallest encodings",
          "[wire][unit]") {
  bytes out;
  message_writer::response(out, tag_name("Ab", "C", "D"), 2)
      .key("n").u64(200)
      .key("m").u64(5)
      .finish();
  CHECK(out == make_bytes({0x92, 0xa4, 'A', 'b', 'C', 'D', 0x82, 0xa1, 'n', 0xcc, 200, 0xa1, 'm',
                           0x05}));
}

TEST_CASE("message_writer: a request wraps the pair in a 1-element array", "[wire][unit]") {
  bytes out;
  message_writer::request(out, "X", 0).finish();
  CHECK(out == make_bytes({0x91, 0x92, 0xa1, 'X', 0x80}));
}

TEST_CASE("message_writer: appends after existing bytes", "[wire][unit]") {
  bytes out = make_bytes({0xee});
  message_writer::request(out, "X", 0).finish();
  CHECK(out.size() == 6);
  CHECK(out[0] == std::byte{0xee});
}

TEST_CASE("message_writer: tracks completion through nested containers", "[wire][unit]") {
  bytes out;
  auto writer = message_writer::request(out, "T", 2);
  CHECK_FALSE(writer.complete());
  writer.key("a").begin_array(2).begin_array(0).begin_struct(1).key("b");
  CHECK_FALSE(writer.complete());
  writer.nil();
  CHECK_FALSE(writer.complete());
  writer.key("c").begin_struct(0);
  CHECK(writer.complete());
  writer.finish();
  const auto decode_result = decode_request(out);
  REQUIRE(decode_result);
  const auto array_result = decode_result->fields().get_array("a");
  REQUIRE(array_result);
  REQUIRE(array_result->size() == 2);
  CHECK((*array_result)[0].as_array()->empty());
  const auto inner_result = (*array_result)[1].as_struct();
  REQUIRE(inner_result);
  CHECK((*inner_result).get("b")->is_nil());
  CHECK(decode_result->fields().get_struct("c")->size() == 0);
}

TEST_CASE("message_writer: strings and bins use str8/bin8 and up", "[wire][unit]") {
  bytes out;
  const std::string long_text(40, 'x');
  const bytes blob(300, std::byte{1});
  message_writer::response(out, "T", 2).key("s").string(long_text).key("b").bin(blob).finish();
  // [tag "T", {"s": str8(40), "b": bin16(300)}]
  CHECK(out[6] == std::byte{0xd9});
  CHECK(out[7] == std::byte{40});
  const std::size_t bin_header = 8 + 40 + 2;
  CHECK(out[bin_header] == std::byte{0xc5});
  CHECK(out.size() == bin_header + 3 + 300);
}

TEST_CASE("tag_name: concatenates its parts", "[wire][unit]") {
  CHECK(request_tag("Wsdb", "GetLeafValue").str() == "WsdbGetLeafValue");
  CHECK(response_tag("Wsdb", "GetLeafValue").str() == "WsdbGetLeafValueResponse");
  CHECK(error_response_tag("Wsdb").str() == "WsdbErrorResponse");
  CHECK(response_tag("Wsdb", "Ping").equals("WsdbPingResponse"));
  CHECK_FALSE(response_tag("Wsdb", "Ping").equals("WsdbPingResponsE"));
  CHECK_FALSE(response_tag("Wsdb", "Ping").equals("WsdbPing"));
  CHECK(tag_name("Whole").size() == 5);
}

}  // namespace ipcsim::wire
