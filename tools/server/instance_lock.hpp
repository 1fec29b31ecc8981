#pragma once
// A lock that says "a live world-state-server serves this shared-memory base name".
//
// mpsc_server::create replaces whatever segments it finds under its names, which is right for
// the segments of a killed server (the reference's Z12: a stale segment must not block the next
// start) but would hijack the segments of a server that is still running. So before creating
// them, the server takes an exclusive flock on a segment of its own, `<base>_server_lock`, and
// holds it for its lifetime. The kernel drops the lock when the process dies however it dies, so
// a SIGKILLed server's lock never blocks anyone, and its leftover lock segment is simply reused.
//
// Release unlinks the name while still holding the lock. A newcomer that had opened the old
// segment then holds a lock on a nameless segment; acquire() notices that (the name no longer
// leads to the segment it locked) and starts over.

#include <string>

#include "core/platform/result.hpp"

namespace ipcsim::server {

class instance_lock {
 public:
  /// The lock segment's name for base name `base`.
  static std::string name_for(const std::string& base);

  /// Takes the lock for `base`, or says why not: another live server holds it, or a system call
  /// failed (the message names it).
  static result<instance_lock, std::string> acquire(const std::string& base);

  instance_lock(instance_lock&& other) noexcept;
  instance_lock& operator=(instance_lock&& other) noexcept;
  instance_lock(const instance_lock&) = delete;
  instance_lock& operator=(const instance_lock&) = delete;
  /// Unlinks the lock segment and releases the lock.
  ~instance_lock();

 private:
  instance_lock(std::string name, int descriptor) noexcept
      : name_(std::move(name)), descriptor_(descriptor) {}
  void release() noexcept;

  std::string name_;
  int descriptor_ = -1;
};

}  // namespace ipcsim::server
