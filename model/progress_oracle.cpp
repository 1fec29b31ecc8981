//! progress_oracle: a time bound on every request (see the header).

#include "model/progress_oracle.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "core/platform/assert.hpp"
#include "model/op_describe.hpp"

namespace ipcsim::model {

progress_oracle::progress_oracle(std::int64_t bound_ns) : bound_ns_(bound_ns) {
  IPC_ASSERT(bound_ns > 0);
}

std::optional<oracle_finding> progress_oracle::advance_to(std::int64_t time_ns,
                                                          std::uint64_t step) {
  now_ns_ = std::max(now_ns_, time_ns);
  now_step_ = std::max(now_step_, step);
  if (waiting_.empty()) {
    return std::nullopt;
  }
  const waiting_key& oldest = *waiting_.begin();
  if (now_ns_ - std::get<0>(oldest) <= bound_ns_) {
    return std::nullopt;
  }
  return overdue(oldest, "a request waited longer than the bound of " +
                             std::to_string(bound_ns_) + " ns");
}

std::optional<oracle_finding> progress_oracle::observe(const history_event& event) {
  if (auto found = advance_to(event.time_ns, event.step)) {
    return found;
  }
  switch (event.kind) {
    case event_kind::request_sent: {
      outstanding_[event.client].push_back(
          sent_request{event.sequence, event.time_ns, event.step, event.payload});
      waiting_.emplace(event.time_ns, event.client, event.sequence);
      break;
    }
    case event_kind::response_received: {
      auto found = outstanding_.find(event.client);
      if (found == outstanding_.end() || found->second.empty()) {
        break;  // Nothing was waiting: fifo and exactly_once report it.
      }
      const sent_request& head = found->second.front();
      waiting_.erase(waiting_key{head.sent_ns, event.client, head.sequence});
      found->second.pop_front();
      break;
    }
    case event_kind::client_closed: {
      const auto found = outstanding_.find(event.client);
      if (found == outstanding_.end()) {
        break;
      }
      for (const sent_request& request : found->second) {
        waiting_.erase(waiting_key{request.sent_ns, event.client, request.sequence});
      }
      outstanding_.erase(found);
      break;
    }
    default:
      break;
  }
  return std::nullopt;
}

std::optional<oracle_finding> progress_oracle::finish(bool quiesced) {
  if (auto found = advance_to(now_ns_, now_step_)) {
    return found;
  }
  if (!quiesced || waiting_.empty()) {
    return std::nullopt;
  }
  return overdue(*waiting_.begin(), "the run quiesced with a request never answered");
}

oracle_finding progress_oracle::overdue(const waiting_key& oldest, std::string message) const {
  // Named copies rather than a structured binding: clang 14 cannot capture bindings in lambdas.
  const auto sent_ns = std::get<0>(oldest);
  const auto client = std::get<1>(oldest);
  const auto sequence = std::get<2>(oldest);
  const auto& queue = outstanding_.at(client);
  const auto request = std::find_if(queue.begin(), queue.end(), [&](const sent_request& r) {
    return r.sequence == sequence && r.sent_ns == sent_ns;
  });
  IPC_ASSERT(request != queue.end());
  oracle_finding found;
  found.oracle = name();
  found.message = std::move(message);
  found.client = client;
  found.step = now_step_;
  found.operations.push_back("request #" + std::to_string(sequence) + " " +
                             describe_request(request->payload) + " sent at " +
                             std::to_string(sent_ns) + " ns (step " +
                             std::to_string(request->step) + ")");
  found.operations.push_back("still unanswered at " + std::to_string(now_ns_) + " ns, " +
                             std::to_string(now_ns_ - sent_ns) + " ns later");
  return found;
}

}  // namespace ipcsim::model
