#include "tools/cli/sweep.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "scenarios/catalog.hpp"
#include "scenarios/scenario.hpp"
#include "tools/cli/pct_budget.hpp"
#include "tools/cli/run_one.hpp"
#include "tools/cli/strategy_choice.hpp"
#include "tools/cli/sweep_report.hpp"

namespace ipcsim::cli {

namespace {

using wall_clock = std::chrono::steady_clock;

volatile std::sig_atomic_t interrupt_requested = 0;
void on_interrupt(int) { interrupt_requested = 1; }

struct sweep_plan {
  const sweep_options* options = nullptr;
  std::vector<const scenarios::scenario*> scenarios;
  std::vector<sweep_item> items;
  wall_clock::time_point deadline = wall_clock::time_point::max();
};

struct worker_slot {
  pid_t pid = -1;
  int fd = -1;
  std::vector<std::size_t> items;  ///< item indices this slot owns, in run order
  std::size_t next = 0;            ///< position in `items` of the first unfinished item
  bool busy = false;               ///< items[next] has been announced and not reported
  wall_clock::time_point started;
  std::string buffer;
  std::string stderr_path;  ///< the worker's stderr, kept for crash witnesses
};

/// The last non-empty line of a file, for a crash witness ("...: assertion failed: ...").
std::string last_line_of(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) {
    return {};
  }
  std::string last;
  char line[1024];
  while (std::fgets(line, sizeof line, file) != nullptr) {
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
      text.pop_back();
    }
    if (!text.empty()) {
      last = text;
    }
  }
  std::fclose(file);
  return last;
}

std::string single_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\t') {
      c = ' ';
    }
  }
  return text;
}

void write_all(int fd, const std::string& line) {
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t written = ::write(fd, line.data() + done, line.size() - done);
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written <= 0) {
      ::_exit(3);  // The parent is gone; nobody is left to report to.
    }
    done += static_cast<std::size_t>(written);
  }
}

[[noreturn]] void worker_main(int fd, const sweep_plan& plan, const worker_slot& slot) {
  std::signal(SIGINT, SIG_IGN);  // The parent decides when to stop.
  run_cache cache;
  const sweep_options& options = *plan.options;
  // A planted bug can fail hundreds of seeds; a few traces per scenario are what people open.
  constexpr std::uint32_t traces_per_scenario = 3;
  std::vector<std::uint32_t> traces_written(plan.scenarios.size(), 0);
  for (std::size_t position = slot.next; position < slot.items.size(); ++position) {
    if (wall_clock::now() >= plan.deadline) {
      break;
    }
    const std::size_t item_index = slot.items[position];
    const sweep_item& item = plan.items[item_index];
    const scenarios::scenario& spec = *plan.scenarios[item.scenario];
    write_all(fd, "B\t" + std::to_string(item_index) + "\n");
    const std::string strategy = concrete_strategy(options.strategy, item.run_index);
    const bool room = traces_written[item.scenario] < traces_per_scenario;
    const auto outcome =
        cache.run(spec, strategy, options.seed_base + item.run_index, options.out_dir, room);
    traces_written[item.scenario] += outcome.trace_path.empty() ? 0 : 1;
    std::string status = sim::to_string(outcome.result.status);
    std::string message = outcome.result.message;
    // Findings are always re-checked (run_cache); a sample of passing runs is too, chosen by run
    // index so that the sample does not depend on timing.
    const bool sampled = options.determinism_sample_percent != 0 &&
                         (item.run_index * 2654435761ULL) % 100 <
                             options.determinism_sample_percent;
    if (outcome.result.ok() && sampled &&
        !rerun_matches(spec, outcome.strategy_used, options.seed_base + item.run_index,
                       outcome.result.trace_hash)) {
      status = "determinism";
      message = "determinism mismatch: re-running the seed from scratch gave another trace hash";
    }
    std::ostringstream line;
    line << "E\t" << item_index << "\t" << status << "\t" << outcome.result.decisions << "\t"
         << outcome.strategy_used << "\t" << outcome.trace_path << "\t" << single_line(message)
         << "\t" << outcome.result.fibers.size() << "\t" << outcome.result.trace_hash << "\n";
    write_all(fd, line.str());
  }
  ::_exit(0);
}

void start_worker(const sweep_plan& plan, worker_slot& slot) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) {
    std::perror("ipcsim: pipe");
    std::exit(3);
  }
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("ipcsim: fork");
    std::exit(3);
  }
  if (pid == 0) {
    ::close(pipe_fds[0]);
    // A crashing run's message goes to a file the parent quotes, not to the user's terminal.
    if (std::FILE* err = std::fopen(slot.stderr_path.c_str(), "w"); err != nullptr) {
      ::dup2(::fileno(err), STDERR_FILENO);
      std::fclose(err);
    }
    worker_main(pipe_fds[1], plan, slot);
  }
  ::close(pipe_fds[1]);
  slot.pid = pid;
  slot.fd = pipe_fds[0];
  slot.busy = false;
  slot.buffer.clear();
}

}  // namespace
}  // namespace ipcsim::cli

namespace ipcsim::cli {

namespace {

class sweep_session {
 public:
  explicit sweep_session(sweep_plan& plan) : plan_(plan), budget_(plan.scenarios.size()) {
    for (const scenarios::scenario* spec : plan.scenarios) {
      scenario_tally tally;
      tally.spec = spec;
      totals_.scenarios.push_back(tally);
    }
    totals_.identity = identity_for(*plan.options, plan.scenarios);
  }

  const pct_budget& budget() const noexcept { return budget_; }

  sweep_totals run() {
    open_seed_log();
    const unsigned jobs = std::max(1U, plan_.options->jobs);
    slots_.resize(jobs);
    for (std::size_t i = 0; i < plan_.items.size(); ++i) {
      slots_[i % jobs].items.push_back(i);
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      slots_[i].stderr_path = plan_.options->out_dir + "/worker-" + std::to_string(i) + ".stderr";
    }
    for (worker_slot& slot : slots_) {
      if (!slot.items.empty()) {
        start_worker(plan_, slot);
      }
    }
    const auto start = wall_clock::now();
    while (any_running() && interrupt_requested == 0) {
      service_pipes();
      enforce_watchdog();
      print_progress(start, false);
      totals_.sample_timeline(std::chrono::duration<double>(wall_clock::now() - start).count(),
                              false);
    }
    if (interrupt_requested != 0) {
      totals_.interrupted = true;
      stop_all();
    }
    totals_.seconds = std::chrono::duration<double>(wall_clock::now() - start).count();
    totals_.sample_timeline(totals_.seconds, true);
    print_progress(start, true);
    if (seed_log_ != nullptr) {
      std::fclose(seed_log_);
      seed_log_ = nullptr;
    }
    return totals_;
  }

 private:
  bool any_running() const {
    for (const worker_slot& slot : slots_) {
      if (slot.pid > 0) {
        return true;
      }
    }
    return false;
  }

  void service_pipes() {
    std::vector<pollfd> polled;
    std::vector<std::size_t> owners;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].pid > 0) {
        polled.push_back(pollfd{slots_[i].fd, POLLIN, 0});
        owners.push_back(i);
      }
    }
    if (::poll(polled.data(), polled.size(), 200) <= 0) {
      return;
    }
    for (std::size_t i = 0; i < polled.size(); ++i) {
      if ((polled[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        read_from(slots_[owners[i]]);
      }
    }
  }

  void read_from(worker_slot& slot) {
    char chunk[4096];
    const ssize_t got = ::read(slot.fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) {
      return;
    }
    if (got <= 0) {
      reap(slot, std::nullopt);
      return;
    }
    slot.buffer.append(chunk, static_cast<std::size_t>(got));
    std::size_t newline = 0;
    while ((newline = slot.buffer.find('\n')) != std::string::npos) {
      const std::string line = slot.buffer.substr(0, newline);
      slot.buffer.erase(0, newline + 1);
      handle_line(slot, line);
    }
  }

  void handle_line(worker_slot& slot, const std::string& line) {
    std::vector<std::string> fields;
    std::size_t begin = 0;
    for (std::size_t tab = line.find('\t'); ; tab = line.find('\t', begin)) {
      fields.push_back(line.substr(begin, tab == std::string::npos ? tab : tab - begin));
      if (tab == std::string::npos) {
        break;
      }
      begin = tab + 1;
    }
    if (fields[0] == "B" && fields.size() == 2) {
      slot.busy = true;
      slot.started = wall_clock::now();
      ++started_;
      log_seed("start", slot.items[slot.next], "");
      return;
    }
    if (fields[0] != "E" || fields.size() != 9) {
      std::fprintf(stderr, "ipcsim: internal error: bad worker line '%s'\n", line.c_str());
      std::exit(3);
    }
    const std::size_t item_index = slot.items[slot.next];
    slot.busy = false;
    ++slot.next;
    log_seed("end", item_index, fields[2]);
    budget_.note(plan_.items[item_index].scenario, fields[4],
                 static_cast<std::uint32_t>(std::stoul(fields[7])), std::stoull(fields[3]));
    const bool passed = fields[2] == "passed";
    record(item_index, std::stoull(fields[3]), std::stoull(fields[8]), slot.started,
           passed ? std::nullopt
                  : std::optional<finding>(finding{0, 0, fields[4], fields[2], fields[6],
                                                   fields[5]}));
  }

  void record(std::size_t item_index, std::uint64_t decisions, std::uint64_t trace_hash,
              wall_clock::time_point started, std::optional<finding> found) {
    const sweep_item& item = plan_.items[item_index];
    scenario_tally& tally = totals_.scenarios[item.scenario];
    ++tally.runs;
    ++finished_;
    tally.decisions += decisions;
    tally.seconds += std::chrono::duration<double>(wall_clock::now() - started).count();
    tally.note_run(concrete_strategy(plan_.options->strategy, item.run_index), trace_hash,
                   found.has_value());
    if (!found) {
      return;
    }
    ++tally.failures;
    ++findings_;
    found->run_index = item.run_index;
    found->seed = plan_.options->seed_base + item.run_index;
    if (found->strategy.empty()) {
      found->strategy = concrete_strategy(plan_.options->strategy, item.run_index);
    }
    tally.note_finding(*found);
    if (!tally.first_failure || tally.first_failure->run_index > item.run_index) {
      tally.first_failure = std::move(found);
    }
  }

  /// A worker's pipe closed: it exited, crashed or was killed. If it was inside an item, that
  /// item is a finding; if it still owns items, a fresh worker takes them over.
  void reap(worker_slot& slot, std::optional<std::string> reason) {
    int status = 0;
    ::close(slot.fd);
    ::waitpid(slot.pid, &status, 0);
    slot.pid = -1;
    slot.fd = -1;
    if (slot.busy) {
      std::string why = reason.value_or("");
      if (why.empty()) {
        why = WIFSIGNALED(status) ? std::string("crash: ") + ::strsignal(WTERMSIG(status))
                                  : "crash: worker exited with status " +
                                        std::to_string(WEXITSTATUS(status));
        if (const std::string said = last_line_of(slot.stderr_path); !said.empty()) {
          why += ": " + said;
        }
      }
      const std::size_t item_index = slot.items[slot.next];
      log_seed("end", item_index, why);
      record(item_index, 0, 0, slot.started,
             finding{0, 0, "", why.starts_with("hang") ? "hang" : "crash", why, ""});
      slot.busy = false;
      ++slot.next;
    }
    const bool out_of_time = wall_clock::now() >= plan_.deadline;
    if (slot.next < slot.items.size() && !out_of_time && interrupt_requested == 0) {
      start_worker(plan_, slot);
    }
  }

  /// The seed log (<out>/sweep.log): every run is logged before it starts, so even a sweep that is
  /// itself killed leaves the seed that was running on record.
  void open_seed_log() {
    std::error_code ignored;
    std::filesystem::create_directories(plan_.options->out_dir, ignored);
    const std::string path = plan_.options->out_dir + "/sweep.log";
    seed_log_ = std::fopen(path.c_str(), "a");
    if (seed_log_ == nullptr) {
      std::fprintf(stderr, "ipcsim: warning: cannot write the seed log %s\n", path.c_str());
    }
  }

  void log_seed(const char* what, std::size_t item_index, const std::string& status) {
    if (seed_log_ == nullptr) {
      return;
    }
    const sweep_item& item = plan_.items[item_index];
    std::fprintf(seed_log_, "%s %s seed %llu strategy %s%s%s\n", what,
                 plan_.scenarios[item.scenario]->name.c_str(),
                 static_cast<unsigned long long>(plan_.options->seed_base + item.run_index),
                 concrete_strategy(plan_.options->strategy, item.run_index).c_str(),
                 status.empty() ? "" : " ", status.c_str());
    std::fflush(seed_log_);
  }

  void enforce_watchdog() {
    const auto limit = std::chrono::duration<double>(plan_.options->watchdog_seconds);
    for (worker_slot& slot : slots_) {
      if (slot.pid > 0 && slot.busy && wall_clock::now() - slot.started > limit) {
        ::kill(slot.pid, SIGKILL);
        reap(slot, "hang: no result within the " +
                       std::to_string(static_cast<int>(plan_.options->watchdog_seconds)) +
                       " s watchdog");
      }
    }
  }

  void stop_all() {
    for (worker_slot& slot : slots_) {
      if (slot.pid > 0) {
        ::kill(slot.pid, SIGKILL);
        int status = 0;
        ::close(slot.fd);
        ::waitpid(slot.pid, &status, 0);
        slot.pid = -1;
      }
    }
  }

  void print_progress(wall_clock::time_point start, bool final_line) {
    if (plan_.options->quiet) {
      return;
    }
    const auto now = wall_clock::now();
    if (!final_line && now - last_progress_ < std::chrono::milliseconds(500)) {
      return;
    }
    last_progress_ = now;
    const double seconds = std::chrono::duration<double>(now - start).count();
    std::fprintf(stderr, "\rsweep: %zu/%zu runs, %zu findings, %.0f schedules/s   %s",
                 finished_, plan_.items.size(), findings_,
                 seconds > 0 ? static_cast<double>(finished_) / seconds : 0.0,
                 final_line ? "\n" : "");
    std::fflush(stderr);
  }

  sweep_plan& plan_;
  pct_budget budget_;
  std::vector<worker_slot> slots_;
  sweep_totals totals_;
  std::size_t started_ = 0;
  std::size_t finished_ = 0;
  std::size_t findings_ = 0;
  wall_clock::time_point last_progress_{};
  std::FILE* seed_log_ = nullptr;
};

}  // namespace

int run_sweep(const sweep_options& options) {
  sweep_plan plan;
  plan.options = &options;
  if (options.scenarios.empty()) {
    for (const scenarios::scenario& spec : *options.catalog) {
      plan.scenarios.push_back(&spec);
    }
  }
  for (const std::string& name : options.scenarios) {
    const scenarios::scenario* spec = scenarios::find_in(*options.catalog, name);
    if (spec == nullptr) {
      std::fprintf(stderr, "ipcsim: unknown scenario '%s' (see 'ipcsim list')\n", name.c_str());
      return 2;
    }
    plan.scenarios.push_back(spec);
  }
  // Items interleave scenarios so a time-limited sweep still covers every scenario.
  const auto runs_of = [&options](const scenarios::scenario& spec) {
    return options.runs != 0 ? options.runs : spec.default_runs;
  };
  std::uint64_t runs_max = 0;
  for (const scenarios::scenario* spec : plan.scenarios) {
    runs_max = std::max(runs_max, runs_of(*spec));
  }
  for (std::uint64_t run = 0; run < runs_max; ++run) {
    if (run % options.shard_count != options.shard_index) {
      continue;
    }
    for (std::size_t s = 0; s < plan.scenarios.size(); ++s) {
      if (run < runs_of(*plan.scenarios[s])) {
        plan.items.push_back(sweep_item{s, run});
      }
    }
  }
  if (options.time_limit_seconds > 0) {
    plan.deadline = wall_clock::now() + std::chrono::duration_cast<wall_clock::duration>(
                                            std::chrono::duration<double>(
                                                options.time_limit_seconds));
  }
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  sweep_session session(plan);
  const sweep_totals totals = session.run();
  print_summary_table(totals);
  std::vector<std::string> names;
  for (const scenarios::scenario* spec : plan.scenarios) {
    names.push_back(spec->name);
  }
  session.budget().print(names);
  if (!write_sweep_reports(totals, options)) {
    return 3;
  }
  bool as_expected = true;
  for (const scenario_tally& tally : totals.scenarios) {
    as_expected = as_expected && tally.as_expected();
  }
  return as_expected ? 0 : 1;
}

}  // namespace ipcsim::cli
