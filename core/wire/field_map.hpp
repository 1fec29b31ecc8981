#pragma once
//! A read-only view of a struct: a decoded msgpack map whose keys are distinct strings (checked
//! when the view is made, so lookups are unambiguous). Typed getters name the field in every
//! error message ("field 'leafIndex': expected uint, found str"). A missing field is
//! `missing_field` for every getter, optional ones included: the protocol always writes every
//! field, with nil for an absent optional. Fields the reader does not ask for are ignored. The
//! view points into a `message`'s zone and lives as long as that message.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <msgpack/object_fwd.hpp>

#include "core/platform/result.hpp"
#include "core/wire/array_view.hpp"
#include "core/wire/bytes.hpp"
#include "core/wire/decode_error.hpp"
#include "core/wire/limits.hpp"
#include "core/wire/value_view.hpp"

namespace ipcsim::wire {

namespace detail {
/// Prefixes `failure`'s message with "field '<name>': ".
decode_failure in_field(std::string_view name, decode_failure failure);
}  // namespace detail

/// A decoded struct: named fields, looked up by name.
class field_map {
 public:
  /// A struct with no fields.
  field_map() noexcept = default;

  /// Checks that `object` is a map with at most `limits.max_struct_fields` entries whose keys are
  /// distinct strings, and views it. `object` must outlive the view.
  static result<field_map, decode_failure> from_object(const msgpack::object& object,
                                                       const decode_limits& limits);

  /// Number of fields.
  std::size_t size() const noexcept { return size_; }
  /// Name of the field at `index` (below `size()`), in encoded order.
  std::string_view name_at(std::size_t index) const noexcept;
  /// Value of the field at `index` (below `size()`), in encoded order.
  value_view value_at(std::size_t index) const noexcept;

  /// The field called `name`, if present.
  std::optional<value_view> find(std::string_view name) const noexcept;
  /// The field called `name`, or `missing_field`.
  result<value_view, decode_failure> get(std::string_view name) const;

  /// The field read as `T` (see `value_view::as`; `std::optional<T>` accepts nil).
  template <class T>
  result<T, decode_failure> get_as(std::string_view name) const {
    auto value_result = get(name);
    if (!value_result) {
      return unexpected(std::move(value_result).error());
    }
    auto typed_result = value_result->template as<T>();
    if (!typed_result) {
      return unexpected(detail::in_field(name, std::move(typed_result).error()));
    }
    return typed_result;
  }

  /// The field as an unsigned integer of any encoding that fits in 64 bits.
  result<std::uint64_t, decode_failure> get_u64(std::string_view name) const;
  /// The field as an unsigned integer of any encoding that fits in 32 bits.
  result<std::uint32_t, decode_failure> get_u32(std::string_view name) const;
  /// The field as a bool.
  result<bool, decode_failure> get_bool(std::string_view name) const;
  /// The field as a str, viewed in the message's zone.
  result<std::string_view, decode_failure> get_string(std::string_view name) const;
  /// The field as a bin of any length, viewed in the message's zone.
  result<byte_view, decode_failure> get_bin(std::string_view name) const;
  /// The field as a bin of exactly 32 bytes, copied out.
  result<bin32, decode_failure> get_bin32(std::string_view name) const;

  /// A field holding nil or a `T`.
  template <class T>
  result<std::optional<T>, decode_failure> get_optional(std::string_view name) const {
    return get_as<std::optional<T>>(name);
  }

  /// A field holding an array, viewed without conversion.
  result<array_view, decode_failure> get_array(std::string_view name) const;

  /// A field holding an array of `T`, converted (see `array_view::to_vector`).
  template <class T>
  result<std::vector<T>, decode_failure> get_vector(std::string_view name) const {
    auto array_result = get_array(name);
    if (!array_result) {
      return unexpected(std::move(array_result).error());
    }
    auto vector_result = array_result->template to_vector<T>();
    if (!vector_result) {
      return unexpected(detail::in_field(name, std::move(vector_result).error()));
    }
    return vector_result;
  }

  /// A field holding a nested struct.
  result<field_map, decode_failure> get_struct(
      std::string_view name, const decode_limits& limits = default_decode_limits) const;

 private:
  field_map(const msgpack::object_kv* entries, std::uint32_t size) noexcept
      : entries_(entries), size_(size) {}

  const msgpack::object_kv* entries_ = nullptr;
  std::uint32_t size_ = 0;
};

}  // namespace ipcsim::wire
