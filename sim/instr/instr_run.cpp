// instr_run: one run of the program in a world and its verdict.

#include "sim/instr/instr_run.hpp"

#include <sys/single_threaded.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>

#include "core/platform/assert.hpp"
#include "sim/instr/runtime.hpp"

namespace ipcsim::instr {

sim::run_result run_in_world(sim::world& world, void* (*main_body)(void*)) {
  IPC_ASSERT(!rt.running);
  rt.sim = &world;
  rt.fibers.clear();
  rt.self = nullptr;
  rt.active = 0;
  rt.live = 0;
  rt.found = finding::none;
  rt.report.clear();
  rt.exit_code = 0;
  rt.solo_accesses = 0;
  rt.atomic_writes = 0;
  rt.solo_access_limit = world.options().step_limit * 16;
  shadow.reset();
  reset_sync_tables();
  locate_static_tls();
  // Fibers share one OS thread, so glibc would keep its single-threaded shortcut and libstdc++
  // would turn shared_ptr reference counts into plain accesses (false races between fibers).
  __libc_single_threaded = 0;
  auto record = std::make_unique<instr_fiber>();
  instr_fiber& main_fiber = *record;
  main_fiber.name = "main";
  const std::uint32_t index = world.spawn(
      "main", [&main_fiber, main_body] { run_fiber_body(main_fiber, main_body, nullptr); });
  IPC_ASSERT(index == 0);
  rt.fibers.push_back(std::move(record));
  main_fiber.clock.tick(0);
  rt.active = 1;
  rt.live = 1;
  rt.running = true;
  update_hot();
  const runtime_scope scope;
  sim::run_result result = world.run();
  rt.running = false;
  rt.self = nullptr;
  update_hot();
  return result;
}

void classify(const sim::run_result& result, run_outcome& outcome) {
  switch (rt.found) {
    case finding::race:
      outcome.status = exec_protocol::status_race;
      outcome.message = rt.report;
      return;
    case finding::assert_failed:
      outcome.status = exec_protocol::status_assert;
      outcome.message = rt.report;
      return;
    case finding::exited:
      outcome.status =
          rt.exit_code == 0 ? exec_protocol::status_pass : exec_protocol::status_failed;
      outcome.message = rt.exit_code == 0 ? "" : "exit code " + std::to_string(rt.exit_code);
      return;
    case finding::step_budget:
      outcome.status = exec_protocol::status_timeout;
      outcome.message = rt.report;
      return;
    case finding::none:
      break;
  }
  switch (result.status) {
    case sim::run_status::passed:
      outcome.status = exec_protocol::status_pass;
      return;
    case sim::run_status::failed:
      outcome.status = exec_protocol::status_failed;
      outcome.message = result.message;
      return;
    case sim::run_status::deadlock:
      outcome.status = exec_protocol::status_deadlock;
      outcome.message = result.message + "\n" + describe_waits();
      return;
    case sim::run_status::livelock:
      outcome.status = exec_protocol::status_timeout;
      outcome.message = result.message;
      return;
  }
}

}  // namespace ipcsim::instr
