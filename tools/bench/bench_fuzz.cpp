// ipcsim-bench-fuzz: how fast the fuzz targets' bodies run (design §9), built only in the fuzz
// preset, so with the same instrumentation libFuzzer runs them under (clang 14, ASan, UBSan,
// -fsanitize=fuzzer-no-link coverage).
//
// The bodies are the targets' own LLVMFuzzerTestOneInput, compiled from fuzz/ with the entry point
// renamed (fuzz/CMakeLists.txt), called in-process on a fixed input set: unlike a libFuzzer run,
// whose inputs drift with its mutations and corpus, the same inputs every time give a stable
// figure. libFuzzer's own bookkeeping (mutation, coverage collection) is not included.
//
// - fuzz.wire_decoder_exec_per_s: the committed wire_decoder corpus plus 8 seeded mutations of
//   each file (bit flips, byte overwrites, inserts, erasures, truncations). Baseline: the same
//   inputs through msgpack-c's plain unpack with the decoder's default limits.
// - fuzz.simulation_exec_per_s: 64 seeded random inputs (16..256 bytes) per correct smoke
//   scenario, one whole simulation each, with the extra-counter features. Baseline: the same
//   number of runs of the same scenarios by scenario_runner (seeded random walk, no features).
// Each figure and its baseline are timed in alternation, 7 repetitions of about half a second
// each, and each is the median of its repetitions: the machine may be shared, and alternating
// puts the same background load on both sides of a ratio.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "core/wire/limits.hpp"
#include "scenarios/scenario.hpp"
#include "sim/prng.hpp"
#include "tools/bench/bench_report.hpp"

extern "C" int ipcsim_fuzz_wire_decoder_one_input(const std::uint8_t* data, std::size_t size);
extern "C" int ipcsim_fuzz_simulation_one_input(const std::uint8_t* data, std::size_t size);

namespace {

using namespace ipcsim;
using input_set = std::vector<std::vector<std::uint8_t>>;

constexpr int repetitions = 7;
constexpr double repetition_seconds_target = 0.5;
constexpr int mutations_per_seed = 8;
constexpr int simulation_inputs_per_scenario = 64;
/// The fuzzer's scenario list without IPCSIM_FUZZ_PLANTED, in its order: input byte 0 picks.
constexpr const char* simulation_scenarios[] = {"smoke.mutex_counter", "smoke.spsc_ring",
                                                "smoke.timed_handshake"};

input_set read_corpus(const std::filesystem::path& directory) {
  input_set inputs;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // directory order is not deterministic
  for (const auto& file : files) {
    std::ifstream stream(file, std::ios::binary);
    inputs.emplace_back(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
  }
  return inputs;
}

void mutate(std::vector<std::uint8_t>& input, sim::prng& random) {
  const std::uint32_t kind = random.below(5);
  if (input.empty() || kind == 2) {
    input.insert(input.begin() + random.below(static_cast<std::uint32_t>(input.size() + 1)),
                 static_cast<std::uint8_t>(random.below(256)));
    return;
  }
  const std::uint32_t at = random.below(static_cast<std::uint32_t>(input.size()));
  if (kind == 0) {
    input[at] ^= static_cast<std::uint8_t>(1U << random.below(8));
  } else if (kind == 1) {
    input[at] = static_cast<std::uint8_t>(random.below(256));
  } else if (kind == 3) {
    input.erase(input.begin() + at);
  } else {
    input.resize(at);
  }
}

input_set mutated_wire_inputs() {
  const input_set seeds = read_corpus(IPCSIM_FUZZ_CORPUS_DIR "/wire_decoder");
  if (seeds.empty()) {
    std::fprintf(stderr, "ipcsim-bench: no corpus in %s\n", IPCSIM_FUZZ_CORPUS_DIR);
    std::exit(3);
  }
  input_set inputs = seeds;
  sim::prng random(1);
  for (const auto& seed : seeds) {
    for (int i = 0; i < mutations_per_seed; ++i) {
      std::vector<std::uint8_t> variant = seed;
      for (std::uint32_t n = 1 + random.below(4); n > 0; --n) {
        mutate(variant, random);
      }
      inputs.push_back(std::move(variant));
    }
  }
  return inputs;
}

input_set simulation_inputs() {
  input_set inputs;
  sim::prng random(2);
  for (std::uint8_t scenario = 0; scenario < std::size(simulation_scenarios); ++scenario) {
    for (int i = 0; i < simulation_inputs_per_scenario; ++i) {
      std::vector<std::uint8_t> input{scenario};
      for (std::uint32_t n = 16 + random.below(241); n > 0; --n) {
        input.push_back(static_cast<std::uint8_t>(random.below(256)));
      }
      inputs.push_back(std::move(input));
    }
  }
  return inputs;
}

/// Passes over the input set that make one timed repetition last about
/// repetition_seconds_target.
template <class Body>
int passes_for(Body& body) {
  const double one_pass = bench::median_seconds(1, body);
  return std::max(1, static_cast<int>(repetition_seconds_target / one_pass));
}

struct rates {
  double measured = 0;
  double baseline = 0;
};

/// Executions per second of `body` and of `baseline` over the same `count` inputs (one call of
/// either is one pass over them). The two alternate, repetition by repetition, so that load from
/// other processes on the machine falls on both alike; each rate is the median repetition.
template <class Body, class Baseline>
rates paired_rates(std::size_t count, Body&& body, Baseline&& baseline) {
  const int body_passes = passes_for(body);
  const int baseline_passes = passes_for(baseline);
  std::vector<double> body_rates;
  std::vector<double> baseline_rates;
  for (int repetition = 0; repetition < repetitions; ++repetition) {
    const double body_seconds = bench::median_seconds(1, [&] {
      for (int pass = 0; pass < body_passes; ++pass) {
        body();
      }
    });
    const double baseline_seconds = bench::median_seconds(1, [&] {
      for (int pass = 0; pass < baseline_passes; ++pass) {
        baseline();
      }
    });
    body_rates.push_back(static_cast<double>(count) * body_passes / body_seconds);
    baseline_rates.push_back(static_cast<double>(count) * baseline_passes / baseline_seconds);
  }
  std::sort(body_rates.begin(), body_rates.end());
  std::sort(baseline_rates.begin(), baseline_rates.end());
  return {body_rates[body_rates.size() / 2], baseline_rates[baseline_rates.size() / 2]};
}

bool msgpack_unpacks(const std::vector<std::uint8_t>& input) {
  const wire::decode_limits& limits = wire::default_decode_limits;
  const msgpack::unpack_limit limit(limits.max_container_entries, limits.max_container_entries,
                                    limits.max_blob_bytes, limits.max_blob_bytes,
                                    limits.max_blob_bytes, limits.max_depth);
  std::size_t offset = 0;
  try {
    const auto handle = msgpack::unpack(reinterpret_cast<const char*>(input.data()),
                                        input.size(), offset, nullptr, nullptr, limit);
    return offset == input.size();
  } catch (const msgpack::unpack_error&) {
    return false;
  }
}

bench::figure wire_decoder_figure() {
  const input_set inputs = mutated_wire_inputs();
  std::size_t accepted = 0;
  const rates measured = paired_rates(
      inputs.size(),
      [&] {
        for (const auto& input : inputs) {
          ipcsim_fuzz_wire_decoder_one_input(input.data(), input.size());
        }
      },
      [&] {
        accepted = 0;
        for (const auto& input : inputs) {
          accepted += msgpack_unpacks(input) ? 1 : 0;
        }
      });
  return {"fuzz.wire_decoder_exec_per_s", measured.measured, "exec/s", measured.baseline,
          std::to_string(inputs.size()) + " inputs (corpus + mutations; " +
              std::to_string(accepted) +
              " valid msgpack); baseline: msgpack::unpack with the same limits"};
}

bench::figure simulation_figure() {
  const input_set inputs = simulation_inputs();
  std::vector<std::unique_ptr<scenarios::scenario_runner>> runners;
  for (const char* name : simulation_scenarios) {
    const scenarios::scenario* spec = scenarios::find_scenario(name);
    if (spec == nullptr) {
      std::fprintf(stderr, "ipcsim-bench: scenario %s is missing\n", name);
      std::exit(3);
    }
    runners.push_back(
        std::make_unique<scenarios::scenario_runner>(*spec, sim::make_strategy("random")));
  }
  const rates measured = paired_rates(
      inputs.size(),
      [&] {
        for (const auto& input : inputs) {
          ipcsim_fuzz_simulation_one_input(input.data(), input.size());
        }
      },
      [&] {
        for (auto& runner : runners) {
          for (int seed = 0; seed < simulation_inputs_per_scenario; ++seed) {
            static_cast<void>(runner->run(static_cast<std::uint64_t>(seed)));
          }
        }
      });
  return {"fuzz.simulation_exec_per_s", measured.measured, "exec/s", measured.baseline,
          std::to_string(inputs.size()) +
              " runs of 3 smoke scenarios, decisions from input bytes + extra counters; "
              "baseline: the same runs seeded, no features"};
}

}  // namespace

int main(int argc, char** argv) {
  const bool as_json = argc > 1 && std::strcmp(argv[1], "--json") == 0;
  // The simulation body reads these once; the figures are for its default scenario list.
  ::unsetenv("IPCSIM_FUZZ_PLANTED");
  ::unsetenv("IPCSIM_FUZZ_SCENARIO");
  std::vector<bench::figure> figures;
  figures.push_back(wire_decoder_figure());
  figures.push_back(simulation_figure());
  bench::print_figures(figures, as_json);
  return 0;
}
