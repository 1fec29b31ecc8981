#include "tools/cli/shrink_output.hpp"

#include <cstdio>

#include "replay/trace_file.hpp"

namespace ipcsim::cli {

int finish_shrink(const replay::shrink_report& report, const std::string& through,
                  const std::string& out_path) {
  const auto count = [](std::uint64_t value) { return static_cast<unsigned long long>(value); };
  std::printf("shrink: %llu attempts%s%s\n  decisions    %llu -> %llu\n"
              "  preemptions  %llu -> %llu\n  workload answers not 0  %llu -> %llu\n",
              count(report.attempts), through.empty() ? "" : " through ", through.c_str(),
              count(report.decisions_before), count(report.decisions_after),
              count(report.preemptions_before), count(report.preemptions_after),
              count(report.workload_nonzero_before), count(report.workload_nonzero_after));
  std::printf("  failure: %s\n", report.smallest.message.c_str());
  if (!report.smaller) {
    std::printf("shrink: no smaller failing trace found; nothing written\n");
    return 0;
  }
  if (auto written = replay::write_trace_file(report.smallest, out_path); !written) {
    std::fprintf(stderr, "ipcsim: %s\n", written.error().c_str());
    return 3;
  }
  std::printf("shrink: wrote %s (ipcsim explain %s)\n", out_path.c_str(), out_path.c_str());
  return 1;
}

}  // namespace ipcsim::cli
