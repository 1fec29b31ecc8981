#pragma once
//! A read-only view of a decoded msgpack array (the protocol's `T[]` and `T[N]`). Like
//! `value_view`, it points into a `message`'s zone and lives as long as that message.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <msgpack/object_fwd.hpp>

#include "core/platform/assert.hpp"
#include "core/platform/result.hpp"
#include "core/wire/decode_error.hpp"
#include "core/wire/value_view.hpp"

namespace ipcsim::wire {

namespace detail {
/// Prefixes `failure`'s message with "element <index>: ".
decode_failure in_element(std::size_t index, decode_failure failure);
}  // namespace detail

/// A decoded array's elements, in order.
class array_view {
 public:
  /// An empty array.
  array_view() noexcept = default;
  /// Views `size` consecutive elements starting at `elements`, which must outlive the view.
  array_view(const msgpack::object* elements, std::uint32_t size) noexcept
      : elements_(elements), size_(size) {}

  /// Number of elements.
  std::size_t size() const noexcept { return size_; }
  /// True when there are no elements.
  bool empty() const noexcept { return size_ == 0; }

  /// The element at `index`, which must be below `size()`.
  value_view operator[](std::size_t index) const noexcept {
    IPC_ASSERT(index < size_);
    return value_view(elements_[index]);
  }

  /// Every element read as `T` (see `value_view::as`); the first bad element fails the whole
  /// array, with its index in the message. Allocates `size()` elements.
  template <class T>
  result<std::vector<T>, decode_failure> to_vector() const {
    std::vector<T> values;
    values.reserve(size_);
    for (std::size_t index = 0; index < size_; ++index) {
      auto value_result = (*this)[index].template as<T>();
      if (!value_result) {
        return unexpected(detail::in_element(index, std::move(value_result).error()));
      }
      values.push_back(std::move(value_result).value());
    }
    IPC_ASSERT(values.size() == size_);
    return values;
  }

 private:
  const msgpack::object* elements_ = nullptr;
  std::uint32_t size_ = 0;
};

}  // namespace ipcsim::wire
