#include "core/wire/field_map.hpp"

#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "core/wire/envelope.hpp"

namespace ipcsim::wire {
namespace {

// Owning, so lists of encodings can be kept in containers.
using byte_list = std::vector<unsigned>;

/// The request `[["T", {"v": <value>}]]` with `value` given as raw msgpack bytes.
bytes request_with_value(byte_list value) {
  bytes out;
  for (const unsigned byte : {0x91U, 0x92U, 0xa1U, unsigned{'T'}, 0x81U, 0xa1U, unsigned{'v'}}) {
    out.push_back(static_cast<std::byte>(byte));
  }
  for (const unsigned byte : value) {
    out.push_back(static_cast<std::byte>(byte));
  }
  return out;
}

message decode_value(byte_list value) {
  auto decode_result = decode_request(request_with_value(value));
  REQUIRE(decode_result);
  return std::move(decode_result).value();
}

/// A request with one field of every kind, written by the writer.
message typed_request() {
  bytes out;
  bin32 key{};
  key[0] = std::byte{1};
  key[31] = std::byte{2};
  const bytes short_bin(31, std::byte{3});
  message_writer::request(out, "T", 10)
      .key("u64").u64(std::numeric_limits<std::uint64_t>::max())
      .key("u32").u64(std::numeric_limits<std::uint32_t>::max())
      .key("flag").boolean(false)
      .key("name").string("alice")
      .key("blob").bin(short_bin)
      .key("key").bin(key)
      .key("maybe").nil()
      .key("present").u64(9)
      .key("list").begin_array(3).u64(1).u64(300).u64(70000)
      .key("keys").begin_array(2).bin(key).bin(short_bin)
      .finish();
  auto decode_result = decode_request(out);
  REQUIRE(decode_result);
  return std::move(decode_result).value();
}

}  // namespace

TEST_CASE("field_map: a u64 field accepts every non-negative integer encoding",
          "[wire][unit]") {
  const std::vector<byte_list> encodings_of_five = {
      {0x05},                                                // positive fixint
      {0xcc, 0x05},                                          // uint8
      {0xcd, 0x00, 0x05},                                    // uint16
      {0xce, 0x00, 0x00, 0x00, 0x05},                        // uint32
      {0xcf, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05},  // uint64
      {0xd0, 0x05},                                          // int8
      {0xd1, 0x00, 0x05},                                    // int16
      {0xd2, 0x00, 0x00, 0x00, 0x05},                        // int32
      {0xd3, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05},  // int64
  };
  for (const byte_list& encoding : encodings_of_five) {
    const message request = decode_value(encoding);
    const auto u64_result = request.fields().get_u64("v");
    REQUIRE(u64_result);
    CHECK(*u64_result == 5);
    const auto u32_result = request.fields().get_u32("v");
    REQUIRE(u32_result);
    CHECK(*u32_result == 5);
  }
}

TEST_CASE("field_map: integer range is checked per width", "[wire][unit]") {
  SECTION("u64 max") {
    const message request = decode_value({0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
    const auto u64_result = request.fields().get_u64("v");
    REQUIRE(u64_result);
    CHECK(*u64_result == std::numeric_limits<std::uint64_t>::max());
    CHECK(request.fields().get_u32("v").error().kind == decode_error::out_of_range);
  }
  SECTION("u32 max and one more") {
    const message at_max = decode_value({0xce, 0xff, 0xff, 0xff, 0xff});
    const auto u32_result = at_max.fields().get_u32("v");
    REQUIRE(u32_result);
    CHECK(*u32_result == std::numeric_limits<std::uint32_t>::max());
    const message over = decode_value({0xcf, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00});
    const auto over_result = over.fields().get_u32("v");
    REQUIRE_FALSE(over_result);
    CHECK(over_result.error().kind == decode_error::out_of_range);
    CHECK(over_result.error().message.find("'v'") != std::string::npos);
  }
  SECTION("negatives are out of range for both widths") {
    for (const byte_list& negative : {byte_list{0xff}, byte_list{0xd0, 0x80},
                                      byte_list{0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                0xff}}) {
      const message request = decode_value(negative);
      CHECK(request.fields().get_u64("v").error().kind == decode_error::out_of_range);
      CHECK(request.fields().get_u32("v").error().kind == decode_error::out_of_range);
    }
  }
}

TEST_CASE("field_map: values of the wrong type are wrong_field_type", "[wire][unit]") {
  const message as_string = decode_value({0xa1, '5'});
  CHECK(as_string.fields().get_u64("v").error().kind == decode_error::wrong_field_type);
  CHECK(as_string.fields().get_u32("v").error().kind == decode_error::wrong_field_type);
  CHECK(as_string.fields().get_bool("v").error().kind == decode_error::wrong_field_type);
  CHECK(as_string.fields().get_bin("v").error().kind == decode_error::wrong_field_type);
  CHECK(as_string.fields().get_array("v").error().kind == decode_error::wrong_field_type);
  CHECK(as_string.fields().get_struct("v").error().kind == decode_error::wrong_field_type);
  const message as_float = decode_value({0xca, 0x40, 0xa0, 0x00, 0x00});
  CHECK(as_float.fields().get_u64("v").error().kind == decode_error::wrong_field_type);
  const message as_bin = decode_value({0xc4, 0x01, 'x'});
  CHECK(as_bin.fields().get_string("v").error().kind == decode_error::wrong_field_type);
  const message as_int = decode_value({0x01});
  const auto bool_result = as_int.fields().get_bool("v");
  REQUIRE_FALSE(bool_result);
  CHECK(bool_result.error().kind == decode_error::wrong_field_type);
  CHECK(bool_result.error().message == "field 'v': expected bool, found uint");
}

TEST_CASE("field_map: a missing field is missing_field for every getter", "[wire][unit]") {
  const message request = decode_value({0x01});
  CHECK(request.fields().get_u64("nope").error().kind == decode_error::missing_field);
  CHECK(request.fields().get_bin32("nope").error().kind == decode_error::missing_field);
  CHECK(request.fields().get_optional<std::uint64_t>("nope").error().kind ==
        decode_error::missing_field);
  CHECK(request.fields().get_vector<std::uint64_t>("nope").error().kind ==
        decode_error::missing_field);
  CHECK(request.fields().get("nope").error().message == "field 'nope' is missing");
  CHECK_FALSE(request.fields().find("nope").has_value());
}

TEST_CASE("field_map: typed getters read what the writer wrote", "[wire][unit]") {
  const message request = typed_request();
  const field_map& fields = request.fields();
  CHECK(*fields.get_u64("u64") == std::numeric_limits<std::uint64_t>::max());
  CHECK(*fields.get_u32("u32") == std::numeric_limits<std::uint32_t>::max());
  const auto flag_result = fields.get_bool("flag");
  REQUIRE(flag_result);
  CHECK_FALSE(*flag_result);
  CHECK(*fields.get_string("name") == "alice");
  CHECK(fields.get_bin("blob")->size() == 31);
  const auto key_result = fields.get_bin32("key");
  REQUIRE(key_result);
  CHECK((*key_result)[0] == std::byte{1});
  CHECK((*key_result)[31] == std::byte{2});
  CHECK(fields.name_at(0) == "u64");
  CHECK(fields.value_at(3).type() == value_type::str);
}

TEST_CASE("field_map: bin32 is exactly 32 bytes", "[wire][unit]") {
  const message request = typed_request();
  const auto short_result = request.fields().get_bin32("blob");
  REQUIRE_FALSE(short_result);
  CHECK(short_result.error().kind == decode_error::wrong_field_type);
  CHECK(short_result.error().message == "field 'blob': expected bin32, found bin of 31 bytes");
}

TEST_CASE("field_map: optionals are nil or the value", "[wire][unit]") {
  const message request = typed_request();
  const auto nil_result = request.fields().get_optional<std::uint64_t>("maybe");
  REQUIRE(nil_result);
  CHECK_FALSE(nil_result->has_value());
  const auto present_result = request.fields().get_optional<std::uint64_t>("present");
  REQUIRE(present_result);
  CHECK(present_result->value() == 9);
  CHECK(request.fields().get_optional<std::string_view>("present").error().kind ==
        decode_error::wrong_field_type);
  CHECK(request.fields().get_u64("maybe").error().kind == decode_error::wrong_field_type);
}

TEST_CASE("field_map: arrays convert element by element", "[wire][unit]") {
  const message request = typed_request();
  const auto list_result = request.fields().get_vector<std::uint64_t>("list");
  REQUIRE(list_result);
  CHECK(*list_result == std::vector<std::uint64_t>{1, 300, 70000});
  const auto narrow_result = request.fields().get_vector<std::uint32_t>("list");
  REQUIRE(narrow_result);
  CHECK(narrow_result->size() == 3);
  const auto keys_result = request.fields().get_vector<bin32>("keys");
  REQUIRE_FALSE(keys_result);
  CHECK(keys_result.error().kind == decode_error::wrong_field_type);
  CHECK(keys_result.error().message ==
        "field 'keys': element 1: expected bin32, found bin of 31 bytes");
  const auto array_result = request.fields().get_array("keys");
  REQUIRE(array_result);
  CHECK(array_result->size() == 2);
  CHECK((*array_result)[0].as_bin32());
  CHECK(request.fields().get_vector<bool>("list").error().kind ==
        decode_error::wrong_field_type);
}

TEST_CASE("field_map: nested structs are checked like the top level", "[wire][unit]") {
  bytes out;
  message_writer::request(out, "T", 1)
      .key("revision").begin_struct(2).key("forkId").u64(3).key("includeUncommitted")
      .boolean(true)
      .finish();
  auto decode_result = decode_request(out);
  REQUIRE(decode_result);
  const auto revision_result = decode_result->fields().get_struct("revision");
  REQUIRE(revision_result);
  CHECK(*revision_result->get_u64("forkId") == 3);
  CHECK(*revision_result->get_bool("includeUncommitted"));
  // {"revision": {1: 2}}: a nested map with a non-string key.
  const message bad = decode_value({0x81, 0x01, 0x02});
  const auto bad_result = bad.fields().get_struct("v");
  REQUIRE_FALSE(bad_result);
  CHECK(bad_result.error().kind == decode_error::bad_struct);
}

}  // namespace ipcsim::wire
