#pragma once
//! `unique_function<R(Args...)>`: a move-only, type-erased callable. Work items carry move-only
//! state (a reactor responder, a request buffer), which std::function cannot hold because it
//! requires copyable targets; std::move_only_function is C++23. The surface is the subset of
//! std::move_only_function the scheduler needs, so a later switch is mechanical.

#include <cstddef>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/platform/flavour.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::sched {

template <class Signature>
class unique_function;

template <class R, class... Args>
class unique_function<R(Args...)> {
 public:
  unique_function() noexcept = default;
  unique_function(std::nullptr_t) noexcept {}  // NOLINT: mirrors std::move_only_function

  /// Wraps `target`; the target is moved (or copied) into a heap cell owned by this object.
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, unique_function> &&
             std::is_invocable_r_v<R, std::decay_t<F>&, Args...>)
  unique_function(F&& target)  // NOLINT: implicit, as std::move_only_function
      : callable_(std::make_unique<holder<std::decay_t<F>>>(std::forward<F>(target))) {}

  unique_function(unique_function&&) noexcept = default;
  unique_function& operator=(unique_function&&) noexcept = default;
  unique_function(const unique_function&) = delete;
  unique_function& operator=(const unique_function&) = delete;
  ~unique_function() = default;

  /// True when a target is held.
  explicit operator bool() const noexcept { return callable_ != nullptr; }

  /// Invokes the target. Calling an empty unique_function is a programmer error.
  R operator()(Args... args) {
    IPC_ASSERT(callable_ != nullptr);
    return callable_->invoke(std::forward<Args>(args)...);
  }

 private:
  struct callable_base {
    virtual ~callable_base() = default;
    virtual R invoke(Args... args) = 0;
  };

  template <class F>
  struct holder final : callable_base {
    template <class G>
    explicit holder(G&& target) : target_(std::forward<G>(target)) {}
    R invoke(Args... args) override {
      return std::invoke(target_, std::forward<Args>(args)...);
    }
    F target_;
  };

  std::unique_ptr<callable_base> callable_;
};

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::sched
