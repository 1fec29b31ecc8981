#pragma once
//! Benchmark load as separate processes: `run_children` forks N children, lets each set itself up
//! (connect, warm up), starts them all at once, and collects one fixed-size report from each.
//!
//! How it works. Three pipes: each child writes one byte to `ready` when set up, then blocks
//! reading `go`; the parent, once it has N ready bytes, closes its end of `go`, and every child
//! reads EOF at the same moment. Each child then writes one `child_report` to `reports` (a
//! report fits in PIPE_BUF, so concurrent writes never interleave) and `_exit`s. A child that
//! fails before the start still arrives at the gate, so the others are never left waiting; its
//! report says what went wrong. A child that does not report within the timeout is killed.
//!
//! Precondition: the caller is single-threaded when it calls run_children (fork copies only the
//! calling thread, so a lock held by another thread would stay locked forever in the child).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

namespace ipcsim::bench {

/// What one child measured. Plain bytes, sent through a pipe.
struct child_report {
  std::uint64_t operations = 0;  ///< operations completed in the timed window
  double seconds = 0;            ///< length of the timed window
  std::uint64_t p50_ns = 0;      ///< latency percentiles, when the child recorded them
  std::uint64_t p99_ns = 0;
  std::uint32_t failed = 0;  ///< nonzero: the child failed and `message` says why
  char message[240] = {};

  /// Marks the report failed with `why` (truncated to fit).
  void fail(const std::string& why) noexcept;
};
static_assert(std::is_trivially_copyable_v<child_report>);
static_assert(sizeof(child_report) <= 512, "a report must be written atomically (PIPE_BUF)");

/// The start line a child waits at. Only valid inside a child of run_children.
class start_gate {
 public:
  start_gate(int ready_fd, int go_fd) noexcept : ready_fd_(ready_fd), go_fd_(go_fd) {}
  /// Says "set up" and blocks until every child has said so. Idempotent.
  void arrive_and_wait() noexcept;
  bool arrived() const noexcept { return arrived_; }

 private:
  int ready_fd_;
  int go_fd_;
  bool arrived_ = false;
};

/// The body of child `index`: set up, call gate.arrive_and_wait(), measure, return the report.
/// It runs in a forked child; exceptions become a failed report.
using child_body = std::function<child_report(int index, start_gate& gate)>;

/// Runs `count` children of `body` as described in the file comment and returns their reports,
/// index order not guaranteed. A child that died or timed out yields a failed report.
std::vector<child_report> run_children(int count, const child_body& body,
                                       std::chrono::milliseconds timeout);

/// Percentile `fraction` (0..1) of `samples`, which it sorts. 0 for no samples.
std::uint64_t percentile(std::vector<std::uint64_t>& samples, double fraction);

/// In a freshly forked child of a single-threaded parent: asks the kernel to send `signal` to
/// this process when the parent dies, so a benchmark killed midway leaves no helper process
/// behind (a ponger blocked on a futex, a server holding its names). Exits at once if the
/// parent is already gone.
void die_with_parent(int signal, pid_t parent);

}  // namespace ipcsim::bench
