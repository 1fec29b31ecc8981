// ipcsim-bench-fuzz: executions per second of every fuzz target (design §9), measured on the
// throughput builds of the targets: -O2 -fsanitize=fuzzer, no ASan/UBSan (the sanitizer builds in
// the fuzz preset are for finding bugs). fuzz/CMakeLists.txt configures this tree a second time
// into <build>/throughput for them and makes this executable depend on that build; this one only
// starts them as subprocesses.
//
// Each target runs as libFuzzer runs it, mutation and coverage included: a fixed number of
// executions (`-runs=N -seed=1`, the committed corpus as -seed_inputs, -max_len=4096 as in the
// smoke tests), timed in wall time from spawn to exit. The same seed and run count give the same
// inputs every time, so repetitions measure the same work. N comes from a one-second calibration
// run of each target so that one timed run lasts about `run_seconds_target`.
//
// Baseline: fuzz_empty, a target that does nothing, run the same way in the same rounds. Its
// exec/s is libFuzzer's own cost per input; a target's ratio to it says how much of the ceiling
// is left. Targets and baseline run in alternation, round by round, and each figure is the median
// of its rounds: the machine may be shared, and alternation puts the same background load on
// every figure. Nothing is subtracted.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tools/bench/bench_report.hpp"

extern char** environ;

namespace {

using namespace ipcsim;
namespace fs = std::filesystem;

constexpr int rounds = 3;
constexpr double run_seconds_target = 2.0;
constexpr int calibration_seconds = 1;
constexpr std::uint64_t runs_min = 1000;

/// One throughput binary and how the suite reports it.
struct fuzz_target {
  const char* name;    ///< fuzz_<name> in the throughput build
  const char* corpus;  ///< fuzz/corpus/<corpus>, or null for none
  const char* note;
};

constexpr fuzz_target empty_target{"empty", nullptr, "the empty target (baseline)"};
constexpr fuzz_target measured_targets[] = {
    {"wire_decoder", "wire_decoder", "frames + envelope + command fields; target >= 100k exec/s"},
    {"frame_reassembler", "frame_reassembler", "reassembly from random pieces"},
    {"spsc_ring", "spsc_ring", "SPSC operation sequences vs the model"},
    {"mpsc_ring", "mpsc_ring", "MPSC operation sequences vs the model (shm segments per input)"},
    {"simulation", "simulation",
     "one simulated run per input (3 smoke, 2 world-state scenarios), extra-counter features"},
};

struct run_outcome {
  double seconds = 0;
  std::uint64_t executions = 0;  ///< libFuzzer's stat::number_of_executed_units
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "ipcsim-bench: %s\n", message.c_str());
  std::exit(3);
}

std::string seed_inputs_argument(const char* corpus) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(IPCSIM_FUZZ_CORPUS_DIR) / corpus)) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // directory order is not deterministic
  std::string list = "-seed_inputs=";
  for (std::size_t i = 0; i < files.size(); ++i) {
    list += (i == 0 ? "" : ",") + files[i].string();
  }
  return list;
}

/// The executed-units count from libFuzzer's final stats in `log`, or nothing.
std::optional<std::uint64_t> executed_units(const fs::path& log) {
  std::ifstream stream(log);
  const std::string key = "stat::number_of_executed_units:";
  for (std::string line; std::getline(stream, line);) {
    if (line.rfind(key, 0) == 0) {
      return std::stoull(line.substr(key.size()));
    }
  }
  return std::nullopt;
}

/// Runs `target` once with `limit` (-runs=N or -max_total_time=S) in `work`, its output to a log
/// there; any failure of the target is a failure of the benchmark.
run_outcome run_target(const fuzz_target& target, const fs::path& work, const std::string& limit) {
  const std::string binary = std::string(IPCSIM_FUZZ_THROUGHPUT_DIR) + "/fuzz_" + target.name;
  const fs::path log = work / (std::string(target.name) + ".log");
  std::vector<std::string> arguments{binary, limit, "-seed=1", "-max_len=4096",
                                     "-print_final_stats=1",
                                     "-artifact_prefix=" + (work / "").string()};
  if (target.corpus != nullptr) {
    arguments.push_back(seed_inputs_argument(target.corpus));
  }
  std::vector<char*> argv;
  for (std::string& argument : arguments) {
    argv.push_back(argument.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    fail("cannot start " + binary + ": " + std::strerror(spawned) +
         " (build ipcsim-bench-fuzz to build the throughput targets)");
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::optional<std::uint64_t> executions = executed_units(log);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !executions.has_value()) {
    fail("fuzz_" + std::string(target.name) + " " + limit + " failed; its output is in " +
         log.string());
  }
  return {seconds, *executions};
}

/// Runs for about run_seconds_target, from the rate of a calibration_seconds run.
std::uint64_t calibrated_runs(const fuzz_target& target, const fs::path& work) {
  const run_outcome probe =
      run_target(target, work, "-max_total_time=" + std::to_string(calibration_seconds));
  const double rate = static_cast<double>(probe.executions) / probe.seconds;
  return std::max(runs_min, static_cast<std::uint64_t>(rate * run_seconds_target));
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

/// The simulation target reads these once: the figures are for its default scenario list, and a
/// finding (there should be none) must not write into the caller's directory.
void prepare_environment(const fs::path& work) {
  ::unsetenv("IPCSIM_FUZZ_PLANTED");
  ::unsetenv("IPCSIM_FUZZ_SCENARIO");
  ::unsetenv("IPCSIM_FUZZ_CONTINUATION");
  ::setenv("IPCSIM_FUZZ_OUT", work.c_str(), 1);
}

std::vector<bench::figure> measure_all(const fs::path& work) {
  std::vector<fuzz_target> all{empty_target};
  all.insert(all.end(), std::begin(measured_targets), std::end(measured_targets));
  std::vector<std::uint64_t> runs;
  for (const fuzz_target& target : all) {
    runs.push_back(calibrated_runs(target, work));
  }
  std::vector<std::vector<double>> rates(all.size());
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t i = 0; i < all.size(); ++i) {
      const run_outcome outcome = run_target(all[i], work, "-runs=" + std::to_string(runs[i]));
      rates[i].push_back(static_cast<double>(outcome.executions) / outcome.seconds);
    }
  }
  const double baseline = median(rates[0]);
  std::vector<bench::figure> figures;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const bool is_baseline = i == 0;
    std::ostringstream note;
    note << all[i].note << "; -runs=" << runs[i] << ", median of " << rounds
         << " wall-time runs, -O2 -fsanitize=fuzzer" << (is_baseline ? "" : "; baseline: empty");
    bench::figure entry{"fuzz." + std::string(all[i].name) + "_exec_per_s", median(rates[i]),
                        "exec/s", std::nullopt, note.str()};
    if (!is_baseline) {
      entry.baseline = baseline;
    }
    figures.push_back(std::move(entry));
  }
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  const bool as_json = argc == 2 && std::strcmp(argv[1], "--json") == 0;
  if (argc > 2 || (argc == 2 && !as_json)) {
    std::fprintf(stderr, "usage: ipcsim-bench fuzz [--json]\n");
    return 2;
  }
  char pattern[] = "/tmp/ipcsim-bench-fuzz-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) {
    fail("cannot create a work directory under /tmp");
  }
  const fs::path work(pattern);
  prepare_environment(work);
  const std::vector<bench::figure> figures = measure_all(work);
  bench::print_figures(figures, as_json);
  fs::remove_all(work);
  return 0;
}
