#pragma once
//! A small `result<T, E>` with the std::expected surface (has_value, value, error, operator*,
//! operator->, explicit bool). std::expected needs C++23 and is unavailable under clang 14 with
//! libstdc++ 12, so this stands in; the surface matches so the later switch is mechanical.
//! Accessing the wrong alternative is a programmer error and asserts.

#include <type_traits>
#include <utility>
#include <variant>

#include "core/platform/assert.hpp"

namespace ipcsim {

/// Wraps an error value so that `result<T, E>` can be built from it unambiguously.
template <class E>
class unexpected {
 public:
  explicit unexpected(E error) : error_(std::move(error)) {}
  const E& error() const& noexcept { return error_; }
  E&& error() && noexcept { return std::move(error_); }

 private:
  E error_;
};

template <class E>
unexpected(E) -> unexpected<E>;

template <class T, class E>
class [[nodiscard]] result {
 public:
  using value_type = T;
  using error_type = E;

  // Excluding `result` itself keeps copies and moves on the copy/move constructors: otherwise a
  // non-const `result<bool, E>&` would convert through the explicit operator bool.
  template <class U = T>
    requires(std::is_constructible_v<T, U &&> &&
             !std::is_same_v<std::remove_cvref_t<U>, result> &&
             !std::is_same_v<std::remove_cvref_t<U>, std::in_place_t>)
  result(U&& value) : storage_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT
  template <class G>
  result(unexpected<G> error)  // NOLINT
      : storage_(std::in_place_index<1>, std::move(error).error()) {}

  bool has_value() const noexcept { return storage_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & {
    IPC_ASSERT(has_value());
    return std::get<0>(storage_);
  }
  const T& value() const& {
    IPC_ASSERT(has_value());
    return std::get<0>(storage_);
  }
  T&& value() && {
    IPC_ASSERT(has_value());
    return std::get<0>(std::move(storage_));
  }
  const E& error() const& {
    IPC_ASSERT(!has_value());
    return std::get<1>(storage_);
  }
  E&& error() && {
    IPC_ASSERT(!has_value());
    return std::get<1>(std::move(storage_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> storage_;
};

/// `result<void, E>`: success carries no value.
template <class E>
class [[nodiscard]] result<void, E> {
 public:
  result() noexcept = default;
  template <class G>
  result(unexpected<G> error) : error_(std::move(error).error()), failed_(true) {}  // NOLINT

  bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const { IPC_ASSERT(has_value()); }
  const E& error() const& {
    IPC_ASSERT(failed_);
    return error_;
  }

 private:
  E error_{};
  bool failed_ = false;
};

}  // namespace ipcsim
