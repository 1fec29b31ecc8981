#include "tools/server/instance_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace ipcsim::server {

namespace {

std::string system_error(const char* call, const std::string& name) {
  return std::string(call) + "(" + name + ") failed: " + std::strerror(errno);
}

/// Whether `name` still leads to the segment open as `descriptor`.
bool names_same_segment(const std::string& name, int descriptor) {
  const int again = ::shm_open(name.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (again < 0) {
    return false;
  }
  struct stat held {};
  struct stat named {};
  const bool same = ::fstat(descriptor, &held) == 0 && ::fstat(again, &named) == 0 &&
                    held.st_dev == named.st_dev && held.st_ino == named.st_ino;
  ::close(again);
  return same;
}

}  // namespace

std::string instance_lock::name_for(const std::string& base) { return base + "_server_lock"; }

result<instance_lock, std::string> instance_lock::acquire(const std::string& base) {
  const std::string name = name_for(base);
  // A few rounds cover a concurrent release unlinking the segment under us.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const int descriptor = ::shm_open(name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (descriptor < 0) {
      return unexpected(system_error("shm_open", name));
    }
    if (::flock(descriptor, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      ::close(descriptor);
      if (error == EWOULDBLOCK) {
        return unexpected("another world-state-server is serving shared memory '" + base +
                          "' (it holds " + name + ")");
      }
      errno = error;
      return unexpected(system_error("flock", name));
    }
    if (names_same_segment(name, descriptor)) {
      return instance_lock(name, descriptor);
    }
    ::close(descriptor);
  }
  return unexpected("could not lock " + name + ": it keeps being replaced");
}

instance_lock::instance_lock(instance_lock&& other) noexcept
    : name_(std::move(other.name_)), descriptor_(std::exchange(other.descriptor_, -1)) {}

instance_lock& instance_lock::operator=(instance_lock&& other) noexcept {
  if (this != &other) {
    release();
    name_ = std::move(other.name_);
    descriptor_ = std::exchange(other.descriptor_, -1);
  }
  return *this;
}

instance_lock::~instance_lock() { release(); }

void instance_lock::release() noexcept {
  if (descriptor_ < 0) {
    return;
  }
  // Unlink while still holding the lock; see the header.
  ::shm_unlink(name_.c_str());
  ::close(std::exchange(descriptor_, -1));
}

}  // namespace ipcsim::server
