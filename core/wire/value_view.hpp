#pragma once
//! A read-only view of one decoded msgpack value, with typed accessors that apply the protocol's
//! type rules (docs/protocol.md, "Value types"):
//! - integers: any msgpack encoding of a non-negative integer is accepted (positive fixint,
//!   uint8..uint64, and int8..int64 holding a non-negative value); a negative value or one too
//!   large for the requested width is `out_of_range`;
//! - `bin32` is a bin of exactly 32 bytes; str and bin are never interchangeable;
//! - an optional is nil or the value.
//! A view points into the zone of the `message` it came from and is valid as long as that
//! message lives. Views are cheap to copy.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include <msgpack/object_fwd.hpp>

#include "core/platform/result.hpp"
#include "core/wire/bytes.hpp"
#include "core/wire/decode_error.hpp"
#include "core/wire/limits.hpp"

namespace ipcsim::wire {

class array_view;
class field_map;

/// 32 raw bytes: a field element, hash or key in the world-state schema.
using bin32 = std::array<std::byte, 32>;

/// The msgpack type family of a value, as it appears in error messages.
enum class value_type : std::uint8_t { nil, boolean, uint, negative_int, float32, float64, str,
                                       bin, array, map, ext };

/// A short name for `type` ("nil", "bool", "uint", "int", "float32", "float64", "str", "bin",
/// "array", "map", "ext").
const char* to_string(value_type type) noexcept;

/// One decoded value; see the file comment for the type rules.
class value_view {
 public:
  /// Views `object`, which must outlive the view.
  explicit value_view(const msgpack::object& object) noexcept : object_(&object) {}

  /// The value's msgpack type family.
  value_type type() const noexcept;
  /// True for nil, which is how an absent optional is encoded.
  bool is_nil() const noexcept { return type() == value_type::nil; }

  /// A non-negative integer of any encoding that fits in 64 bits.
  result<std::uint64_t, decode_failure> as_u64() const;
  /// A non-negative integer of any encoding that fits in 32 bits.
  result<std::uint32_t, decode_failure> as_u32() const;
  /// A msgpack bool (an integer is not a bool).
  result<bool, decode_failure> as_bool() const;
  /// A str; the view points into the message's zone. Not checked for UTF-8.
  result<std::string_view, decode_failure> as_string() const;
  /// A bin of any length; the view points into the message's zone.
  result<byte_view, decode_failure> as_bin() const;
  /// A bin of exactly 32 bytes, copied out.
  result<bin32, decode_failure> as_bin32() const;
  /// An array.
  result<array_view, decode_failure> as_array() const;
  /// A map checked to be a struct: string keys, no key twice, at most `max_struct_fields`.
  result<field_map, decode_failure> as_struct(
      const decode_limits& limits = default_decode_limits) const;

  /// Reads the value as `T`, one of std::uint64_t, std::uint32_t, bool, std::string_view,
  /// byte_view or bin32; `std::optional<T>` of those also accepts nil.
  template <class T>
  result<T, decode_failure> as() const;

 private:
  const msgpack::object* object_;
};

namespace detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
}  // namespace detail

template <class T>
result<T, decode_failure> value_view::as() const {
  if constexpr (detail::is_optional<T>::value) {
    if (is_nil()) {
      return T();
    }
    auto inner = as<typename T::value_type>();
    if (!inner) {
      return unexpected(std::move(inner).error());
    }
    return T(std::move(inner).value());
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    return as_u64();
  } else if constexpr (std::is_same_v<T, std::uint32_t>) {
    return as_u32();
  } else if constexpr (std::is_same_v<T, bool>) {
    return as_bool();
  } else if constexpr (std::is_same_v<T, std::string_view>) {
    return as_string();
  } else if constexpr (std::is_same_v<T, byte_view>) {
    return as_bin();
  } else if constexpr (std::is_same_v<T, bin32>) {
    return as_bin32();
  } else {
    static_assert(sizeof(T) == 0, "value_view::as<T>: unsupported type");
  }
}

}  // namespace ipcsim::wire
