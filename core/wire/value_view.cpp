#include "core/wire/value_view.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include <msgpack/object.hpp>

#include "core/platform/assert.hpp"
#include "core/wire/array_view.hpp"
#include "core/wire/field_map.hpp"

namespace ipcsim::wire {
namespace {

decode_failure type_mismatch(const char* expected, value_type found) {
  return {decode_error::wrong_field_type,
          std::string("expected ") + expected + ", found " + to_string(found)};
}

}  // namespace

const char* to_string(value_type type) noexcept {
  switch (type) {
    case value_type::nil: return "nil";
    case value_type::boolean: return "bool";
    case value_type::uint: return "uint";
    case value_type::negative_int: return "int";
    case value_type::float32: return "float32";
    case value_type::float64: return "float64";
    case value_type::str: return "str";
    case value_type::bin: return "bin";
    case value_type::array: return "array";
    case value_type::map: return "map";
    case value_type::ext: return "ext";
  }
  IPC_UNREACHABLE();
}

value_type value_view::type() const noexcept {
  IPC_ASSERT(object_ != nullptr);
  switch (object_->type) {
    case msgpack::type::NIL: return value_type::nil;
    case msgpack::type::BOOLEAN: return value_type::boolean;
    case msgpack::type::POSITIVE_INTEGER: return value_type::uint;
    case msgpack::type::NEGATIVE_INTEGER: return value_type::negative_int;
    case msgpack::type::FLOAT32: return value_type::float32;
    case msgpack::type::FLOAT64: return value_type::float64;
    case msgpack::type::STR: return value_type::str;
    case msgpack::type::BIN: return value_type::bin;
    case msgpack::type::ARRAY: return value_type::array;
    case msgpack::type::MAP: return value_type::map;
    case msgpack::type::EXT: return value_type::ext;
  }
  IPC_UNREACHABLE();
}

result<std::uint64_t, decode_failure> value_view::as_u64() const {
  // msgpack-c reports every non-negative integer as POSITIVE_INTEGER, whatever its encoding
  // (fixint, uint8..64, or a signed int8..64 holding a non-negative value).
  const value_type found = type();
  if (found == value_type::negative_int) {
    return unexpected(decode_failure{decode_error::out_of_range,
                                     "expected u64, found negative " +
                                         std::to_string(object_->via.i64)});
  }
  if (found != value_type::uint) {
    return unexpected(type_mismatch("u64", found));
  }
  return object_->via.u64;
}

result<std::uint32_t, decode_failure> value_view::as_u32() const {
  auto wide_result = as_u64();
  if (!wide_result) {
    if (wide_result.error().kind == decode_error::wrong_field_type) {
      return unexpected(type_mismatch("u32", type()));
    }
    return unexpected(decode_failure{decode_error::out_of_range,
                                     "expected u32, found negative " +
                                         std::to_string(object_->via.i64)});
  }
  if (*wide_result > std::numeric_limits<std::uint32_t>::max()) {
    return unexpected(decode_failure{decode_error::out_of_range,
                                     "expected u32, found " + std::to_string(*wide_result)});
  }
  return static_cast<std::uint32_t>(*wide_result);
}

result<bool, decode_failure> value_view::as_bool() const {
  if (type() != value_type::boolean) {
    return unexpected(type_mismatch("bool", type()));
  }
  return object_->via.boolean;
}

result<std::string_view, decode_failure> value_view::as_string() const {
  if (type() != value_type::str) {
    return unexpected(type_mismatch("str", type()));
  }
  return std::string_view(object_->via.str.ptr, object_->via.str.size);
}

result<byte_view, decode_failure> value_view::as_bin() const {
  if (type() != value_type::bin) {
    return unexpected(type_mismatch("bin", type()));
  }
  return byte_view(reinterpret_cast<const std::byte*>(object_->via.bin.ptr),
                   object_->via.bin.size);
}

result<bin32, decode_failure> value_view::as_bin32() const {
  auto bin_result = as_bin();
  if (!bin_result) {
    return unexpected(type_mismatch("bin32", type()));
  }
  bin32 value{};
  if (bin_result->size() != value.size()) {
    return unexpected(decode_failure{decode_error::wrong_field_type,
                                     "expected bin32, found bin of " +
                                         std::to_string(bin_result->size()) + " bytes"});
  }
  std::copy(bin_result->begin(), bin_result->end(), value.begin());
  return value;
}

result<array_view, decode_failure> value_view::as_array() const {
  if (type() != value_type::array) {
    return unexpected(type_mismatch("array", type()));
  }
  return array_view(object_->via.array.ptr, object_->via.array.size);
}

result<field_map, decode_failure> value_view::as_struct(const decode_limits& limits) const {
  IPC_ASSERT(object_ != nullptr);
  return field_map::from_object(*object_, limits);
}

}  // namespace ipcsim::wire
