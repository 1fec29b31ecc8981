// The sim flavour of named shared memory: the platform functions forward to the
// shared_memory_registry installed on this thread, and each one is a scheduling point (an I/O call,
// as design §1 lists), so a strategy can interleave a client's open with a server's create.
// Regions in the sim unmap nothing: the registry owns the buffers (see shared_memory_registry.hpp).

#include <cstring>
#include <new>
#include <utility>

#include <ipcsim_flavour/sim_hooks.hpp>

#include "core/platform/assert.hpp"
#include "core/platform/shared_memory.hpp"
#include "sim/shared_memory_registry.hpp"

namespace ipcsim::inline sim {

namespace {
thread_local shared_memory_registry* installed_registry = nullptr;

/// Buffers are aligned like the start of a page would be for everything core lays over them
/// (cache-line aligned control blocks).
constexpr std::align_val_t segment_alignment{64};
}  // namespace

shared_memory_registry::~shared_memory_registry() {
  // A registry destroyed while installed would leave a dangling thread-local pointer.
  IPC_ASSERT(installed_registry != this);
}

shared_memory_registry::scope::scope(shared_memory_registry& registry) noexcept
    : previous_(installed_registry) {
  installed_registry = &registry;
}

shared_memory_registry::scope::~scope() { installed_registry = previous_; }

shared_memory_registry* shared_memory_registry::current() noexcept { return installed_registry; }

void shared_memory_registry::aligned_free::operator()(std::byte* memory) const noexcept {
  ::operator delete[](memory, segment_alignment);
}

void shared_memory_registry::clear() noexcept {
  by_name_.clear();
  segments_.clear();
}

bool shared_memory_registry::contains(std::string_view name) const {
  return by_name_.find(name) != by_name_.end();
}

result<std::span<std::byte>, platform::shm_error> shared_memory_registry::create(
    std::string_view name, std::size_t size) {
  if (!platform::is_valid_shm_name(name) || size == 0 || size > segment_bytes_max) {
    return unexpected(platform::shm_error::invalid_argument);
  }
  if (contains(name)) {
    return unexpected(platform::shm_error::exists);
  }
  auto* raw = static_cast<std::byte*>(::operator new[](size, segment_alignment));
  std::memset(raw, 0, size);
  auto made = std::make_unique<segment>();
  made->memory.reset(raw);
  made->size = size;
  by_name_.emplace(std::string(name), made.get());
  segments_.push_back(std::move(made));
  IPC_ASSERT(by_name_.size() <= segments_.size());
  return std::span<std::byte>(raw, size);
}

result<std::span<std::byte>, platform::shm_error> shared_memory_registry::open(
    std::string_view name) const {
  if (!platform::is_valid_shm_name(name)) {
    return unexpected(platform::shm_error::invalid_argument);
  }
  const auto found = by_name_.find(name);
  if (found == by_name_.end()) {
    return unexpected(platform::shm_error::not_found);
  }
  IPC_ASSERT(found->second->size > 0);
  return std::span<std::byte>(found->second->memory.get(), found->second->size);
}

result<void, platform::shm_error> shared_memory_registry::unlink(std::string_view name) {
  if (!platform::is_valid_shm_name(name)) {
    return unexpected(platform::shm_error::invalid_argument);
  }
  const auto found = by_name_.find(name);
  if (found == by_name_.end()) {
    return unexpected(platform::shm_error::not_found);
  }
  by_name_.erase(found);
  return {};
}

}  // namespace ipcsim::inline sim

namespace ipcsim::inline sim::platform {

namespace {
shared_memory_registry& installed() noexcept {
  shared_memory_registry* registry = shared_memory_registry::current();
  // Simulated shared memory needs a registry; see shared_memory_registry.hpp for how to install.
  IPC_ASSERT(registry != nullptr);
  return *registry;
}

void shm_point(const char* operation) noexcept {
  detail::schedule_point(detail::op_kind::io, &installed(), operation, 0);
}
}  // namespace

void shared_region::unmap() noexcept {
  // The registry owns the buffer; forgetting the pointer is all a sim unmap does.
  data_ = nullptr;
  size_ = 0;
}

result<shared_region, shm_error> shm_create(std::string_view name, std::size_t size) noexcept {
  shm_point("shm_create");
  auto created = installed().create(name, size);
  if (!created.has_value()) {
    return unexpected(created.error());
  }
  return shared_region(created->data(), created->size());
}

result<shared_region, shm_error> shm_create_or_replace(std::string_view name,
                                                       std::size_t size) noexcept {
  const auto removed = shm_unlink(name);
  if (!removed.has_value() && removed.error() != shm_error::not_found) {
    return unexpected(removed.error());
  }
  return shm_create(name, size);
}

result<shared_region, shm_error> shm_open_existing(std::string_view name) noexcept {
  shm_point("shm_open");
  auto opened = installed().open(name);
  if (!opened.has_value()) {
    return unexpected(opened.error());
  }
  return shared_region(opened->data(), opened->size());
}

result<void, shm_error> shm_unlink(std::string_view name) noexcept {
  shm_point("shm_unlink");
  return installed().unlink(name);
}

}  // namespace ipcsim::inline sim::platform
