#include "replay/trace_file.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <msgpack.hpp>

#include "sim/site.hpp"

namespace ipcsim::replay {

namespace {

void pack_labels(msgpack::packer<msgpack::sbuffer>& packer,
                 const std::vector<decision_label>& labels) {
  packer.pack_array(static_cast<std::uint32_t>(labels.size()));
  for (const decision_label& label : labels) {
    packer.pack_array(6);
    packer.pack(label.step);
    packer.pack(label.fiber);
    packer.pack(label.runnable);
    packer.pack(label.kind);
    packer.pack(label.object_id);
    packer.pack(label.site);
  }
}

template <class T>
void read_field(const std::map<std::string, msgpack::object>& fields, const char* name, T& out) {
  const auto found = fields.find(name);
  if (found == fields.end()) {
    throw std::runtime_error(std::string("missing field '") + name + "'");
  }
  found->second.convert(out);
}

}  // namespace

trace_file make_trace_file(const std::string& scenario, std::uint64_t seed,
                           const std::string& strategy, const sim::run_result& result,
                           const sim::trace_recorder& recorder,
                           const std::vector<std::string>& fiber_names) {
  trace_file trace;
  trace.scenario = scenario;
  trace.seed = seed;
  trace.strategy = strategy;
  trace.status = sim::to_string(result.status);
  trace.message = result.message;
  trace.trace_hash = result.trace_hash;
  trace.steps = result.steps;
  trace.decisions = result.decisions;
  trace.build = build_identity();
  trace.fibers = fiber_names;
  trace.choices = recorder.choices();
  trace.workload_choices = recorder.workload_choices();
  trace.labels.reserve(recorder.decisions().size());
  for (const sim::decision_record& record : recorder.decisions()) {
    trace.labels.push_back(decision_label{
        record.step, record.fiber, record.runnable, platform::detail::op_kind_name(record.op.kind),
        record.op.object_id, sim::format_site(record.op.file, record.op.line)});
  }
  return trace;
}

result<void, std::string> write_trace_file(const trace_file& trace, const std::string& path) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  packer.pack_map(16);
  packer.pack("version"), packer.pack(trace.version);
  packer.pack("scenario"), packer.pack(trace.scenario);
  packer.pack("seed"), packer.pack(trace.seed);
  packer.pack("strategy"), packer.pack(trace.strategy);
  packer.pack("status"), packer.pack(trace.status);
  packer.pack("message"), packer.pack(trace.message);
  packer.pack("trace_hash"), packer.pack(trace.trace_hash);
  packer.pack("steps"), packer.pack(trace.steps);
  packer.pack("decisions"), packer.pack(trace.decisions);
  packer.pack("build"), packer.pack(trace.build);
  packer.pack("fibers"), packer.pack(trace.fibers);
  packer.pack("choices"), packer.pack(trace.choices);
  packer.pack("workload_choices"), packer.pack(trace.workload_choices);
  packer.pack("labels"), pack_labels(packer, trace.labels);
  packer.pack("command"), packer.pack(trace.command);
  packer.pack("format"), packer.pack("ipcsim-trace");
  std::error_code error;
  const std::filesystem::path target(path);
  if (target.has_parent_path()) {
    std::filesystem::create_directories(target.parent_path(), error);
    if (error) {
      return unexpected(std::string("cannot create ") + target.parent_path().string() + ": " +
                        error.message());
    }
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  if (!out) {
    return unexpected(std::string("cannot write ") + path);
  }
  return {};
}

result<trace_file, std::string> read_trace_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return unexpected(std::string("cannot open ") + path);
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    // Trace files may come from anywhere: bound every container so a hostile header cannot make
    // msgpack allocate gigabytes.
    const msgpack::unpack_limit limits(1U << 26, 64, 1U << 20, 1U << 20, 0, 8);
    msgpack::object_handle handle =
        msgpack::unpack(bytes.data(), bytes.size(), nullptr, nullptr, limits);
    std::map<std::string, msgpack::object> fields;
    handle.get().convert(fields);
    trace_file trace;
    read_field(fields, "version", trace.version);
    if (trace.version != trace_format_version) {
      return unexpected(path + ": trace format version " + std::to_string(trace.version) +
                        ", this build reads version " + std::to_string(trace_format_version));
    }
    read_field(fields, "scenario", trace.scenario);
    read_field(fields, "seed", trace.seed);
    read_field(fields, "strategy", trace.strategy);
    read_field(fields, "status", trace.status);
    read_field(fields, "message", trace.message);
    read_field(fields, "trace_hash", trace.trace_hash);
    read_field(fields, "steps", trace.steps);
    read_field(fields, "decisions", trace.decisions);
    read_field(fields, "build", trace.build);
    read_field(fields, "fibers", trace.fibers);
    read_field(fields, "choices", trace.choices);
    read_field(fields, "workload_choices", trace.workload_choices);
    std::vector<std::tuple<std::uint64_t, std::uint32_t, std::uint32_t, std::string,
                           std::uint32_t, std::string>>
        labels;
    read_field(fields, "labels", labels);
    if (fields.count("command") != 0) {
      read_field(fields, "command", trace.command);
    }
    for (auto& [step, fiber, runnable, kind, object, site] : labels) {
      trace.labels.push_back(decision_label{step, fiber, runnable, kind, object, site});
    }
    return trace;
  } catch (const std::exception& error) {
    return unexpected(path + ": not a valid ipcsim trace file (" + error.what() + ")");
  }
}

std::vector<sim::scheduled_choice> schedule_of(const trace_file& trace) {
  std::vector<sim::scheduled_choice> schedule;
  for (const decision_label& label : trace.labels) {
    if (label.runnable < 2 || label.fiber >= trace.fibers.size()) {
      continue;
    }
    sim::scheduled_choice choice;
    choice.fiber = trace.fibers[label.fiber];
    for (std::uint8_t kind = 0; kind < static_cast<std::uint8_t>(sim::op_kind::count_); ++kind) {
      if (label.kind == platform::detail::op_kind_name(static_cast<sim::op_kind>(kind))) {
        choice.kind = static_cast<sim::op_kind>(kind);
        choice.check_kind = true;
      }
    }
    schedule.push_back(std::move(choice));
  }
  return schedule;
}

std::string build_identity() {
  std::ostringstream identity;
  identity << "ipcsim " << IPCSIM_VERSION << " " << IPCSIM_COMPILER << " " << IPCSIM_BUILD_TYPE;
  return identity.str();
}

}  // namespace ipcsim::replay
