// crash_report: fatal-signal handlers that turn a crash during a run into a trace (see the header).

#include "sim/instr/crash_report.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "replay/trace_file.hpp"
#include "sim/instr/exec_protocol.hpp"
#include "sim/instr/runtime.hpp"

namespace ipcsim::instr {

namespace {

crash_context armed;
bool is_armed = false;
constexpr int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
alignas(16) char alternate_stack[64 * 1024];

void write_crash_trace(int signal_number) {
  sim::world& world = *rt.sim;
  sim::run_result partial;
  partial.status = sim::run_status::failed;
  partial.steps = world.steps();
  partial.decisions = world.decision_count();
  partial.trace_hash = world.trace().hash();
  const std::string fiber = rt.self != nullptr ? rt.self->name : "?";
  partial.message = std::string("signal ") + std::to_string(signal_number) + " (" +
                    strsignal(signal_number) + ") in fiber '" + fiber + "'";
  std::vector<std::string> names;
  for (std::uint32_t i = 0; i < world.fiber_count(); ++i) {
    names.push_back(world.fiber_name(i));
  }
  replay::trace_file trace = replay::make_trace_file(armed.scenario, armed.seed, armed.strategy,
                                                     partial, world.trace(), names);
  trace.status = signal_number == SIGABRT ? exec_protocol::status_assert
                                          : exec_protocol::status_crash;
  trace.command = armed.command;
  std::fprintf(stderr, "ipcsim-instr: %s seed=%llu strategy=%s steps=%llu decisions=%llu\n%s\n",
               trace.status.c_str(), static_cast<unsigned long long>(armed.seed),
               armed.strategy.c_str(), static_cast<unsigned long long>(partial.steps),
               static_cast<unsigned long long>(partial.decisions), partial.message.c_str());
  if (!armed.trace_path.empty()) {
    static_cast<void>(replay::write_trace_file(trace, armed.trace_path));
  }
}

void on_fatal_signal(int signal_number) {
  // A second fault, or a fault outside a run, takes the default action.
  ::signal(signal_number, SIG_DFL);
  if (!is_armed || !rt.running || rt.sim == nullptr) {
    raise(signal_number);
    return;
  }
  is_armed = false;
  alarm(10);
  write_crash_trace(signal_number);
  std::fflush(nullptr);
  _exit(exec_protocol::child_exit_finding);
}

void install_once() {
  static bool installed = false;
  if (installed) {
    return;
  }
  installed = true;
  stack_t stack{};
  stack.ss_sp = alternate_stack;
  stack.ss_size = sizeof alternate_stack;
  sigaltstack(&stack, nullptr);
  for (const int signal_number : fatal_signals) {
    struct sigaction action{};
    action.sa_handler = on_fatal_signal;
    action.sa_flags = SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(signal_number, &action, nullptr);
  }
}

}  // namespace

void arm_crash_report(crash_context context) {
  install_once();
  armed = std::move(context);
  is_armed = true;
}

void disarm_crash_report() noexcept { is_armed = false; }

}  // namespace ipcsim::instr
