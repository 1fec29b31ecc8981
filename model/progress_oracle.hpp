#pragma once
//! progress_oracle: every request is answered within a bound of (virtual) time after it was sent
//! (docs/oracles.md §5).
//!
//! How it works. Outstanding requests are kept ordered by send time. Every event first moves the
//! oracle's clock to the event's time and fails if the oldest outstanding request has waited
//! longer than the bound, so a hang is reported at the first event past the deadline, whichever
//! connection it is on. A response retires its connection's oldest request (responses come in
//! request order; fifo checks that). A closed client's requests are dropped: nobody waits for
//! them. `advance_to` lets a harness move the clock when no event happens (e.g. the simulator's
//! final time), and `finish` checks the bound once more; on a quiesced run it also fails for any
//! request still outstanding on an open connection, since no later event will answer it.
//!
//! Events used: request_sent, response_received, client_closed, and every event's `time_ns`.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "core/wire/bytes.hpp"
#include "model/oracle.hpp"

namespace ipcsim::model {

class progress_oracle final : public oracle {
 public:
  /// `bound_ns`: the longest a request may wait for its response, in the history's time unit.
  explicit progress_oracle(std::int64_t bound_ns);

  const char* name() const noexcept override { return "progress"; }
  /// Moves the clock to the event's time, checks the bound, then tracks the event.
  std::optional<oracle_finding> observe(const history_event& event) override;
  /// Checks the bound at the last time seen; on a quiesced run, nothing may be outstanding.
  std::optional<oracle_finding> finish(bool quiesced) override;

  /// Moves the clock to `time_ns` (never backwards) and checks the bound.
  std::optional<oracle_finding> advance_to(std::int64_t time_ns, std::uint64_t step = 0);

 private:
  struct sent_request {
    std::uint64_t sequence = 0;
    std::int64_t sent_ns = 0;
    std::uint64_t step = 0;
    wire::bytes payload;
  };
  using waiting_key = std::tuple<std::int64_t, client_key, std::uint64_t>;

  oracle_finding overdue(const waiting_key& oldest, std::string message) const;

  std::int64_t bound_ns_;
  std::int64_t now_ns_ = 0;
  std::uint64_t now_step_ = 0;
  std::map<client_key, std::deque<sent_request>> outstanding_;
  /// (sent time, client, sequence) of every outstanding request, oldest first.
  std::set<waiting_key> waiting_;
};

}  // namespace ipcsim::model
