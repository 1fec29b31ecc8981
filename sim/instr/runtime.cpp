// runtime: the shared state, scheduling points, parking, fiber lifetimes and happens-before
// edges of the instrumentation runtime (see runtime.hpp for how the pieces fit).

#include "sim/instr/runtime.hpp"

#include <algorithm>
#include <chrono>

#include <dlfcn.h>

#include "core/platform/assert.hpp"

namespace ipcsim::instr {

runtime_state rt;
race_detector shadow;
thread_local bool in_program_code = false;
// Hidden: the hooks then read it RIP-relative instead of through the GOT.
[[gnu::visibility("hidden")]] bool hooks_hot = false;

namespace {
/// An upper bound of glibc's struct pthread on x86-64 (2304 bytes in glibc 2.36).
constexpr std::uintptr_t thread_descriptor_bytes = 4096;
}  // namespace

void update_hot() noexcept {
  hooks_hot = rt.running && (rt.race_detection || rt.active >= 2);
}

void locate_static_tls() noexcept {
  // glibc's ld.so reports the static TLS size (the sanitizers use the same private function).
  // On x86-64 the block ends at the thread pointer, followed by the thread descriptor.
  using info_function = void (*)(std::size_t*, std::size_t*);
  static const auto info =
      reinterpret_cast<info_function>(dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info"));
  std::size_t size = 64 * 1024;
  std::size_t align = 0;
  if (info != nullptr) {
    info(&size, &align);
  }
  const auto thread_pointer = reinterpret_cast<std::uintptr_t>(__builtin_thread_pointer());
  rt.tls_begin = thread_pointer - size;
  rt.tls_end = thread_pointer + thread_descriptor_bytes;
}

void sync_point(sim::op_kind kind, const void* object, const char* site) {
  enter_world([&](sim::world& w) { w.schedule_point(kind, object, site, 0); });
}

void access_point(sim::op_kind kind, const void* object, const char* site) {
  if (rt.active >= 2) {
    sync_point(kind, object, site);
  }
}

namespace {

void set_parked(instr_fiber& fiber, bool parked) noexcept {
  if (fiber.parked == parked) {
    return;
  }
  fiber.parked = parked;
  if (parked) {
    IPC_ASSERT(rt.active > 0);
    --rt.active;
  } else {
    ++rt.active;
  }
  update_hot();
}

}  // namespace

bool park(const char* wait_kind, const void* object, std::int64_t deadline_ns,
          bool* spurious) {
  instr_fiber& me = self();
  me.wait_kind = wait_kind;
  me.wait_object = object;
  set_parked(me, true);
  while (!me.signalled) {
    // The word is read before the world's scheduling point: a waker that runs in that point
    // changes it, and the wait then returns at once instead of missing the wake.
    const std::uint32_t seen = me.park_word.peek_unscheduled();
    platform::clock::duration timeout = platform::no_timeout;
    if (deadline_ns >= 0) {
      const std::int64_t now = virtual_now_ns();
      if (now >= deadline_ns) {
        break;
      }
      timeout = platform::clock::duration(deadline_ns - now);
    }
    const platform::futex_result result = enter_world([&](sim::world& w) {
      return w.futex_wait(me.park_word, seen, timeout, wait_kind, 0);
    });
    // Only the world's injected spurious wakeups return `woken` without a waker: every unpark
    // signals first.
    if (spurious != nullptr && result == platform::futex_result::woken && !me.signalled) {
      *spurious = true;
      break;
    }
  }
  set_parked(me, false);
  me.wait_kind = nullptr;
  me.wait_object = nullptr;
  return me.signalled;
}

void unpark(instr_fiber& target) {
  IPC_ASSERT(!target.signalled);
  IPC_ASSERT(&target != rt.self);
  target.signalled = true;
  set_parked(target, false);
  enter_world([&](sim::world&) {
    target.park_word.store(target.park_word.peek_unscheduled() + 1, std::memory_order_relaxed,
                           "unpark", 0);
  });
  enter_world([&](sim::world& w) { w.futex_wake(target.park_word, 1, "unpark", 0); });
}

void sleep_ns(std::int64_t duration_ns) {
  instr_fiber& me = self();
  me.wait_kind = "sleep";
  me.wait_object = nullptr;
  set_parked(me, duration_ns > 0);
  enter_world([&](sim::world& w) { w.sleep_for(platform::clock::duration(duration_ns)); });
  set_parked(me, false);
  me.wait_kind = nullptr;
}

void drop_from_queue(wait_queue& queue, const instr_fiber* fiber) noexcept {
  const auto found = std::find(queue.begin(), queue.end(), fiber);
  if (found != queue.end()) {
    queue.erase(found);
  }
}

void end_run_with(finding kind, std::string report) {
  // Never returns to the program: the world takes over for good.
  in_program_code = false;
  if (rt.found == finding::none) {
    rt.found = kind;
    rt.report = report;
  }
  IPC_ASSERT(in_simulation());
  rt.sim->fail(std::move(report));
  IPC_UNREACHABLE();
}

void release_into(vector_clock& sync) {
  if (!rt.race_detection) {
    return;
  }
  instr_fiber& me = self();
  sync.join(me.clock);
  me.clock.tick(me.index);
}

void acquire_from(const vector_clock& sync) {
  if (!rt.race_detection) {
    return;
  }
  self().clock.join(sync);
}

std::int64_t virtual_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(rt.sim->now().time_since_epoch())
      .count();
}

void run_fiber_body(instr_fiber& fiber, void* (*start)(void*), void* arg) {
  rt.self = &fiber;
  fiber.pid = rt.sim->current_pid();
  // The stack may have hosted an earlier fiber of this run; its shadow would report false races
  // between the two fibers' locals.
  char top = 0;
  const auto top_address = reinterpret_cast<std::uintptr_t>(&top);
  if (rt.race_detection && top_address > rt.stack_bytes) {
    shadow.forget(top_address - rt.stack_bytes, rt.stack_bytes);
  }
  in_program_code = true;
  void* const retval = start(arg);
  in_program_code = false;
  finish_fiber(fiber, retval);
}

instr_fiber& spawn_fiber(std::string name, void* (*start)(void*), void* arg) {
  auto record = std::make_unique<instr_fiber>();
  instr_fiber& child = *record;
  child.name = name;
  const sim::pid_type pid = rt.sim->add_process(name);
  child.pid = pid;
  // world::spawn holds a scheduling point in which other fibers may spawn too, so the index is
  // known only once it returns; the child cannot run before that.
  const std::uint32_t index = enter_world([&](sim::world& w) {
    return w.spawn(pid, std::move(name),
                   [&child, start, arg] { run_fiber_body(child, start, arg); });
  });
  child.index = index;
  if (rt.fibers.size() <= index) {
    rt.fibers.resize(index + 1);
  }
  IPC_ASSERT(!rt.fibers[index]);
  rt.fibers[index] = std::move(record);
  if (rt.self != nullptr) {
    child.clock = rt.self->clock;
    rt.self->clock.tick(rt.self->index);
  }
  child.clock.tick(index);
  ++rt.active;
  ++rt.live;
  update_hot();
  return child;
}

void finish_fiber(instr_fiber& fiber, void* retval) {
  IPC_ASSERT(&fiber == rt.self);
  IPC_ASSERT(!fiber.finished);
  run_key_destructors(fiber);
  fiber.retval = retval;
  fiber.finished = true;
  if (fiber.joiner != no_index) {
    unpark(*rt.fibers[fiber.joiner]);
  }
  IPC_ASSERT(rt.active > 0);
  IPC_ASSERT(rt.live > 0);
  --rt.active;
  --rt.live;
  update_hot();
}

std::string describe_waits() {
  std::string lines;
  for (const auto& fiber : rt.fibers) {
    if (!fiber || fiber->finished) {
      continue;
    }
    lines += "  fiber '" + fiber->name + "': ";
    if (fiber->wait_kind == nullptr) {
      lines += "not parked (blocked in the world or runnable)\n";
      continue;
    }
    lines += std::string("waits in ") + fiber->wait_kind + " on " +
             describe_sync_object(fiber->wait_kind, fiber->wait_object) + "\n";
  }
  return lines;
}

}  // namespace ipcsim::instr
