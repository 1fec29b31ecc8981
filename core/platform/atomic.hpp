#pragma once
//! `platform::atomic<T>`: the only atomic core code may use.
//! Real: exactly `std::atomic<T>`. Sim: a wrapper with the std::atomic member surface whose every
//! operation is a scheduling point (the simulator may switch fibers before it), then performs the
//! operation on an embedded std::atomic. Both have the size and alignment of T, which
//! shared-memory layouts rely on.

#include <atomic>
#include <bit>
#include <cstdint>
#include <type_traits>

#include "core/platform/flavour.hpp"
#include <ipcsim_flavour/atomic_impl.hpp>

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {

static_assert(sizeof(atomic<std::uint32_t>) == sizeof(std::uint32_t));
static_assert(alignof(atomic<std::uint32_t>) == alignof(std::uint32_t));
static_assert(sizeof(atomic<std::uint64_t>) == sizeof(std::uint64_t));
static_assert(alignof(atomic<std::uint64_t>) == alignof(std::uint64_t));
static_assert(sizeof(atomic<std::int32_t>) == sizeof(std::int32_t));
static_assert(sizeof(atomic<bool>) == sizeof(bool));
static_assert(atomic<std::uint64_t>::is_always_lock_free);

/// Whether `T` may live in shared memory: standard layout, and no destructor that matters to the
/// process. Shared-memory structures are never destroyed (the mapping just goes away), so a
/// destructor must not do anything the peer relies on. In the sim flavour `platform::atomic`
/// has a destructor that only tells the simulator the object is gone (so its id is not inherited
/// by the next object at that address); the real flavour's layout is what this trait guards.
template <class T>
inline constexpr bool is_shared_memory_safe_v =
    std::is_standard_layout_v<T> && (std::is_trivially_destructible_v<T> || is_simulation);

/// The low 32 bits of a 64-bit atomic counter, as a 32-bit atomic a futex can wait on. The
/// counters that rings wait on are 64-bit; futexes are 32-bit. This is the one sanctioned place
/// where that view is made (x86-64 and aarch64 are little-endian, so the low half comes first).
inline atomic<std::uint32_t>& low_half(atomic<std::uint64_t>& counter) noexcept {
  static_assert(std::endian::native == std::endian::little);
  return *reinterpret_cast<atomic<std::uint32_t>*>(&counter);
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
