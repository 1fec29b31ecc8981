#include "core/wire/field_map.hpp"

#include <string>

#include <msgpack/object.hpp>

#include "core/platform/assert.hpp"

namespace ipcsim::wire {

namespace detail {
decode_failure in_field(std::string_view name, decode_failure failure) {
  failure.message = "field '" + std::string(name) + "': " + failure.message;
  return failure;
}
}  // namespace detail

namespace {

std::string_view key_of(const msgpack::object_kv& entry) noexcept {
  IPC_ASSERT(entry.key.type == msgpack::type::STR);
  return {entry.key.via.str.ptr, entry.key.via.str.size};
}

}  // namespace

result<field_map, decode_failure> field_map::from_object(const msgpack::object& object,
                                                         const decode_limits& limits) {
  if (object.type != msgpack::type::MAP) {
    return unexpected(decode_failure{decode_error::wrong_field_type,
                                     std::string("expected map, found ") +
                                         to_string(value_view(object).type())});
  }
  const msgpack::object_map& map = object.via.map;
  if (map.size > limits.max_struct_fields) {
    return unexpected(decode_failure{decode_error::bad_struct,
                                     "struct has " + std::to_string(map.size) +
                                         " fields, more than " +
                                         std::to_string(limits.max_struct_fields)});
  }
  for (std::uint32_t index = 0; index < map.size; ++index) {
    if (map.ptr[index].key.type != msgpack::type::STR) {
      return unexpected(decode_failure{decode_error::bad_struct,
                                       "struct key " + std::to_string(index) +
                                           " is not a str"});
    }
    // Quadratic, but bounded by max_struct_fields squared.
    for (std::uint32_t earlier = 0; earlier < index; ++earlier) {
      if (key_of(map.ptr[earlier]) == key_of(map.ptr[index])) {
        return unexpected(decode_failure{decode_error::bad_struct,
                                         "field '" + std::string(key_of(map.ptr[index])) +
                                             "' appears twice"});
      }
    }
  }
  return field_map(map.ptr, map.size);
}

std::string_view field_map::name_at(std::size_t index) const noexcept {
  IPC_ASSERT(index < size_);
  return key_of(entries_[index]);
}

value_view field_map::value_at(std::size_t index) const noexcept {
  IPC_ASSERT(index < size_);
  return value_view(entries_[index].val);
}

std::optional<value_view> field_map::find(std::string_view name) const noexcept {
  for (std::uint32_t index = 0; index < size_; ++index) {
    if (key_of(entries_[index]) == name) {
      return value_view(entries_[index].val);
    }
  }
  return std::nullopt;
}

result<value_view, decode_failure> field_map::get(std::string_view name) const {
  const auto maybe_value = find(name);
  if (!maybe_value) {
    return unexpected(decode_failure{decode_error::missing_field,
                                     "field '" + std::string(name) + "' is missing"});
  }
  return *maybe_value;
}

result<std::uint64_t, decode_failure> field_map::get_u64(std::string_view name) const {
  return get_as<std::uint64_t>(name);
}

result<std::uint32_t, decode_failure> field_map::get_u32(std::string_view name) const {
  return get_as<std::uint32_t>(name);
}

result<bool, decode_failure> field_map::get_bool(std::string_view name) const {
  return get_as<bool>(name);
}

result<std::string_view, decode_failure> field_map::get_string(std::string_view name) const {
  return get_as<std::string_view>(name);
}

result<byte_view, decode_failure> field_map::get_bin(std::string_view name) const {
  return get_as<byte_view>(name);
}

result<bin32, decode_failure> field_map::get_bin32(std::string_view name) const {
  return get_as<bin32>(name);
}

result<array_view, decode_failure> field_map::get_array(std::string_view name) const {
  auto value_result = get(name);
  if (!value_result) {
    return unexpected(std::move(value_result).error());
  }
  auto array_result = value_result->as_array();
  if (!array_result) {
    return unexpected(detail::in_field(name, std::move(array_result).error()));
  }
  return array_result;
}

result<field_map, decode_failure> field_map::get_struct(std::string_view name,
                                                        const decode_limits& limits) const {
  auto value_result = get(name);
  if (!value_result) {
    return unexpected(std::move(value_result).error());
  }
  auto struct_result = value_result->as_struct(limits);
  if (!struct_result) {
    return unexpected(detail::in_field(name, std::move(struct_result).error()));
  }
  return struct_result;
}

}  // namespace ipcsim::wire
