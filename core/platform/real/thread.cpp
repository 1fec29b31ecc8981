//! Real flavour of platform::thread: a std::thread whose name also reaches the kernel through
//! pthread_setname_np, so debuggers, `top -H` and perf show which ipcsim thread is which.

#include "core/platform/thread.hpp"

#include <pthread.h>
#include <sched.h>

#include <cstddef>
#include <thread>
#include <utility>

#include "core/platform/assert.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {

namespace {
// The kernel keeps 16 bytes of thread name including the terminating NUL; a longer name makes
// pthread_setname_np fail with ERANGE instead of truncating.
constexpr std::size_t kernel_name_bytes_max = 15;

void set_current_thread_name(const std::string& name) noexcept {
  const std::string truncated = name.substr(0, kernel_name_bytes_max);
  const int status = pthread_setname_np(pthread_self(), truncated.c_str());
  IPC_ASSERT(status == 0);
}
}  // namespace

struct thread::state {
  std::string name;
  std::thread worker;
};

thread::thread() noexcept = default;

thread::thread(std::string name, body_function body) : state_(std::make_unique<state>()) {
  IPC_ASSERT(static_cast<bool>(body));
  state_->name = std::move(name);
  // The new thread names itself before running the body, so the name is in place for the whole
  // lifetime of the body whatever the scheduler does. An exception escaping the body reaches
  // std::thread, which terminates: bodies are expected to handle their own errors.
  state_->worker = std::thread([name = state_->name, body = std::move(body)]() {
    set_current_thread_name(name);
    body();
  });
}

thread::thread(thread&& other) noexcept : state_(std::move(other.state_)) {}

thread& thread::operator=(thread&& other) noexcept {
  // Overwriting a running thread would lose the only handle that can join it.
  IPC_ASSERT(!joinable());
  state_ = std::move(other.state_);
  return *this;
}

thread::~thread() {
  IPC_ASSERT(!joinable());
}

void thread::join() {
  IPC_ASSERT(joinable());
  IPC_ASSERT(state_->worker.get_id() != std::this_thread::get_id());
  state_->worker.join();
}

bool thread::joinable() const noexcept {
  return state_ != nullptr && state_->worker.joinable();
}

namespace this_thread {
void yield() noexcept {
  // sched_yield cannot fail on Linux; its return value is always 0.
  const int status = sched_yield();
  IPC_ASSERT(status == 0);
}
}  // namespace this_thread

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
