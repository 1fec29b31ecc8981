//! Thread-specific data and thread names inside a run. Keys are created by glibc (so their
//! values never collide with keys made before the run), but the values live per simulated thread;
//! a thread's non-null values are passed to the key destructors when the thread finishes, as
//! POSIX requires (one round; destructors that set values again are not re-run).
//! pthread_setname_np/getname_np accept the runtime's pthread_t values: setting is ignored (the
//! simulator's fiber names are the stable identities), getting returns the fiber name.

#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "sim/instr/real_functions.hpp"
#include "sim/instr/runtime.hpp"

namespace ipcsim::instr {

namespace {

/// Destructors of keys created inside runs, by key value.
std::vector<std::pair<pthread_key_t, void (*)(void*)>> key_destructors;

}  // namespace

void run_key_destructors(instr_fiber& fiber) {
  std::vector<std::pair<unsigned, void*>> values;
  values.swap(fiber.specifics);
  for (const auto& [key, value] : values) {
    const auto found = std::find_if(key_destructors.begin(), key_destructors.end(),
                                    [key = key](const auto& entry) { return entry.first == key; });
    if (value != nullptr && found != key_destructors.end() && found->second != nullptr) {
      const program_scope scope;
      found->second(value);
    }
  }
}

}  // namespace ipcsim::instr

using namespace ipcsim::instr;

extern "C" int pthread_key_create(pthread_key_t* key, void (*destructor)(void*)) {
  IPCSIM_REAL(pthread_key_create);
  if (!in_simulation()) {
    return real(key, destructor);
  }
  // glibc's own destructor must not run per OS thread with fiber values, so it gets none.
  const int result = real(key, nullptr);
  if (result == 0) {
    key_destructors.emplace_back(*key, destructor);
  }
  return result;
}

extern "C" void* pthread_getspecific(pthread_key_t key) noexcept {
  IPCSIM_REAL(pthread_getspecific);
  if (!in_simulation()) {
    return real(key);
  }
  for (const auto& [stored, value] : self().specifics) {
    if (stored == key) {
      return value;
    }
  }
  return nullptr;
}

extern "C" int pthread_setspecific(pthread_key_t key, const void* value) noexcept {
  IPCSIM_REAL(pthread_setspecific);
  if (!in_simulation()) {
    return real(key, value);
  }
  for (auto& [stored, current] : self().specifics) {
    if (stored == key) {
      current = const_cast<void*>(value);
      return 0;
    }
  }
  self().specifics.emplace_back(key, const_cast<void*>(value));
  return 0;
}

extern "C" int pthread_setname_np(pthread_t thread, const char* name) noexcept {
  IPCSIM_REAL(pthread_setname_np);
  if (!in_simulation()) {
    return real(thread, name);
  }
  return std::strlen(name) < 16 ? 0 : ERANGE;
}

extern "C" int pthread_getname_np(pthread_t thread, char* name, size_t length) noexcept {
  IPCSIM_REAL(pthread_getname_np);
  if (!in_simulation()) {
    return real(thread, name, length);
  }
  const auto* fiber = reinterpret_cast<const instr_fiber*>(thread);
  bool known = false;
  for (const auto& record : rt.fibers) {
    known = known || record.get() == fiber;
  }
  if (!known) {
    return ESRCH;
  }
  if (fiber->name.size() + 1 > length) {
    return ERANGE;
  }
  std::memcpy(name, fiber->name.c_str(), fiber->name.size() + 1);
  return 0;
}
