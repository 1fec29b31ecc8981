#pragma once
//! Named shared-memory regions: the one place core code gets memory that several processes see.
//! Real: POSIX shm (shm_open with mode 0600, ftruncate, mmap MAP_SHARED). Sim: zeroed heap buffers
//! kept by name in a `sim::shared_memory_registry` that the test installs for the run; "processes"
//! there are fiber groups of one OS process, so a buffer is shared simply by handing out the same
//! pointer.
//!
//! A region's contents are raw bytes. Whoever lays a structure over them (rings, doorbells)
//! publishes its readiness inside the bytes (a field stored last with release ordering), because
//! another process may open a segment the moment its name exists, before it is sized or
//! initialised.
//!
//! Names follow POSIX shm: a leading '/', then 1..250 characters of which none is '/'.
//! Every function here is thread-safe: the kernel (or the registry, in the sim) serialises them.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "core/platform/flavour.hpp"
#include "core/platform/result.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {

/// Why a shared-memory operation failed. Callers react differently to each: `exists` means
/// another owner holds the name, `not_found` means "not there (yet), retry or give up",
/// `invalid_argument` is a configuration mistake, and the rest are environment failures.
enum class shm_error : std::uint8_t {
  exists,            ///< create: a segment of that name already exists
  not_found,         ///< open/unlink: no such segment, or its creator has not sized it yet
  invalid_argument,  ///< a malformed name, or a size of 0 or beyond what the platform maps
  access_denied,     ///< the segment belongs to someone else (mode 0600)
  no_memory,         ///< the kernel (tmpfs) or the heap could not provide the bytes
  system,            ///< any other failure of the underlying calls
};

/// A short name for an error ("exists", "not_found", ...).
constexpr const char* to_string(shm_error error) noexcept {
  switch (error) {
    case shm_error::exists:
      return "exists";
    case shm_error::not_found:
      return "not_found";
    case shm_error::invalid_argument:
      return "invalid_argument";
    case shm_error::access_denied:
      return "access_denied";
    case shm_error::no_memory:
      return "no_memory";
    case shm_error::system:
      return "system";
  }
  return "?";
}

/// One mapping of a named segment into this process. Move-only; unmaps on destruction. The name
/// may be unlinked while mappings exist: they stay valid, as POSIX specifies, and the memory goes
/// away with the last mapping (in the sim: with the registry's run).
class shared_region {
 public:
  /// An empty region: no memory, size 0.
  shared_region() noexcept = default;
  shared_region(shared_region&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  shared_region& operator=(shared_region&& other) noexcept {
    if (this != &other) {
      unmap();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  shared_region(const shared_region&) = delete;
  shared_region& operator=(const shared_region&) = delete;
  ~shared_region() { unmap(); }

  /// The first byte; aligned to at least 64 bytes. nullptr for an empty region.
  std::byte* data() const noexcept { return data_; }
  /// Bytes mapped.
  std::size_t size() const noexcept { return size_; }
  std::span<std::byte> bytes() const noexcept { return {data_, size_}; }
  bool empty() const noexcept { return data_ == nullptr; }

 private:
  friend result<shared_region, shm_error> shm_create(std::string_view name,
                                                     std::size_t size) noexcept;
  friend result<shared_region, shm_error> shm_open_existing(std::string_view name) noexcept;

  shared_region(std::byte* data, std::size_t size) noexcept : data_(data), size_(size) {}
  /// Releases the mapping, if any. Defined by each flavour.
  void unmap() noexcept;

  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Creates segment `name` of `size` zeroed bytes, exclusively (fails with `exists` if the name is
/// taken), readable and writable by the owner only (0600), and maps it. Regions up to
/// `prefault_bytes_max` are pre-faulted so the first accesses do not page-fault; larger ones stay
/// demand-paged.
result<shared_region, shm_error> shm_create(std::string_view name, std::size_t size) noexcept;

/// Creates `name` as shm_create does, first removing any segment of that name. For an owner that
/// knows the name is its own: a segment left behind by a crashed (SIGKILLed) previous owner would
/// otherwise make every exclusive create fail with "exists" (the reference's Z12). Mappings of
/// the removed segment stay valid but are no longer reachable by name.
result<shared_region, shm_error> shm_create_or_replace(std::string_view name,
                                                       std::size_t size) noexcept;

/// Maps the existing segment `name` with its current size. A segment whose creator has not
/// sized it yet (size 0) is reported as `not_found`, so a caller can simply retry.
result<shared_region, shm_error> shm_open_existing(std::string_view name) noexcept;

/// Removes the name; existing mappings stay valid. `not_found` if there was no such segment.
result<void, shm_error> shm_unlink(std::string_view name) noexcept;

/// Regions of at most this size are pre-faulted when mapped (as the reference's rings of up to
/// 1 MiB are); larger regions are left to demand paging so a 32 MiB ring costs only what it uses.
inline constexpr std::size_t prefault_bytes_max = std::size_t{1} << 20;

/// Longest accepted name, including the leading '/': NAME_MAX minus room for the "/dev/shm"
/// prefix glibc adds.
inline constexpr std::size_t shm_name_bytes_max = 250;

/// True when `name` is a valid segment name ('/' then 1..249 characters without '/').
constexpr bool is_valid_shm_name(std::string_view name) noexcept {
  if (name.size() < 2 || name.size() > shm_name_bytes_max || name.front() != '/') {
    return false;
  }
  return name.find('/', 1) == std::string_view::npos;
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
