//! The plain-access hooks the compilers emit under -fsanitize=thread: reads and writes of 1, 2,
//! 4, 8 and 16 bytes (aligned, unaligned, volatile and compound read-write), address ranges
//! (g++), memcpy/memmove/memset, vtable-pointer accesses, function entry and exit (the shadow
//! stack), and __tsan_init.
//!
//! Every hook's fast path is one load of `hooks_hot` and a not-taken branch: outside a run, or
//! inside one with race detection off while fewer than two fibers can run, nothing can preempt the
//! access and nothing records it. The slow path first offers a scheduling point (the access happens
//! after the hook returns, so the strategy may run another fiber before it), then checks the
//! access against the shadow memory.

#include <cstdint>
#include <cstring>
#include <string>

#include "sim/instr/mem_functions.hpp"
#include "sim/instr/runtime.hpp"

namespace ipcsim::instr {

[[gnu::noinline]] void slow_access(const void* address, std::size_t size, bool write,
                                   std::uintptr_t pc) {
  if (!in_simulation() || size == 0) {
    return;
  }
  const runtime_scope scope;
  if (rt.active < 2 && rt.live >= 2 && ++rt.solo_accesses > rt.solo_access_limit) {
    end_run_with(finding::step_budget, "step budget exhausted: " +
                                           std::to_string(rt.solo_access_limit) +
                                           " accesses by a lone fiber (a spin that nobody ends?)");
  }
  access_point(write ? sim::op_kind::store : sim::op_kind::load, address,
               write ? "write" : "read");
  const auto where = reinterpret_cast<std::uintptr_t>(address);
  if (!rt.race_detection || in_static_tls(where)) {
    return;
  }
  if (auto race = shadow.on_access(self(), where, size, write, false, pc)) {
    end_run_with(finding::race, format_race(*race));
  }
}

}  // namespace ipcsim::instr

#define IPCSIM_RETURN_PC reinterpret_cast<std::uintptr_t>(__builtin_return_address(0))

#define IPCSIM_ACCESS_HOOK(name, bytes, is_write)                                 \
  extern "C" void name(void* address) {                                           \
    if (__builtin_expect(ipcsim::instr::hooks_hot, false)) {                      \
      ipcsim::instr::slow_access(address, bytes, is_write, IPCSIM_RETURN_PC);     \
    }                                                                             \
  }

#define IPCSIM_ACCESS_HOOKS_OF_SIZE(bytes)                                        \
  IPCSIM_ACCESS_HOOK(__tsan_read##bytes, bytes, false)                            \
  IPCSIM_ACCESS_HOOK(__tsan_write##bytes, bytes, true)                            \
  IPCSIM_ACCESS_HOOK(__tsan_unaligned_read##bytes, bytes, false)                  \
  IPCSIM_ACCESS_HOOK(__tsan_unaligned_write##bytes, bytes, true)                  \
  IPCSIM_ACCESS_HOOK(__tsan_volatile_read##bytes, bytes, false)                   \
  IPCSIM_ACCESS_HOOK(__tsan_volatile_write##bytes, bytes, true)                   \
  IPCSIM_ACCESS_HOOK(__tsan_unaligned_volatile_read##bytes, bytes, false)         \
  IPCSIM_ACCESS_HOOK(__tsan_unaligned_volatile_write##bytes, bytes, true)         \
  IPCSIM_ACCESS_HOOK(__tsan_read_write##bytes, bytes, true)                       \
  IPCSIM_ACCESS_HOOK(__tsan_unaligned_read_write##bytes, bytes, true)

IPCSIM_ACCESS_HOOKS_OF_SIZE(1)
IPCSIM_ACCESS_HOOKS_OF_SIZE(2)
IPCSIM_ACCESS_HOOKS_OF_SIZE(4)
IPCSIM_ACCESS_HOOKS_OF_SIZE(8)
IPCSIM_ACCESS_HOOKS_OF_SIZE(16)

extern "C" void __tsan_read_range(void* address, unsigned long size) {
  if (__builtin_expect(ipcsim::instr::hooks_hot, false)) {
    ipcsim::instr::slow_access(address, size, false, IPCSIM_RETURN_PC);
  }
}

extern "C" void __tsan_write_range(void* address, unsigned long size) {
  if (__builtin_expect(ipcsim::instr::hooks_hot, false)) {
    ipcsim::instr::slow_access(address, size, true, IPCSIM_RETURN_PC);
  }
}

extern "C" void __tsan_vptr_read(void** vptr) {
  if (__builtin_expect(ipcsim::instr::hooks_hot, false)) {
    ipcsim::instr::slow_access(vptr, sizeof(void*), false, IPCSIM_RETURN_PC);
  }
}

extern "C" void __tsan_vptr_update(void** vptr, void* new_value) {
  // Like TSan, an update that stores the same vtable pointer (a base constructor followed by the
  // same class) is a read, so destruction-order idioms do not report.
  if (__builtin_expect(ipcsim::instr::hooks_hot, false)) {
    ipcsim::instr::slow_access(vptr, sizeof(void*), *vptr != new_value, IPCSIM_RETURN_PC);
  }
}

// The real functions, not the interposed ones (mem_functions.cpp), which would record the copy
// a second time.
extern "C" void* __tsan_memcpy(void* target, const void* source, unsigned long size) {
  if (__builtin_expect(ipcsim::instr::hooks_hot, false)) {
    ipcsim::instr::slow_access(source, size, false, IPCSIM_RETURN_PC);
    ipcsim::instr::slow_access(target, size, true, IPCSIM_RETURN_PC);
  }
  return ipcsim::instr::real_memcpy(target, source, size);
}

extern "C" void* __tsan_memmove(void* target, const void* source, unsigned long size) {
  if (__builtin_expect(ipcsim::instr::hooks_hot, false)) {
    ipcsim::instr::slow_access(source, size, false, IPCSIM_RETURN_PC);
    ipcsim::instr::slow_access(target, size, true, IPCSIM_RETURN_PC);
  }
  return ipcsim::instr::real_memmove(target, source, size);
}

extern "C" void* __tsan_memset(void* target, int value, unsigned long size) {
  if (__builtin_expect(ipcsim::instr::hooks_hot, false)) {
    ipcsim::instr::slow_access(target, size, true, IPCSIM_RETURN_PC);
  }
  return ipcsim::instr::real_memset(target, value, size);
}

extern "C" void __tsan_func_entry(void* call_pc) {
  using namespace ipcsim::instr;
  if (__builtin_expect(hooks_hot, false) && rt.race_detection && rt.self != nullptr) {
    const runtime_scope scope;
    rt.self->stack_node =
        shadow.push_frame(rt.self->stack_node, reinterpret_cast<std::uintptr_t>(call_pc));
  }
}

extern "C" void __tsan_func_exit() {
  using namespace ipcsim::instr;
  if (__builtin_expect(hooks_hot, false) && rt.race_detection && rt.self != nullptr) {
    rt.self->stack_node = shadow.parent_of(rt.self->stack_node);
  }
}

/// Called from every instrumented module's constructor. The runtime needs no set-up there: it
/// takes over at __libc_start_main (entry.cpp).
extern "C" void __tsan_init() {}

/// Emitted by clang for functions with __attribute__((disable_sanitizer_instrumentation)) paths
/// and by some exception-handling cleanups; accesses are not ignored selectively here.
extern "C" void __tsan_ignore_thread_begin() {}
extern "C" void __tsan_ignore_thread_end() {}
