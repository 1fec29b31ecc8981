// ipcsim-bench-instr: figures of the instrumentation runtime (sim/instr/).
//   sim.instrumented_access_ns       a hooked store that does not switch, race detection off
//                                    (one fiber); baseline: the same loop without a hook call
//   sim.instrumented_access_race_ns  the same with race detection on
//   sim.instrumented_schedules_per_s a two-thread mutex counter (pthreads) run to the end per
//                                    schedule, race detection on, one world reset per schedule
// The instrumented code is sim/instr/bench/bench_programs.cpp, run in-process through
// run_in_world (so this executable has its own main and links the runtime without its entry).

#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "bench_report.hpp"
#include "sim/instr/instr_run.hpp"
#include "sim/instr/runtime.hpp"
#include "sim/strategy.hpp"

extern "C" void ipcsim_bench_access_loop(int* data, long count);
extern "C" void* ipcsim_bench_counter_main(void*);

namespace {

using namespace ipcsim;

constexpr long access_count = 20'000'000;
int access_data[64];

void* access_body(void*) {
  ipcsim_bench_access_loop(access_data, access_count);
  return nullptr;
}

/// Nanoseconds per hooked access inside a run, with or without race detection.
double hooked_access_ns(bool race_detection) {
  const double seconds = bench::median_seconds(5, [&] {
    instr::rt.race_detection = race_detection;
    sim::random_walk_strategy chooser;
    sim::prng_source source(1);
    sim::world world(sim::world_options{}, chooser, source);
    const sim::run_result result = instr::run_in_world(world, access_body);
    if (!result.ok()) {
      std::fprintf(stderr, "bench: access run failed: %s\n", result.message.c_str());
    }
  });
  instr::rt.race_detection = true;
  return seconds * 1e9 / static_cast<double>(access_count);
}

/// The same -O0 loop without hooks, so that value - baseline is the hook's own cost.
#if defined(__clang__)
[[clang::optnone]]
#else
[[gnu::optimize("O0")]]
#endif
void plain_access_loop(int* data, long count) {
  for (long i = 0; i < count; ++i) {
    data[i & 63] = static_cast<int>(i);
  }
}

double plain_access_ns() {
  const double seconds =
      bench::median_seconds(5, [&] { plain_access_loop(access_data, access_count); });
  return seconds * 1e9 / static_cast<double>(access_count);
}

double counter_schedules_per_s() {
  constexpr int schedules = 20'000;
  int failures = 0;
  // One world, reset per schedule as a sweep worker does, so the figure is the simulation's and
  // the runtime's cost rather than the kernel's for fresh fiber stacks.
  sim::random_walk_strategy chooser;
  sim::prng_source source(0);
  sim::world world(sim::world_options{}, chooser, source);
  const double seconds = bench::median_seconds(3, [&] {
    for (int seed = 0; seed < schedules; ++seed) {
      source.reseed(static_cast<std::uint64_t>(seed));
      world.reset();
      failures += instr::run_in_world(world, ipcsim_bench_counter_main).ok() ? 0 : 1;
    }
  });
  if (failures != 0) {
    std::fprintf(stderr, "bench: %d counter schedules failed\n", failures);
  }
  return schedules / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const bool as_json = argc > 1 && std::strcmp(argv[1], "--json") == 0;
  const double plain_ns = plain_access_ns();
  std::vector<bench::figure> figures;
  figures.push_back({"sim.instrumented_access_ns", hooked_access_ns(false), "ns", plain_ns,
                     "hooked 4-byte store in an -O0 loop, one fiber, no switch, race detection "
                     "off; baseline: the same -O0 loop without the hook"});
  figures.push_back({"sim.instrumented_access_race_ns", hooked_access_ns(true), "ns", plain_ns,
                     "the same with race detection on (shadow check and update per access)"});
  figures.push_back({"sim.instrumented_schedules_per_s", counter_schedules_per_s(),
                     "schedules/s", std::nullopt,
                     "2 pthreads x 3 mutex-protected increments + join, race detection on, "
                     "world reset per schedule (no fork)"});
  bench::print_figures(figures, as_json);
  return 0;
}
