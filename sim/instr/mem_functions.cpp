//! Interposed memcpy, memmove and memset, so that copies the program makes through the C library
//! are race-checked like its instrumented loads and stores.
//!
//! Why. At -O0 both compilers leave an explicit `memcpy(...)` (and clang even a struct copy) as a
//! call to the C library, not a `__tsan_memcpy` hook, so a ring's payload copy would otherwise be
//! invisible. The executable defines these three symbols, so every call through the PLT reaches
//! them: the program's own calls, and libstdc++.so's (a std::string append made for the program).
//! glibc's internal calls use hidden aliases and never arrive here.
//!
//! What is recorded. A copy is a read of the source range and a write of the target range, by the
//! running fiber, with the caller's PC, exactly like `__tsan_memcpy`; memset is a write. Only
//! while a run is active (`hooks_hot`) and program code is running (`in_program_code`, see
//! program_code.hpp): the runtime and the world copy memory too (vectors growing inside a hook,
//! trace records), and recording those would report races on the runtime's private memory.
//!
//! The real functions are found with dlsym(RTLD_NEXT) on first use. Until then (dlsym itself may
//! copy memory, and a static constructor may copy before anything resolved them) a byte loop over
//! volatile pointers does the work: volatile keeps the compiler from turning the loop back into a
//! memcpy call, which would recurse.

#include "sim/instr/mem_functions.hpp"

#include <dlfcn.h>
#include <sys/types.h>

#include "sim/instr/runtime.hpp"

namespace ipcsim::instr {

void slow_access(const void* address, std::size_t size, bool write, std::uintptr_t pc);

namespace {

using copy_function = void* (*)(void*, const void*, std::size_t);
using set_function = void* (*)(void*, int, std::size_t);

struct real_memory_functions {
  copy_function copy = nullptr;
  copy_function move = nullptr;
  set_function set = nullptr;
};

real_memory_functions functions;
bool resolving = false;

void* bootstrap_move(void* target, const void* source, std::size_t size) noexcept {
  auto* to = static_cast<volatile unsigned char*>(target);
  const auto* from = static_cast<const volatile unsigned char*>(source);
  if (to < from) {
    for (std::size_t index = 0; index < size; ++index) {
      to[index] = from[index];
    }
  } else {
    for (std::size_t index = size; index > 0; --index) {
      to[index - 1] = from[index - 1];
    }
  }
  return target;
}

void* bootstrap_set(void* target, int value, std::size_t size) noexcept {
  auto* to = static_cast<volatile unsigned char*>(target);
  for (std::size_t index = 0; index < size; ++index) {
    to[index] = static_cast<unsigned char>(value);
  }
  return target;
}

/// Resolves all three once. Concurrent first calls from real threads (before a run) may both
/// resolve; they store the same values.
const real_memory_functions& resolved() noexcept {
  if (__builtin_expect(__atomic_load_n(&functions.set, __ATOMIC_ACQUIRE) != nullptr, true)) {
    return functions;
  }
  static const real_memory_functions bootstrap{bootstrap_move, bootstrap_move, bootstrap_set};
  if (resolving) {
    return bootstrap;
  }
  resolving = true;
  auto* copy = reinterpret_cast<copy_function>(dlsym(RTLD_NEXT, "memcpy"));
  auto* move = reinterpret_cast<copy_function>(dlsym(RTLD_NEXT, "memmove"));
  auto* set = reinterpret_cast<set_function>(dlsym(RTLD_NEXT, "memset"));
  resolving = false;
  if (copy == nullptr || move == nullptr || set == nullptr) {
    return bootstrap;
  }
  functions.copy = copy;
  functions.move = move;
  __atomic_store_n(&functions.set, set, __ATOMIC_RELEASE);
  return functions;
}

bool records_copy() noexcept {
  return __builtin_expect(hooks_hot, false) && in_program_code && !shadow_busy;
}

}  // namespace

void* real_memcpy(void* target, const void* source, std::size_t size) noexcept {
  return resolved().copy(target, source, size);
}

void* real_memmove(void* target, const void* source, std::size_t size) noexcept {
  return resolved().move(target, source, size);
}

void* real_memset(void* target, int value, std::size_t size) noexcept {
  return resolved().set(target, value, size);
}

void record_program_copy(void* target, const void* source, std::size_t size, std::uintptr_t pc) {
  if (source != nullptr) {
    slow_access(source, size, false, pc);
  }
  slow_access(target, size, true, pc);
}

}  // namespace ipcsim::instr

#define IPCSIM_CALLER_PC reinterpret_cast<std::uintptr_t>(__builtin_return_address(0))

extern "C" void* memcpy(void* target, const void* source, size_t size) noexcept {
  if (ipcsim::instr::records_copy()) {
    ipcsim::instr::record_program_copy(target, source, size, IPCSIM_CALLER_PC);
  }
  return ipcsim::instr::real_memcpy(target, source, size);
}

extern "C" void* memmove(void* target, const void* source, size_t size) noexcept {
  if (ipcsim::instr::records_copy()) {
    ipcsim::instr::record_program_copy(target, source, size, IPCSIM_CALLER_PC);
  }
  return ipcsim::instr::real_memmove(target, source, size);
}

extern "C" void* memset(void* target, int value, size_t size) noexcept {
  if (ipcsim::instr::records_copy()) {
    ipcsim::instr::record_program_copy(target, nullptr, size, IPCSIM_CALLER_PC);
  }
  return ipcsim::instr::real_memset(target, value, size);
}
