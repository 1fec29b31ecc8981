//! libFuzzer target that does nothing: the baseline of `ipcsim-bench fuzz`.
//!
//! How it works: it is built only in the throughput build (IPCSIM_FUZZ_THROUGHPUT, see
//! fuzz/CMakeLists.txt), with the same flags as the real targets, and run by ipcsim-bench-fuzz
//! the same way. Its executions per second are what libFuzzer itself costs per input (mutation,
//! coverage bookkeeping, the call), the ceiling no target can pass, so each target's figure is
//! reported with this one as its baseline.

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static_cast<void>(data);
  static_cast<void>(size);
  return 0;
}
