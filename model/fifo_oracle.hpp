#pragma once
//! fifo_oracle: per client connection, the k-th response received answers the k-th request sent
//! (docs/oracles.md §2).
//!
//! How it works. Each client connection keeps the queue of its requests not yet answered. A
//! response pops the head and must fit it: its tag is the request's tag + "Response" or the
//! service's error tag (a request that does not decode can only get the error), and a Ping's
//! response must echo the nonce. When it does not fit, the witness names the head request and,
//! if the response fits some other request of the queue, that one too: a swap or a shifted
//! stream then reads directly off the finding. A response while the queue is empty is a finding
//! as well (a duplicate, or another connection's response).
//!
//! Events used: request_sent, response_received, client_closed (client side only).

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "core/wire/bytes.hpp"
#include "model/oracle.hpp"

namespace ipcsim::model {

class fifo_oracle final : public oracle {
 public:
  /// `service` is the tag prefix of the error response ("Wsdb" gives "WsdbErrorResponse").
  explicit fifo_oracle(std::string service = "Wsdb");

  const char* name() const noexcept override { return "fifo"; }
  /// Queues sent requests; checks each received response against its connection's oldest.
  std::optional<oracle_finding> observe(const history_event& event) override;

 private:
  struct sent_request {
    std::uint64_t sequence = 0;
    std::uint64_t step = 0;
    wire::bytes payload;
    std::string tag;  ///< empty when the request does not decode
    std::optional<std::uint64_t> ping_nonce;
  };
  struct connection {
    std::deque<sent_request> outstanding;
    std::optional<sent_request> last_answered;
  };

  std::optional<oracle_finding> on_response(const history_event& event);
  bool fits(const sent_request& request, const std::string& tag,
            const std::optional<std::uint64_t>& nonce) const;
  oracle_finding finding(const history_event& event, std::string message) const;
  static std::string describe(const sent_request& request);

  std::string service_;
  std::map<client_key, connection> connections_;
};

}  // namespace ipcsim::model
