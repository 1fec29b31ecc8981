#pragma once
//! The `Ping` command: request `<Service>Ping {nonce: u64}`, response
//! `<Service>PingResponse {nonce: u64}` echoing the nonce. It is the first concrete command and
//! the one the oracles lean on: distinct nonces make any swapped or duplicated response visible.
//! The readers take the field struct only; matching the tag is the dispatcher's job.

#include <cstdint>
#include <string_view>

#include "core/platform/result.hpp"
#include "core/wire/bytes.hpp"
#include "core/wire/decode_error.hpp"
#include "core/wire/field_map.hpp"
#include "core/wire/tag_name.hpp"

namespace ipcsim::wire {

/// The command part of the ping tags.
inline constexpr std::string_view ping_command = "Ping";

/// The ping request's fields.
struct ping_request {
  std::uint64_t nonce = 0;
  bool operator==(const ping_request&) const = default;
};

/// The ping response's fields: the request's nonce, echoed.
struct ping_response {
  std::uint64_t nonce = 0;
  bool operator==(const ping_response&) const = default;
};

/// Appends the request payload `[["<service>Ping", {"nonce": nonce}]]` to `out`.
void append_ping_request(bytes& out, std::string_view service, const ping_request& request);

/// Appends the response payload `["<service>PingResponse", {"nonce": nonce}]` to `out`.
void append_ping_response(bytes& out, std::string_view service, const ping_response& response);

/// Reads a ping request's fields; other fields are ignored.
result<ping_request, decode_failure> read_ping_request(const field_map& fields);

/// Reads a ping response's fields; other fields are ignored.
result<ping_response, decode_failure> read_ping_response(const field_map& fields);

}  // namespace ipcsim::wire
