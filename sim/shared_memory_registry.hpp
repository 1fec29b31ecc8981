#pragma once
//! `sim::shared_memory_registry`: the sim flavour's "kernel" for named shared memory
//! (core/platform/shared_memory.hpp). Simulated processes are fiber groups of one OS process, so a
//! segment is a zeroed heap buffer kept by name, and every mapping of it is the same pointer.
//!
//! How to use it: a test (or scenario) owns a registry and installs it on the thread that runs the
//! world, for as long as simulated code may call shm_create/shm_open_existing/shm_unlink:
//!
//!     sim::shared_memory_registry registry;
//!     sim::shared_memory_registry::scope installed(registry);
//!     for (seed ...) { registry.clear(); world.reset(); ...; world.run(); }
//!
//! The registry is found through a thread-local pointer that `scope` sets and restores, the same
//! way seam code finds the running world. Calling the shm functions with no registry installed is
//! a programmer error and asserts.
//!
//! Lifetime: buffers live until clear() or the registry's destruction, even after unlink and even
//! after every mapping is gone (mappings in the sim unmap nothing). That keeps a region held by a
//! killed process's fiber, whose destructor never runs, from dangling, and it keeps memory bounded
//! by what one run creates. A region must not be used after the clear() that follows its run.

#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/platform/result.hpp"
#include "core/platform/shared_memory.hpp"

namespace ipcsim::inline sim {

class shared_memory_registry {
 public:
  /// Largest segment the registry hands out; beyond it create() says invalid_argument, as a
  /// kernel would for a size it cannot map.
  static constexpr std::size_t segment_bytes_max = std::size_t{1} << 30;

  shared_memory_registry() = default;
  shared_memory_registry(const shared_memory_registry&) = delete;
  shared_memory_registry& operator=(const shared_memory_registry&) = delete;
  ~shared_memory_registry();

  /// Installs a registry on the calling thread for the lifetime of the scope, restoring the
  /// previously installed one (or none) afterwards. Scopes nest.
  class scope {
   public:
    explicit scope(shared_memory_registry& registry) noexcept;
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;
    ~scope();

   private:
    shared_memory_registry* previous_;
  };

  /// The registry installed on this thread, or nullptr.
  static shared_memory_registry* current() noexcept;

  /// Removes every segment, named or unlinked, and frees its memory. Call between runs.
  void clear() noexcept;
  /// Named (not unlinked) segments.
  std::size_t named_count() const noexcept { return by_name_.size(); }
  /// Every segment whose memory is still held, unlinked ones included.
  std::size_t segment_count() const noexcept { return segments_.size(); }
  bool contains(std::string_view name) const;

  // ---- the sim flavour's shm functions call these; tests may call them too ----
  /// A zeroed buffer named `name`; `exists` if the name is taken.
  result<std::span<std::byte>, platform::shm_error> create(std::string_view name,
                                                           std::size_t size);
  /// The buffer named `name`; `not_found` if there is none.
  result<std::span<std::byte>, platform::shm_error> open(std::string_view name) const;
  /// Forgets the name; the buffer stays valid until clear().
  result<void, platform::shm_error> unlink(std::string_view name);

 private:
  struct aligned_free {
    void operator()(std::byte* memory) const noexcept;
  };
  struct segment {
    std::unique_ptr<std::byte[], aligned_free> memory;
    std::size_t size = 0;
  };

  std::vector<std::unique_ptr<segment>> segments_;
  std::map<std::string, segment*, std::less<>> by_name_;
};

}  // namespace ipcsim::inline sim
