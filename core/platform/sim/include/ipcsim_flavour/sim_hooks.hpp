#pragma once
// Sim flavour: the entry points the seam's templates call into. They are declared here and defined
// by the simulator (sim/), which finds the running world through a thread-local pointer. When no
// world is running (objects built or inspected from the test's main thread) every hook is a no-op,
// so seam objects work outside a simulation too.

#include <cstdint>

namespace ipcsim::inline sim::platform::detail {

/// What a fiber is about to do at a scheduling point; recorded in traces and shown to strategies
/// so that partial-order strategies can see conflicting accesses.
enum class op_kind : std::uint8_t {
  load,
  store,
  read_modify_write,
  compare_exchange,
  futex_wait,
  futex_wake,
  spin_wait,
  yield,
  clock_read,
  sleep,
  thread_start,
  thread_join,
  io,
  fault,
  count_,
};

/// Short stable name of an op kind ("load", "futex_wait", ...), used in traces and reports.
const char* op_kind_name(op_kind kind) noexcept;

/// True for kinds that may change the object's value (stores, read-modify-writes, CAS).
constexpr bool is_write(op_kind kind) noexcept {
  return kind == op_kind::store || kind == op_kind::read_modify_write ||
         kind == op_kind::compare_exchange;
}

/// A scheduling point before an operation on `object`. The simulator may run other fibers before
/// returning. `file`/`line` identify the call site; `file` must be a string literal.
void schedule_point(op_kind kind, const void* object, const char* file,
                    std::uint32_t line) noexcept;

/// The compare-exchange announced at the last scheduling point failed and so wrote nothing: it
/// must neither wake fibers spin-blocked on the object nor count as progress for spinners.
void write_not_performed() noexcept;

/// `object` is being destroyed: a later object at the same address gets a fresh id, so ids do
/// not depend on whether the allocator happens to reuse an address.
void object_destroyed(const void* object) noexcept;

/// A snapshot of the world's write counter, taken before a spin predicate is evaluated.
std::uint64_t spin_ticket() noexcept;

/// Blocks the calling fiber until `watched` is written by another fiber or `deadline_ns` (virtual,
/// absolute) passes. One scheduling point. Returns at once when anything was written since
/// `ticket` (the predicate may have read a stale value), or outside a simulation.
void spin_block(const void* watched, std::int64_t deadline_ns, std::uint64_t ticket,
                const char* file, std::uint32_t line) noexcept;

}  // namespace ipcsim::inline sim::platform::detail
