#include "core/platform/assert.hpp"

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace ipcsim::detail {

void assert_fail(const char* expression, const char* file, int line) noexcept {
  std::fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expression);
  std::fflush(stderr);
  std::abort();
}

namespace {
// IPC_MAYBE sites seen so far. A fixed table keeps recording allocation-free and lock-free; the
// flags are only ever set, so relaxed atomics suffice. Sites past the table's end go unrecorded.
struct maybe_site {
  std::atomic<const char*> file{nullptr};
  std::atomic<int> line{0};
  std::atomic<bool> seen_true{false};
  std::atomic<bool> seen_false{false};
};
constexpr std::size_t maybe_table_size = 1024;
std::array<maybe_site, maybe_table_size> maybe_table;
}  // namespace

void maybe_seen(const char* expression, const char* file, int line, bool value) noexcept {
  static_cast<void>(expression);
  const std::size_t start = (static_cast<std::size_t>(line) * 2654435761U) % maybe_table_size;
  for (std::size_t probe = 0; probe < maybe_table_size; ++probe) {
    maybe_site& site = maybe_table[(start + probe) % maybe_table_size];
    const char* expected = nullptr;
    if (site.file.compare_exchange_strong(expected, file, std::memory_order_relaxed) ||
        (expected == file && site.line.load(std::memory_order_relaxed) == line)) {
      site.line.store(line, std::memory_order_relaxed);
      (value ? site.seen_true : site.seen_false).store(true, std::memory_order_relaxed);
      return;
    }
  }
}

}  // namespace ipcsim::detail
