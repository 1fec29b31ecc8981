#pragma once
//! A named thread. Real: std::thread (the name also goes to pthread_setname_np, truncated to 15
//! bytes). Sim: a fiber of the current simulated process; its name is its stable identity in
//! traces, so names should be unique within a world ("reactor", "pool-1", "client-3").

#include <functional>
#include <memory>
#include <string>

#include "core/platform/flavour.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {

class thread {
 public:
  using body_function = std::function<void()>;

  thread() noexcept;
  /// Starts `body` on a new thread (fiber) called `name`.
  thread(std::string name, body_function body);
  thread(thread&& other) noexcept;
  thread& operator=(thread&& other) noexcept;
  thread(const thread&) = delete;
  thread& operator=(const thread&) = delete;
  /// A joinable thread must be joined before destruction; forgetting is a programmer error.
  ~thread();

  /// Waits for the body to return. A scheduling point in the sim flavour.
  void join();
  bool joinable() const noexcept;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

namespace this_thread {
/// Offers the processor to other threads. In the sim flavour a fiber that keeps yielding without
/// anyone else making progress is deprioritised, so a yield loop cannot starve the simulation.
void yield() noexcept;
}  // namespace this_thread

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
