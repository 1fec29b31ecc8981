//! Real flavour of named shared memory: POSIX shm_open/ftruncate/mmap. The segment is created with
//! O_EXCL and then fchmod'ed to exactly 0600 (the umask can only remove bits, but a permissive
//! process umask must not be able to widen access either). Small regions are mapped with
//! MAP_POPULATE, which pre-faults them without writing: a memset would be equally effective for the
//! creator but would clobber a segment another process is already using when we merely open it.

#include "core/platform/shared_memory.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "core/platform/assert.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::platform {

namespace {

constexpr mode_t owner_read_write = 0600;

shm_error from_errno(int error) noexcept {
  switch (error) {
    case EEXIST:
      return shm_error::exists;
    case ENOENT:
      return shm_error::not_found;
    case EINVAL:
    case ENAMETOOLONG:
    case EFBIG:
      return shm_error::invalid_argument;
    case EACCES:
    case EPERM:
      return shm_error::access_denied;
    case ENOMEM:
    case ENOSPC:
    case EMFILE:
    case ENFILE:
      return shm_error::no_memory;
    default:
      return shm_error::system;
  }
}

/// Closes `fd`, which is owned by the caller and valid. close() on a valid descriptor can only
/// fail with EINTR or EIO, and the descriptor is released either way on Linux.
void close_descriptor(int fd) noexcept {
  IPC_ASSERT(fd >= 0);
  static_cast<void>(::close(fd));
}

/// Maps `size` bytes of `fd` read-write and shared. The descriptor is not needed afterwards.
result<std::byte*, shm_error> map_descriptor(int fd, std::size_t size) noexcept {
  IPC_ASSERT(fd >= 0);
  IPC_ASSERT(size > 0);
  int flags = MAP_SHARED;
  if (size <= prefault_bytes_max) {
    flags |= MAP_POPULATE;
  }
  void* address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, flags, fd, 0);
  if (address == MAP_FAILED) {
    return unexpected(from_errno(errno));
  }
  return static_cast<std::byte*>(address);
}

}  // namespace

void shared_region::unmap() noexcept {
  if (data_ == nullptr) {
    return;
  }
  // munmap of a range we mapped ourselves cannot fail; a failure means the bookkeeping is broken.
  const int status = ::munmap(data_, size_);
  IPC_ASSERT(status == 0);
  data_ = nullptr;
  size_ = 0;
}

result<shared_region, shm_error> shm_create(std::string_view name, std::size_t size) noexcept {
  if (!is_valid_shm_name(name) || size == 0) {
    return unexpected(shm_error::invalid_argument);
  }
  const std::string path(name);
  const int fd = ::shm_open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, owner_read_write);
  if (fd < 0) {
    return unexpected(from_errno(errno));
  }
  // On any failure past this point the half-made segment is removed again, so a failed create
  // never leaves a stale name behind.
  auto fail = [&](shm_error error) -> result<shared_region, shm_error> {
    close_descriptor(fd);
    static_cast<void>(::shm_unlink(path.c_str()));
    return unexpected(error);
  };
  if (::fchmod(fd, owner_read_write) != 0) {
    return fail(from_errno(errno));
  }
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    return fail(from_errno(errno));
  }
  auto mapped = map_descriptor(fd, size);
  if (!mapped.has_value()) {
    return fail(mapped.error());
  }
  close_descriptor(fd);
  IPC_ASSERT(*mapped != nullptr);
  return shared_region(*mapped, size);
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
  if (!is_valid_shm_name(name)) {
    return unexpected(shm_error::invalid_argument);
  }
  const std::string path(name);
  const int fd = ::shm_open(path.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) {
    return unexpected(from_errno(errno));
  }
  struct stat status {};
  if (::fstat(fd, &status) != 0) {
    const int error = errno;
    close_descriptor(fd);
    return unexpected(from_errno(error));
  }
  if (status.st_size <= 0) {
    // The creator has made the name but not sized it yet.
    close_descriptor(fd);
    return unexpected(shm_error::not_found);
  }
  const auto size = static_cast<std::size_t>(status.st_size);
  auto mapped = map_descriptor(fd, size);
  close_descriptor(fd);
  if (!mapped.has_value()) {
    return unexpected(mapped.error());
  }
  return shared_region(*mapped, size);
}

result<void, shm_error> shm_unlink(std::string_view name) noexcept {
  if (!is_valid_shm_name(name)) {
    return unexpected(shm_error::invalid_argument);
  }
  const std::string path(name);
  if (::shm_unlink(path.c_str()) != 0) {
    return unexpected(from_errno(errno));
  }
  return {};
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::platform
