//! fork_order_oracle: lazy execution in lanes with branching on non-commuting open orders (see
//! the header and docs/oracles.md §3).

#include "model/fork_order_oracle.hpp"

#include <algorithm>

#include "core/platform/assert.hpp"
#include "core/wire/envelope.hpp"
#include "model/op_describe.hpp"

namespace ipcsim::model {
namespace {

std::string where(server_connection server, std::uint64_t sequence, std::uint64_t step) {
  return "(server " + std::to_string(server) + " #" + std::to_string(sequence) + ", step " +
         std::to_string(step) + ")";
}

bool contains(const std::vector<wire::bytes>& answers, const wire::bytes& answer) {
  return std::find(answers.begin(), answers.end(), answer) != answers.end();
}

}  // namespace

fork_order_oracle::fork_order_oracle() : fork_order_oracle(options{}) {}

fork_order_oracle::fork_order_oracle(const options& settings) : options_(settings) {
  IPC_ASSERT(settings.worlds_max >= 1);
  IPC_ASSERT(settings.applies_per_event_max >= 1);
  worlds_.push_back(world{wsdb_model(settings.limits), {}});
}

std::optional<oracle_finding> fork_order_oracle::observe(const history_event& event) {
  if (inconclusive_) {
    return std::nullopt;
  }
  if (event.kind == event_kind::request_arrived) {
    return on_arrived(event);
  }
  if (event.kind == event_kind::response_produced) {
    return on_produced(event);
  }
  return std::nullopt;
}

std::optional<oracle_finding> fork_order_oracle::on_arrived(const history_event& event) {
  const auto key = std::make_pair(event.server, event.sequence);
  if (by_request_.contains(key)) {
    return std::nullopt;  // A repeated arrival is exactly_once's finding; keep the first.
  }
  const op_id id = next_id_++;
  op_record record;
  record.server = event.server;
  record.sequence = event.sequence;
  record.step = event.step;
  record.payload = event.payload;
  auto decoded = wire::decode_request(event.payload);
  if (decoded) {
    record.request = std::make_shared<const wire::message>(std::move(decoded).value());
    record.traits = wsdb_op::of(*record.request);
  }
  if (record.traits.kind == wsdb_op_kind::unordered) {
    // Ping and malformed requests never read state, so any world gives the same answer.
    record.fixed_answer = worlds_.front().model.apply_payload(event.payload);
  } else if (const auto lane = record.traits.lane()) {
    lanes_[*lane].push_back(id);
  } else {
    floating_.push_back(id);
  }
  record_context(record);
  by_request_.emplace(key, id);
  pending_.emplace(id, std::move(record));
  return std::nullopt;
}

void fork_order_oracle::record_context(op_record& record) {
  const wsdb_op& traits = record.traits;
  if (traits.kind == wsdb_op_kind::unordered) {
    record.context = "unordered: answered without reading state";
    return;
  }
  if (traits.kind == wsdb_op_kind::committed_read) {
    record.context = last_commit_.empty() ? "no commit arrived before it (genesis is committed)"
                                          : "last commit to arrive before it: " + last_commit_;
  } else {
    const auto last = last_write_.find(traits.fork);
    record.context = last == last_write_.end()
                         ? "no earlier write on fork " + std::to_string(traits.fork)
                         : "after the last earlier write on fork " +
                               std::to_string(traits.fork) + ": " + last->second;
  }
  if (traits.is_write() || traits.moves_committed) {
    const std::string text =
        describe_request(record.payload) + " " + where(record.server, record.sequence, record.step);
    if (traits.is_write()) {
      last_write_[traits.fork] = text;
    }
    if (traits.moves_committed) {
      last_commit_ = text;
    }
  }
}

std::optional<oracle_finding> fork_order_oracle::on_produced(const history_event& event) {
  const auto found = by_request_.find(std::make_pair(event.server, event.sequence));
  if (found == by_request_.end()) {
    return std::nullopt;  // Never arrived, or answered twice: exactly_once reports it.
  }
  const op_id id = found->second;
  const op_record& record = pending_.at(id);
  if (record.fixed_answer) {
    std::optional<oracle_finding> finding;
    if (*record.fixed_answer != event.payload) {
      finding = mismatch(event, id, record, {});
    }
    forget(id);
    return finding;
  }
  std::vector<world> forced;
  force(id, forced);
  if (over_budget_) {
    inconclusive_ = true;
    return std::nullopt;
  }
  std::vector<world> kept;
  for (world& w : forced) {
    const auto answer = w.answers.find(id);
    IPC_ASSERT(answer != w.answers.end());
    if (contains(answer->second, event.payload)) {
      w.answers.erase(answer);
      kept.push_back(std::move(w));
    }
  }
  if (kept.empty()) {
    oracle_finding finding = mismatch(event, id, record, forced);
    // Carry on from the arrival-order world, so a caller that keeps observing gets sane checks.
    forced.front().answers.erase(id);
    worlds_.push_back(std::move(forced.front()));
    forget(id);
    return finding;
  }
  merge(kept);
  worlds_ = std::move(kept);
  forget(id);
  if (worlds_.size() > options_.worlds_max) {
    inconclusive_ = true;
  }
  return std::nullopt;
}

oracle_finding fork_order_oracle::mismatch(const history_event& event, op_id id,
                                           const op_record& record,
                                           const std::vector<world>& forced) const {
  const wsdb_op& traits = record.traits;
  oracle_finding finding;
  finding.oracle = name();
  finding.client = event.client;
  finding.step = event.step;
  finding.has_fork = traits.kind != wsdb_op_kind::unordered;
  finding.fork = traits.fork;
  const std::string fork = std::to_string(traits.fork);
  switch (traits.kind) {
    case wsdb_op_kind::read:
      finding.message = "a read on fork " + fork +
                        " returned what no state at its place in arrival order gives";
      break;
    case wsdb_op_kind::committed_read:
      finding.message = "a committed read on fork " + fork +
                        " returned a state that was not committed at any instant of its window";
      break;
    case wsdb_op_kind::write:
      finding.message =
          "a write on fork " + fork + " answered differently than in arrival order";
      break;
    case wsdb_op_kind::unordered:
      finding.message = "an unordered request got the wrong answer";
      break;
  }
  // The first world's first answer is the arrival-order one: branches are added after it.
  const wire::bytes* expected = record.fixed_answer ? &*record.fixed_answer : nullptr;
  if (expected == nullptr && !forced.empty()) {
    expected = &forced.front().answers.at(id).front();
  }
  std::string first = describe_request(record.payload) + " " +
                      where(record.server, record.sequence, record.step) + " answered " +
                      describe_response(event.payload);
  if (expected != nullptr) {
    first += "; the model expects " + describe_response(*expected);
  }
  finding.operations.push_back(std::move(first));
  finding.operations.push_back(record.context);
  return finding;
}

void fork_order_oracle::forget(op_id id) {
  const op_record& record = pending_.at(id);
  by_request_.erase(std::make_pair(record.server, record.sequence));
  if (const auto lane = record.traits.lane()) {
    auto& ids = lanes_.at(*lane);
    ids.erase(std::find(ids.begin(), ids.end(), id));
    if (ids.empty()) {
      lanes_.erase(*lane);
    }
  } else if (record.traits.kind == wsdb_op_kind::committed_read) {
    floating_.erase(std::find(floating_.begin(), floating_.end(), id));
  }
  pending_.erase(id);
}

}  // namespace ipcsim::model
