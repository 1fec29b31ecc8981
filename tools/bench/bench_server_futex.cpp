#include "tools/bench/bench_server_futex.hpp"

#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <new>
#include <vector>

#include "core/platform/assert.hpp"
#include "tools/bench/bench_server_children.hpp"

namespace ipcsim::bench {

namespace {

using steady = std::chrono::steady_clock;

/// The shared page's contents. The futex word must be a plain 32-bit word in memory.
struct shared_page {
  std::atomic<std::uint32_t> turn{0};  ///< 1: the child's turn; 0: the parent's
  std::atomic<std::uint32_t> stop{0};
};
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

constexpr std::uint32_t parent_turn = 0;
constexpr std::uint32_t child_turn = 1;
constexpr int warm_up_rounds = 2000;

std::uint32_t* word_of(std::atomic<std::uint32_t>& word) {
  return reinterpret_cast<std::uint32_t*>(&word);
}

/// Blocks until `word` holds `wanted`. Shared (not PRIVATE) futex ops: the page is shared by two
/// processes, whose private futex keys would differ.
void wait_until(std::atomic<std::uint32_t>& word, std::uint32_t wanted) {
  for (;;) {
    const std::uint32_t seen = word.load(std::memory_order_acquire);
    if (seen == wanted) {
      return;
    }
    ::syscall(SYS_futex, word_of(word), FUTEX_WAIT, seen, nullptr, nullptr, 0);
  }
}

void hand_over(std::atomic<std::uint32_t>& word, std::uint32_t value) {
  word.store(value, std::memory_order_release);
  ::syscall(SYS_futex, word_of(word), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

[[noreturn]] void ponger(shared_page& page) {
  for (;;) {
    wait_until(page.turn, child_turn);
    if (page.stop.load(std::memory_order_acquire) != 0) {
      ::_exit(0);
    }
    hand_over(page.turn, parent_turn);
  }
}

std::uint64_t one_round_trip_ns(shared_page& page) {
  const auto start = steady::now();
  hand_over(page.turn, child_turn);
  wait_until(page.turn, parent_turn);
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - start).count());
}

}  // namespace

futex_round_trips futex_ping_pong(double seconds) {
  IPC_ASSERT(seconds > 0);
  void* memory = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  futex_round_trips result;
  if (memory == MAP_FAILED) {
    result.error = "mmap of the shared page failed";
    return result;
  }
  auto* page = new (memory) shared_page();
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  IPC_ASSERT(child >= 0);
  if (child == 0) {
    die_with_parent(SIGKILL, parent);
    ponger(*page);
  }
  for (int round = 0; round < warm_up_rounds; ++round) {
    one_round_trip_ns(*page);
  }
  std::vector<std::uint64_t> samples;
  samples.reserve(std::size_t{1} << 20);
  const auto start = steady::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (steady::now() < end) {
    samples.push_back(one_round_trip_ns(*page));
  }
  const double elapsed = std::chrono::duration<double>(steady::now() - start).count();
  page->stop.store(1, std::memory_order_release);
  hand_over(page->turn, child_turn);
  ::waitpid(child, nullptr, 0);
  ::munmap(memory, 4096);
  result.round_trips_per_s = static_cast<double>(samples.size()) / elapsed;
  result.p50_ns = percentile(samples, 0.50);
  result.p99_ns = percentile(samples, 0.99);
  return result;
}

}  // namespace ipcsim::bench
