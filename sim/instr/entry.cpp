//! The way in: __libc_start_main is interposed (the executable's _start calls it before any of
//! the program's code beyond static constructors), and the real one is called with a wrapper in
//! place of main. The wrapper either serves `ipcsim exec` as a fork server (IPCSIM_EXEC_CTL set;
//! see exec_protocol.hpp) or runs main once under the simulator (standalone).
//!
//! One run: a fresh sim::world with the requested strategy (or a label-based replay of a trace),
//! main as fiber "main", race detection on. The verdict: a race, an assertion/abort, exit() or a
//! return from main (a non-zero code is a failure), the world's deadlock (with every parked
//! fiber's wait), or the step budget (status "timeout").

#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "replay/trace_file.hpp"
#include "sim/instr/crash_report.hpp"
#include "sim/instr/exec_protocol.hpp"
#include "sim/instr/instr_run.hpp"
#include "sim/instr/real_functions.hpp"
#include "sim/instr/runtime.hpp"

namespace ipcsim::instr {

namespace {

using main_function = int (*)(int, char**, char**);

struct program_entry {
  main_function main = nullptr;
  int argc = 0;
  char** argv = nullptr;
  char** envp = nullptr;
};

program_entry program;
/// Where a crash during the next run writes its trace (exec: the request's path; standalone:
/// IPCSIM_TRACE_OUT).
std::string crash_trace_path;

std::string absolute_program_path(const char* argv0) {
  char resolved[PATH_MAX];
  if (argv0 != nullptr && std::strchr(argv0, '/') != nullptr &&
      realpath(argv0, resolved) != nullptr) {
    return resolved;
  }
  const ssize_t length = readlink("/proc/self/exe", resolved, sizeof resolved - 1);
  if (length > 0) {
    resolved[length] = '\0';
    return resolved;
  }
  return argv0 != nullptr ? argv0 : "?";
}

std::string base_name(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void* run_main_fiber(void*) {
  const int code = program.main(program.argc, program.argv, program.envp);
  rt.exit_code = code;
  end_run_with(finding::exited, "main returned " + std::to_string(code));
}

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr) {
    return fallback;
  }
  return exec_protocol::parse_u64(text).value_or(fallback);
}

}  // namespace

run_outcome run_program(const exec_protocol::run_request& request) {
  run_outcome outcome;
  std::unique_ptr<sim::strategy> chooser;
  std::uint64_t seed = request.seed;
  if (request.is_replay()) {
    auto loaded = replay::read_trace_file(request.replay_trace_path);
    if (!loaded) {
      outcome.usage_error =
          "cannot read trace " + request.replay_trace_path + ": " + loaded.error();
      return outcome;
    }
    seed = loaded->seed;
    const auto fallback = request.strategy == exec_protocol::strategy_shrink
                              ? sim::replay_strategy::fallback::continue_current
                              : sim::replay_strategy::fallback::seeded_random;
    chooser = std::make_unique<sim::replay_strategy>(replay::schedule_of(*loaded), fallback, seed);
  } else {
    chooser = sim::make_strategy(request.strategy);
    if (!chooser) {
      outcome.usage_error = "unknown strategy '" + request.strategy + "' (known: " +
                            sim::strategy_names() + ")";
      return outcome;
    }
  }
  sim::prng_source source(seed);
  sim::world_options options;
  options.step_limit = request.max_steps;
  options.stack_bytes = rt.stack_bytes;
  options.spurious_wakeup_one_in =
      static_cast<std::uint32_t>(env_number("IPCSIM_SPURIOUS_ONE_IN", 0));
  sim::world world(options, *chooser, source);
  outcome.strategy = request.is_replay() ? "replay" : chooser->describe();
  outcome.seed = seed;
  std::vector<std::string> command(program.argv, program.argv + program.argc);
  command[0] = absolute_program_path(program.argv[0]);
  const std::string scenario =
      std::string(exec_protocol::scenario_prefix) + base_name(command[0]);
  arm_crash_report(crash_context{scenario, command, seed, outcome.strategy, crash_trace_path});
  const sim::run_result result = run_in_world(world, run_main_fiber);
  disarm_crash_report();
  classify(result, outcome);
  std::vector<std::string> names;
  for (std::uint32_t i = 0; i < world.fiber_count(); ++i) {
    names.push_back(world.fiber_name(i));
  }
  outcome.trace =
      replay::make_trace_file(scenario, seed, outcome.strategy, result, world.trace(), names);
  outcome.trace.status = outcome.status;
  outcome.trace.message = outcome.message;
  outcome.trace.command = command;
  return outcome;
}

namespace {

void print_outcome(const run_outcome& outcome) {
  std::fprintf(stderr,
               "ipcsim-instr: %s seed=%llu strategy=%s steps=%llu decisions=%llu hash=%016llx\n",
               outcome.status.c_str(), static_cast<unsigned long long>(outcome.seed),
               outcome.strategy.c_str(), static_cast<unsigned long long>(outcome.trace.steps),
               static_cast<unsigned long long>(outcome.trace.decisions),
               static_cast<unsigned long long>(outcome.trace.trace_hash));
  if (!outcome.message.empty() && !outcome.passed()) {
    std::fprintf(stderr, "%s\n", outcome.message.c_str());
  }
}

int run_standalone() {
  exec_protocol::run_request request;
  request.seed = env_number(exec_protocol::env_seed, 0);
  const char* strategy = std::getenv(exec_protocol::env_strategy);
  request.strategy = strategy != nullptr ? strategy : exec_protocol::default_strategy;
  request.max_steps = env_number(exec_protocol::env_max_steps, exec_protocol::default_max_steps);
  const char* trace_out = std::getenv("IPCSIM_TRACE_OUT");
  crash_trace_path = trace_out != nullptr ? trace_out : "";
  const run_outcome outcome = run_program(request);
  std::fflush(stdout);
  if (!outcome.usage_error.empty()) {
    std::fprintf(stderr, "ipcsim-instr: %s\n", outcome.usage_error.c_str());
    return exec_protocol::child_exit_usage;
  }
  print_outcome(outcome);
  if (const char* path = std::getenv("IPCSIM_TRACE_OUT")) {
    if (auto written = replay::write_trace_file(outcome.trace, path); !written) {
      std::fprintf(stderr, "ipcsim-instr: %s\n", written.error().c_str());
    }
  }
  return outcome.passed() ? exec_protocol::child_exit_pass : exec_protocol::child_exit_finding;
}

}  // namespace

/// The child of one fork-server request: run, write the trace, leave without running the
/// program's static destructors (they belong to the pristine image, not to this run).
[[noreturn]] void serve_one_child(const exec_protocol::run_request& request) {
  crash_trace_path = request.out_trace_path;
  const run_outcome outcome = run_program(request);
  std::fflush(nullptr);
  if (!outcome.usage_error.empty()) {
    std::fprintf(stderr, "ipcsim-instr: %s\n", outcome.usage_error.c_str());
    _exit(exec_protocol::child_exit_usage);
  }
  if (auto written = replay::write_trace_file(outcome.trace, request.out_trace_path); !written) {
    std::fprintf(stderr, "ipcsim-instr: %s\n", written.error().c_str());
    _exit(exec_protocol::child_exit_internal);
  }
  _exit(outcome.passed() ? exec_protocol::child_exit_pass : exec_protocol::child_exit_finding);
}

int wrapper_main(int argc, char** argv, char** envp) {
  program.argc = argc;
  program.argv = argv;
  program.envp = envp;
  if (const char* stack_kib = std::getenv("IPCSIM_STACK_KIB")) {
    rt.stack_bytes = exec_protocol::parse_u64(stack_kib).value_or(1024) * 1024;
  }
  if (const char* race = std::getenv("IPCSIM_RACE_DETECTION")) {
    rt.race_detection = std::strcmp(race, "0") != 0;
  }
  const char* ctl = std::getenv(exec_protocol::env_ctl_fd);
  const char* status = std::getenv(exec_protocol::env_status_fd);
  if (ctl != nullptr && status != nullptr) {
    return serve_requests(static_cast<int>(exec_protocol::parse_u64(ctl).value_or(0)),
                          static_cast<int>(exec_protocol::parse_u64(status).value_or(1)));
  }
  return run_standalone();
}

void set_program_main(int (*main)(int, char**, char**)) { program.main = main; }

}  // namespace ipcsim::instr

extern "C" int __libc_start_main(int (*main)(int, char**, char**), int argc, char** argv,
                                 void (*init)(), void (*fini)(), void (*rtld_fini)(),
                                 void* stack_end) {
  using start_function = int (*)(int (*)(int, char**, char**), int, char**, void (*)(),
                                 void (*)(), void (*)(), void*);
  static const auto real = ipcsim::instr::real_function<start_function>("__libc_start_main");
  ipcsim::instr::set_program_main(main);
  return real(ipcsim::instr::wrapper_main, argc, argv, init, fini, rtld_fini, stack_end);
}
