//! linearizability_checker: recording, partitioning and the unordered checks (see the header);
//! the search itself is wgl_search.

#include "model/linearizability_checker.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <utility>

#include "core/platform/assert.hpp"
#include "core/wire/envelope.hpp"
#include "model/op_describe.hpp"
#include "model/wgl_search.hpp"
#include "model/wsdb_op.hpp"

namespace ipcsim::model {
namespace {

/// A recorded operation with its request decoded once.
struct prepared {
  const client_operation* operation = nullptr;
  std::shared_ptr<const wire::message> request;
  wsdb_op traits;
};

std::string describe_operation(const client_operation& operation) {
  return "client " + std::to_string(operation.client) + " #" +
         std::to_string(operation.sequence) + " " + describe_request(operation.request);
}

std::string describe_answer(const client_operation& operation) {
  return operation.response ? describe_response(*operation.response)
                            : std::string("no response");
}

oracle_finding finding_for(const client_operation& operation, std::string message) {
  oracle_finding finding;
  finding.oracle = "linearizability";
  finding.message = std::move(message);
  finding.client = operation.client;
  finding.step = operation.response ? operation.return_step : operation.call_step;
  return finding;
}

/// True when `response` is the service's error response.
bool is_error(const wire::bytes& response) {
  auto message = wire::decode_response(response);
  return message && wire::is_error_response(*message, "Wsdb");
}

/// True for requests every partition needs: fork-0 writes and DeleteFork (see the header).
bool shared_by_partitions(const wsdb_op& traits) {
  return (traits.is_write() && traits.fork == 0) || traits.deletes_fork;
}

/// Where each shared request stands in fork 0's linearization (see `check`).
using chain_ranks = std::map<const prepared*, std::size_t>;

/// Builds the search input for one partition, members sorted by call. Lane requests keep their
/// connection's order as the service runs a lane; with `chain`, shared requests also keep the
/// order fork 0's linearization gave them.
std::vector<wgl_operation> search_input(const std::vector<const prepared*>& members,
                                        const chain_ranks& chain) {
  struct lane_history {
    std::optional<std::size_t> last_write;
    std::vector<std::size_t> reads_since;
  };
  std::vector<wgl_operation> input;
  std::map<std::pair<client_key, std::uint64_t>, lane_history> lanes;
  std::vector<std::pair<std::size_t, std::size_t>> chained;  // (rank, index)
  for (const prepared* member : members) {
    const client_operation& operation = *member->operation;
    wgl_operation op;
    op.request = member->request;
    op.response = operation.response ? &*operation.response : nullptr;
    op.reads_only = !member->traits.is_write();
    op.effectless = op.reads_only || (operation.response && is_error(*operation.response));
    op.call = {operation.call_ns, operation.call_order};
    if (operation.response) {
      op.ret = {operation.return_ns, operation.return_order};
    }
    if (const auto lane = member->traits.lane()) {
      // A read follows its connection's last write on the lane; a write follows that write and
      // every read since. Reads between two writes run concurrently, in any order.
      lane_history& history = lanes[std::make_pair(operation.client, *lane)];
      if (history.last_write) {
        op.predecessors.push_back(*history.last_write);
      }
      if (member->traits.is_write()) {
        op.predecessors.insert(op.predecessors.end(), history.reads_since.begin(),
                               history.reads_since.end());
        history.last_write = input.size();
        history.reads_since.clear();
      } else {
        history.reads_since.push_back(input.size());
      }
    }
    if (op.ret <= op.call) {
      op.ret = {op.call.first, operation.return_order};  // Clocks read late; keep stream order.
    }
    if (const auto rank = chain.find(member); rank != chain.end()) {
      chained.emplace_back(rank->second, input.size());
    }
    input.push_back(std::move(op));
  }
  std::sort(chained.begin(), chained.end());
  for (std::size_t i = 1; i < chained.size(); ++i) {
    input[chained[i].second].predecessors.push_back(chained[i - 1].second);
  }
  return input;
}

oracle_finding search_finding(const wgl_search& search,
                              const std::vector<const prepared*>& members, std::uint64_t fork) {
  const client_operation& blocked = *members[search.blocked()]->operation;
  std::string message = "no linearization of fork " + std::to_string(fork) +
                        "'s history explains this response";
  if (!search.blocked_predecessor_done()) {
    message += " (a request that must precede it could not be placed first)";
  }
  oracle_finding finding = finding_for(blocked, std::move(message));
  finding.has_fork = true;
  finding.fork = fork;
  finding.operations.push_back(
      describe_operation(blocked) + " answered " + describe_answer(blocked) +
      "; after the longest linearizable prefix the model answers " +
      describe_response(search.expected_answer()));
  if (const auto last = search.last_linearized()) {
    finding.operations.push_back("linearized just before it: " +
                                 describe_operation(*members[*last]->operation) + " answered " +
                                 describe_answer(*members[*last]->operation));
  } else {
    finding.operations.push_back("nothing could be linearized before it");
  }
  return finding;
}

/// Decodes every operation; checks unordered ones on the spot (they do not read state) and drops
/// reads that never got a response. Returns a finding for a wrong unordered answer.
std::optional<oracle_finding> prepare(const std::vector<client_operation>& operations,
                                      const wsdb_limits& limits, std::vector<prepared>& out) {
  wsdb_model genesis(limits);
  for (const client_operation& operation : operations) {
    prepared entry;
    entry.operation = &operation;
    auto decoded = wire::decode_request(operation.request);
    if (decoded) {
      entry.request = std::make_shared<const wire::message>(std::move(decoded).value());
      entry.traits = wsdb_op::of(*entry.request);
    }
    if (entry.traits.kind == wsdb_op_kind::unordered) {
      if (operation.response && genesis.apply_payload(operation.request) != *operation.response) {
        oracle_finding finding =
            finding_for(operation, "an unordered request got the wrong answer");
        finding.operations.push_back(describe_operation(operation) + " answered " +
                                     describe_answer(operation) + "; the model answers " +
                                     describe_response(genesis.apply_payload(operation.request)));
        finding.operations.push_back("unordered: the answer does not depend on state");
        return finding;
      }
      continue;
    }
    if (!operation.response && !entry.traits.is_write()) {
      continue;
    }
    out.push_back(std::move(entry));
  }
  return std::nullopt;
}

/// The members of fork `fork`'s partition (everything when `fork` is nullopt), sorted by call;
/// empty when the partition adds nothing to fork 0's.
std::vector<const prepared*> partition_of(const std::vector<prepared>& all,
                                          std::optional<std::uint64_t> fork) {
  std::vector<const prepared*> members;
  bool names_fork = !fork || *fork == 0;
  for (const prepared& entry : all) {
    const bool own = fork && entry.traits.fork == *fork;
    if (!fork || own || shared_by_partitions(entry.traits)) {
      members.push_back(&entry);
      names_fork = names_fork || (own && !entry.traits.deletes_fork);
    }
  }
  if (!names_fork) {
    return {};
  }
  std::sort(members.begin(), members.end(), [](const prepared* a, const prepared* b) {
    return std::make_pair(a->operation->call_ns, a->operation->call_order) <
           std::make_pair(b->operation->call_ns, b->operation->call_order);
  });
  return members;
}

/// Searches one partition within what is left of the budget; on `not_linearizable` it fills the
/// report's verdict and finding. `order` receives the linearization found, if asked for.
wgl_outcome search_partition(const std::vector<const prepared*>& members, const chain_ranks& chain,
                             const linearizability_checker::options& settings,
                             linearizability_report& report, std::optional<std::uint64_t> fork,
                             std::vector<std::size_t>* order = nullptr) {
  if (report.steps >= settings.steps_max) {
    return wgl_outcome::inconclusive;
  }
  const std::vector<wgl_operation> input = search_input(members, chain);
  wgl_search search(input, wsdb_model(settings.limits), settings.steps_max - report.steps);
  const wgl_outcome outcome = search.run();
  report.steps += search.steps();
  if (outcome == wgl_outcome::not_linearizable && chain.empty()) {
    report.verdict = linearizability_verdict::not_linearizable;
    report.finding = search_finding(search, members, fork.value_or(0));
  }
  if (outcome == wgl_outcome::linearizable && order != nullptr) {
    *order = search.linearization();
  }
  return outcome;
}

}  // namespace

linearizability_checker::linearizability_checker() : linearizability_checker(options{}) {}

linearizability_checker::linearizability_checker(const options& settings) : options_(settings) {
  IPC_ASSERT(settings.steps_max > 0);
}

std::optional<oracle_finding> linearizability_checker::observe(const history_event& event) {
  const std::uint64_t order = order_++;
  if (event.kind == event_kind::request_sent) {
    client_operation operation;
    operation.client = event.client;
    operation.sequence = event.sequence;
    operation.request = event.payload;
    operation.call_ns = event.time_ns;
    operation.call_order = order;
    operation.call_step = event.step;
    outstanding_[event.client].push_back(operations_.size());
    operations_.push_back(std::move(operation));
  } else if (event.kind == event_kind::response_received) {
    auto& waiting = outstanding_[event.client];
    if (waiting.empty()) {
      oracle_finding finding;
      finding.oracle = name();
      finding.message = "a response arrived with no request outstanding (per-connection order)";
      finding.client = event.client;
      finding.step = event.step;
      finding.operations.push_back("received " + describe_response(event.payload));
      return finding;
    }
    client_operation& operation = operations_[waiting.front()];
    waiting.erase(waiting.begin());
    operation.response = event.payload;
    operation.return_ns = event.time_ns;
    operation.return_order = order;
    operation.return_step = event.step;
  } else if (event.kind == event_kind::client_closed) {
    outstanding_.erase(event.client);
  }
  return std::nullopt;
}

std::optional<oracle_finding> linearizability_checker::finish(bool quiesced) {
  static_cast<void>(quiesced);  // Unanswered requests are allowed either way (see the header).
  report_ = check(operations_, options_);
  if (report_.verdict == linearizability_verdict::not_linearizable) {
    return report_.finding;
  }
  return std::nullopt;
}

linearizability_report linearizability_checker::check(
    const std::vector<client_operation>& operations, const options& settings) {
  linearizability_report report;
  report.operations = operations.size();
  std::vector<prepared> all;
  if (auto finding = prepare(operations, settings.limits, all)) {
    report.verdict = linearizability_verdict::not_linearizable;
    report.finding = std::move(finding);
    return report;
  }
  std::vector<std::optional<std::uint64_t>> partitions;
  if (settings.partition_by_fork) {
    std::set<std::uint64_t> forks;  // Ordered: fork 0's partition is searched first.
    for (const prepared& entry : all) {
      forks.insert(entry.traits.fork);
    }
    partitions.assign(forks.begin(), forks.end());
  } else {
    partitions.push_back(std::nullopt);
  }
  chain_ranks chain;
  for (const auto& fork : partitions) {
    const std::vector<const prepared*> members = partition_of(all, fork);
    if (members.empty()) {
      continue;
    }
    ++report.partitions;
    // First with the shared requests in the order fork 0's partition found for them: a correct
    // history almost always passes so, cheaply. Only if it does not is the partition searched
    // without that order, which alone decides (another order of the shared requests may work).
    if (!chain.empty() && search_partition(members, chain, settings, report, fork) ==
                              wgl_outcome::linearizable) {
      continue;
    }
    std::vector<std::size_t> order;
    const wgl_outcome outcome = search_partition(members, {}, settings, report, fork, &order);
    if (outcome == wgl_outcome::not_linearizable) {
      return report;
    }
    if (outcome == wgl_outcome::inconclusive) {
      report.verdict = linearizability_verdict::inconclusive;
    } else if (fork == 0) {
      for (std::size_t rank = 0; rank < order.size(); ++rank) {
        if (shared_by_partitions(members[order[rank]]->traits)) {
          chain.emplace(members[order[rank]], rank);
        }
      }
    }
  }
  return report;
}

}  // namespace ipcsim::model
