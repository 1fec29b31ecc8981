#include "scenarios/scenario_file.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

namespace ipcsim::scenarios {

namespace {

/// Reads typed keys from one table and remembers which keys were read, so that leftovers can be
/// reported as unknown.
class table_reader {
 public:
  table_reader(const toml::table& table, std::string origin, std::string prefix)
      : table_(table), origin_(std::move(origin)), prefix_(std::move(prefix)) {}

  template <class T>
  void read(const char* key, T& out, std::int64_t min_value, std::int64_t max_value) {
    seen_.insert(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr) {
      return;
    }
    // The as_*() accessors are exact: toml++'s value<T>() would quietly turn 3 into true.
    if constexpr (std::is_same_v<T, bool>) {
      const auto* value = node->as_boolean();
      require(value != nullptr, *node, key, "a boolean");
      out = value != nullptr && value->get();
    } else if constexpr (std::is_same_v<T, std::string>) {
      const auto* value = node->as_string();
      require(value != nullptr, *node, key, "a string");
      out = value != nullptr ? value->get() : std::string();
    } else {
      const auto* value = node->as_integer();
      const bool ok = value != nullptr && value->get() >= min_value && value->get() <= max_value;
      require(ok, *node, key,
              "an integer in [" + std::to_string(min_value) + ", " + std::to_string(max_value) +
                  "]");
      out = ok ? static_cast<T>(value->get()) : out;
    }
  }

  /// Marks `key` as known without reading it here.
  void allow(const char* key) { seen_.insert(key); }

  /// An error for the first key of this table that nobody read.
  void reject_unknown_keys() {
    for (const auto& [key, node] : table_) {
      if (!seen_.contains(std::string(key.str()))) {
        fail(node, std::string(key.str()), "is not a known key here");
      }
    }
  }

  const std::string& error() const noexcept { return error_; }

 private:
  void require(bool ok, const toml::node& node, const char* key, const std::string& wanted) {
    if (!ok) {
      fail(node, key, "must be " + wanted);
    }
  }
  void fail(const toml::node& node, const std::string& key, const std::string& what) {
    if (error_.empty()) {
      error_ = origin_ + ":" + std::to_string(node.source().begin.line) + ": " + prefix_ + key +
               " " + what;
    }
  }

  const toml::table& table_;
  std::string origin_;
  std::string prefix_;
  std::set<std::string> seen_;
  std::string error_;
};

constexpr std::int64_t max_u32 = UINT32_MAX;

void read_workload(table_reader& in, workload_spec& out) {
  in.read("operations_per_client", out.operations_per_client, 1, 100'000);
  in.read("weight_ping", out.weight_ping, 0, 1000);
  in.read("weight_read", out.weight_read, 0, 1000);
  in.read("weight_committed_read", out.weight_committed_read, 0, 1000);
  in.read("weight_write", out.weight_write, 0, 1000);
  in.read("weight_fork0_write", out.weight_fork0_write, 0, 1000);
  in.read("weight_fork_churn", out.weight_fork_churn, 0, 1000);
  in.read("forks", out.forks, 0, 15);
  in.read("oversized_response_one_in", out.oversized_response_one_in, 0, max_u32);
}

void read_topology(table_reader& in, topology_spec& out, std::string& transport) {
  in.read("clients", out.clients, 1, 64);
  in.read("window", out.window, 1, 1024);
  in.read("transport", transport, 0, 0);
  in.read("pool_threads", out.pool_threads, 1, 64);
  in.read("ring_capacity_bytes", out.ring_capacity_bytes, 256, 1 << 30);
}

void read_faults(table_reader& in, fault_spec& out) {
  in.read("kill_client_one_in", out.kill_client_one_in, 0, max_u32);
  in.read("slow_handler_one_in", out.slow_handler_one_in, 0, max_u32);
  in.read("spurious_wakeup_one_in", out.spurious_wakeup_one_in, 0, max_u32);
  in.read("spin_give_up_one_in", out.spin_give_up_one_in, 0, max_u32);
  in.read("partial_io", out.partial_io, 0, 0);
  in.read("reconnect_after_kill", out.reconnect_after_kill, 0, 1);
}

void read_oracles(table_reader& in, oracle_spec& out) {
  std::int64_t bound_ms = out.response_bound_ns / 1'000'000;
  in.read("fifo", out.fifo, 0, 0);
  in.read("exactly_once", out.exactly_once, 0, 0);
  in.read("fork_order", out.fork_order, 0, 0);
  in.read("linearizability", out.linearizability, 0, 0);
  in.read("response_bound_ms", bound_ms, 1, 3'600'000);
  out.response_bound_ns = bound_ms * 1'000'000;
}

/// Reads the sub-table `name` with `reader_function`; absent tables keep their defaults.
template <class Function>
std::string read_section(const toml::table& root, const char* name, const std::string& origin,
                         Function&& reader_function) {
  const toml::node* node = root.get(name);
  if (node == nullptr) {
    return {};
  }
  const toml::table* table = node->as_table();
  if (table == nullptr) {
    return origin + ":" + std::to_string(node->source().begin.line) + ": [" + name +
           "] must be a table";
  }
  table_reader in(*table, origin, std::string(name) + ".");
  reader_function(in);
  in.reject_unknown_keys();
  return in.error();
}

}  // namespace

namespace {

std::string read_top_level(const toml::table& root, const std::string& origin,
                           scenario_file& file) {
  table_reader top(root, origin, "");
  top.read("name", file.spec.name, 0, 0);
  top.read("description", file.spec.description, 0, 0);
  top.read("expect_finding", file.spec.expect_finding, 0, 0);
  top.read("step_limit", file.spec.step_limit, 1'000, 1'000'000'000);
  for (const char* section : {"workload", "topology", "faults", "oracles", "budget"}) {
    top.allow(section);  // Tables are read separately.
  }
  top.reject_unknown_keys();
  return top.error();
}

}  // namespace

result<scenario_file, std::string> parse_scenario_text(const std::string& text,
                                                       const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& error) {
    return unexpected(origin + ":" + std::to_string(error.source().begin.line) + ": " +
                      std::string(error.description()));
  }
  scenario_file file;
  file.path = origin;
  std::string transport = "shm";
  std::string error = read_top_level(root, origin, file);
  const auto keep_first = [&error](std::string next) {
    if (error.empty()) {
      error = std::move(next);
    }
  };
  keep_first(read_section(root, "workload", origin,
                          [&](table_reader& in) { read_workload(in, file.spec.workload); }));
  keep_first(read_section(root, "topology", origin, [&](table_reader& in) {
    read_topology(in, file.spec.topology, transport);
  }));
  keep_first(read_section(root, "faults", origin,
                          [&](table_reader& in) { read_faults(in, file.spec.faults); }));
  keep_first(read_section(root, "oracles", origin,
                          [&](table_reader& in) { read_oracles(in, file.spec.oracles); }));
  keep_first(read_section(root, "budget", origin, [&](table_reader& in) {
    in.read("runs", file.budget_runs, 1, 100'000'000);
  }));
  if (error.empty() && transport != "shm" && transport != "socket") {
    error = origin + ": topology.transport must be \"shm\" or \"socket\", not \"" + transport +
            "\"";
  }
  if (!error.empty()) {
    return unexpected(error);
  }
  file.spec.topology.transport = transport == "shm" ? transport_kind::shm : transport_kind::socket;
  if (file.spec.name.empty()) {
    file.spec.name = "ws." + std::filesystem::path(origin).stem().string();
  }
  return file;
}

result<scenario_file, std::string> load_scenario_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return unexpected("cannot open scenario file " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_scenario_text(text.str(), path);
}

result<std::vector<scenario_file>, std::string> load_scenario_directory(
    const std::string& directory) {
  std::vector<std::string> paths;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".toml") {
      paths.push_back(entry.path().string());
    }
  }
  if (error) {
    return unexpected("cannot read scenario directory " + directory + ": " + error.message());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<scenario_file> files;
  for (const std::string& path : paths) {
    auto file = load_scenario_file(path);
    if (!file) {
      return unexpected(file.error());
    }
    files.push_back(std::move(*file));
  }
  return files;
}

}  // namespace ipcsim::scenarios
