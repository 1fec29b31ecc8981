//! The atomic hooks: __tsan_atomic{8,16,32,64,128}_{load,store,exchange,fetch_*,
//! compare_exchange_{val,strong,weak}} and the fences. Each performs the operation and returns
//! what the real one returns; inside a run it is first a scheduling point, and with race
//! detection on it is an atomic access in the shadow plus the happens-before edge its memory order
//! implies.
//!
//! Memory orders arrive as 0..5 (relaxed, consume, acquire, release, acq_rel, seq_cst). seq_cst
//! is treated as acq_rel: the simulator runs one fiber at a time, so every execution it explores
//! is sequentially consistent anyway; what it must not miss is a *missing* edge. Release sequences
//! follow C++20: a release stores the writer's clock in the location's sync clock, a later RMW of
//! any order keeps it (and a release RMW joins its own), a relaxed plain store replaces it (with
//! the clock of the writer's last release fence, if any). A relaxed load remembers the sync clock
//! for the fiber's next acquire fence.
//!
//! Sizes 1..8 use the __atomic builtins, so the hooks stay correct outside runs, where real
//! threads may exist. 16-byte operations are plain memory operations: inside a run only one fiber
//! executes, and outside one a program that uses 128-bit atomics from several real threads is not
//! supported.

#include <cstdint>

#include "sim/instr/runtime.hpp"

namespace ipcsim::instr {

namespace {

constexpr bool acquires(int order) noexcept {
  return order == 1 || order == 2 || order == 4 || order == 5;
}
constexpr bool releases(int order) noexcept { return order == 3 || order == 4 || order == 5; }

enum class atomic_kind : std::uint8_t { load, store, rmw };

/// Atomic loads in a row, with no atomic write by anyone, after which a fiber gives way.
constexpr std::uint32_t spin_loads_limit = 32;

/// CHESS-style fairness for spins the world cannot recognise. The world deprioritises a fiber
/// that loads the same object again and again with nothing written in between, but a spin that
/// alternates between objects (the ring's spin reads tail and head) or also reads the clock (a
/// spin bounded in time, whose virtual time never passes while the peer can run) escapes it, and
/// under PCT the spinning fiber, having the higher priority, would then run forever. So after
/// `spin_loads_limit` atomic loads without any atomic write, every further load is a yield (the
/// world lets another fiber run first) until some fiber writes an atomic again. Nothing changes
/// for a fiber that is not spinning.
bool gives_way(instr_fiber& me, atomic_kind kind) noexcept {
  if (kind != atomic_kind::load) {
    ++rt.atomic_writes;
    return false;
  }
  if (me.seen_atomic_writes != rt.atomic_writes) {
    me.seen_atomic_writes = rt.atomic_writes;
    me.spin_loads = 0;
    return false;
  }
  if (me.spin_loads < spin_loads_limit) {
    ++me.spin_loads;
    return false;
  }
  return true;
}

/// Scheduling point and shadow check before an atomic operation; false outside a run.
bool before_atomic(const volatile void* address, std::size_t size, atomic_kind kind,
                   std::uintptr_t pc) {
  if (!in_simulation()) {
    return false;
  }
  const runtime_scope scope;
  const sim::op_kind op = gives_way(self(), kind)      ? sim::op_kind::yield
                          : kind == atomic_kind::load  ? sim::op_kind::load
                          : kind == atomic_kind::store ? sim::op_kind::store
                                                       : sim::op_kind::read_modify_write;
  access_point(op, const_cast<const void*>(address), "atomic");
  if (!rt.race_detection) {
    return false;
  }
  const auto where = reinterpret_cast<std::uintptr_t>(address);
  if (auto race = shadow.on_access(self(), where, size, kind != atomic_kind::load, true, pc)) {
    end_run_with(finding::race, format_race(*race));
  }
  return true;
}

void after_load(const volatile void* address, int order) {
  const runtime_scope scope;
  instr_fiber& me = self();
  const vector_clock& sync = shadow.sync_clock(reinterpret_cast<std::uintptr_t>(address));
  if (acquires(order)) {
    me.clock.join(sync);
  } else {
    me.acquire_pending.join(sync);
  }
}

void after_store(const volatile void* address, int order) {
  const runtime_scope scope;
  instr_fiber& me = self();
  vector_clock& sync = shadow.sync_clock(reinterpret_cast<std::uintptr_t>(address));
  if (releases(order)) {
    sync = me.clock;
    me.clock.tick(me.index);
  } else if (me.has_release_fence) {
    sync = me.release_fence;
  } else {
    sync.clear();
  }
}

void after_rmw(const volatile void* address, int order) {
  const runtime_scope scope;
  instr_fiber& me = self();
  vector_clock& sync = shadow.sync_clock(reinterpret_cast<std::uintptr_t>(address));
  if (acquires(order)) {
    me.clock.join(sync);
  } else {
    me.acquire_pending.join(sync);
  }
  if (releases(order)) {
    sync.join(me.clock);
    me.clock.tick(me.index);
  } else if (me.has_release_fence) {
    sync.join(me.release_fence);
  }
}

template <class T>
T raw_load(volatile T* address) noexcept {
  if constexpr (sizeof(T) <= 8) {
    return __atomic_load_n(address, __ATOMIC_SEQ_CST);
  } else {
    return *address;
  }
}

template <class T>
void raw_store(volatile T* address, T value) noexcept {
  if constexpr (sizeof(T) <= 8) {
    __atomic_store_n(address, value, __ATOMIC_SEQ_CST);
  } else {
    *address = value;
  }
}

template <class T>
bool raw_cas(volatile T* address, T* expected, T desired) noexcept {
  if constexpr (sizeof(T) <= 8) {
    return __atomic_compare_exchange_n(address, expected, desired, false, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST);
  } else {
    const T current = *address;
    if (current == *expected) {
      *address = desired;
      return true;
    }
    *expected = current;
    return false;
  }
}

/// A read-modify-write through a CAS loop, so one template serves every operation and size.
template <class T, class Op>
T raw_rmw(volatile T* address, T operand, Op op) noexcept {
  T old = raw_load(address);
  while (!raw_cas(address, &old, op(old, operand))) {
  }
  return old;
}

}  // namespace

/// Two's-complement wrap-around without signed-overflow UB, as the hardware's atomic add does.
template <class T>
T wrapping_add(T a, T b) noexcept {
  T sum;
  __builtin_add_overflow(a, b, &sum);
  return sum;
}

template <class T>
T wrapping_sub(T a, T b) noexcept {
  T difference;
  __builtin_sub_overflow(a, b, &difference);
  return difference;
}

/// Remembers a load that read another fiber's atomic store without synchronising with it (see
/// instr_fiber::unsynchronised_read); called after the load's edge has been applied.
void note_observation(const volatile void* address, std::size_t size, std::uintptr_t pc) {
  const runtime_scope scope;
  instr_fiber& me = self();
  const auto where = reinterpret_cast<std::uintptr_t>(address);
  const std::optional<access_record> store = shadow.last_write_at(where);
  if (!store || !store->atomic || store->fiber == me.index ||
      me.clock.get(store->fiber) >= store->epoch) {
    return;
  }
  access_record load;
  load.fiber = me.index;
  load.epoch = me.clock.get(me.index);
  load.stack = me.stack_node;
  load.atomic = true;
  load.pc = pc;
  load.address = where;
  load.access_size = static_cast<std::uint32_t>(size);
  me.unsynchronised_read = race_pair{*store, load};
}

template <class T>
T atomic_load(const volatile T* address, int order, std::uintptr_t pc) {
  const bool tracked = hooks_hot && before_atomic(address, sizeof(T), atomic_kind::load, pc);
  const T value = raw_load(const_cast<volatile T*>(address));
  if (tracked) {
    after_load(address, order);
    note_observation(address, sizeof(T), pc);
  }
  return value;
}

template <class T>
void atomic_store(volatile T* address, T value, int order, std::uintptr_t pc) {
  const bool tracked = hooks_hot && before_atomic(address, sizeof(T), atomic_kind::store, pc);
  raw_store(address, value);
  if (tracked) {
    after_store(address, order);
  }
}

template <class T, class Op>
T atomic_rmw(volatile T* address, T operand, int order, std::uintptr_t pc, Op op) {
  const bool tracked = hooks_hot && before_atomic(address, sizeof(T), atomic_kind::rmw, pc);
  const T old = raw_rmw(address, operand, op);
  if (tracked) {
    after_rmw(address, order);
  }
  return old;
}

/// Compare-exchange: on success an RMW with `order`, on failure a load with `failure_order`.
template <class T>
bool atomic_cas(volatile T* address, T* expected, T desired, int order, int failure_order,
                std::uintptr_t pc) {
  const bool tracked = hooks_hot && before_atomic(address, sizeof(T), atomic_kind::rmw, pc);
  const bool swapped = raw_cas(address, expected, desired);
  if (tracked) {
    if (swapped) {
      after_rmw(address, order);
    } else {
      after_load(address, failure_order);
    }
  }
  return swapped;
}

void atomic_fence(int order) {
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (!hooks_hot || !in_simulation() || !rt.race_detection) {
    return;
  }
  const runtime_scope scope;
  instr_fiber& me = self();
  if (acquires(order)) {
    me.clock.join(me.acquire_pending);
  }
  if (releases(order)) {
    me.release_fence = me.clock;
    me.has_release_fence = true;
    me.clock.tick(me.index);
  }
}

}  // namespace ipcsim::instr

#define IPCSIM_PC reinterpret_cast<std::uintptr_t>(__builtin_return_address(0))

#define IPCSIM_ATOMIC_RMW(bits, type, op_name, expression)                                   \
  extern "C" type __tsan_atomic##bits##_##op_name(volatile type* a, type v, int mo) {        \
    return ipcsim::instr::atomic_rmw<type>(a, v, mo, IPCSIM_PC,                              \
                                           [](type old, type operand) -> type {              \
                                             return static_cast<type>(expression);           \
                                           });                                               \
  }

#define IPCSIM_ATOMIC_HOOKS(bits, type)                                                      \
  extern "C" type __tsan_atomic##bits##_load(const volatile type* a, int mo) {               \
    return ipcsim::instr::atomic_load<type>(a, mo, IPCSIM_PC);                               \
  }                                                                                          \
  extern "C" void __tsan_atomic##bits##_store(volatile type* a, type v, int mo) {            \
    ipcsim::instr::atomic_store<type>(a, v, mo, IPCSIM_PC);                                  \
  }                                                                                          \
  IPCSIM_ATOMIC_RMW(bits, type, exchange, ((void)old, operand))                                 \
  IPCSIM_ATOMIC_RMW(bits, type, fetch_add, ipcsim::instr::wrapping_add(old, operand))      \
  IPCSIM_ATOMIC_RMW(bits, type, fetch_sub, ipcsim::instr::wrapping_sub(old, operand))      \
  IPCSIM_ATOMIC_RMW(bits, type, fetch_and, old & operand)                                    \
  IPCSIM_ATOMIC_RMW(bits, type, fetch_or, old | operand)                                     \
  IPCSIM_ATOMIC_RMW(bits, type, fetch_xor, old ^ operand)                                    \
  IPCSIM_ATOMIC_RMW(bits, type, fetch_nand, ~(old & operand))                                \
  extern "C" int __tsan_atomic##bits##_compare_exchange_strong(volatile type* a, type* c,    \
                                                               type v, int mo, int fmo) {    \
    return ipcsim::instr::atomic_cas<type>(a, c, v, mo, fmo, IPCSIM_PC) ? 1 : 0;             \
  }                                                                                          \
  extern "C" int __tsan_atomic##bits##_compare_exchange_weak(volatile type* a, type* c,      \
                                                             type v, int mo, int fmo) {      \
    return ipcsim::instr::atomic_cas<type>(a, c, v, mo, fmo, IPCSIM_PC) ? 1 : 0;             \
  }                                                                                          \
  extern "C" type __tsan_atomic##bits##_compare_exchange_val(volatile type* a, type c,       \
                                                             type v, int mo, int fmo) {      \
    ipcsim::instr::atomic_cas<type>(a, &c, v, mo, fmo, IPCSIM_PC);                           \
    return c;                                                                                \
  }

IPCSIM_ATOMIC_HOOKS(8, char)
IPCSIM_ATOMIC_HOOKS(16, short)
IPCSIM_ATOMIC_HOOKS(32, int)
IPCSIM_ATOMIC_HOOKS(64, long)
__extension__ typedef __int128 ipcsim_int128;
IPCSIM_ATOMIC_HOOKS(128, ipcsim_int128)

extern "C" void __tsan_atomic_thread_fence(int mo) { ipcsim::instr::atomic_fence(mo); }

extern "C" void __tsan_atomic_signal_fence(int mo) {
  static_cast<void>(mo);
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
}
