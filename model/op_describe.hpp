#pragma once
//! Readable one-line descriptions of request and response payloads for oracle witnesses: the tag
//! and the key fields, e.g. `WsdbAppendLeaves{forkId: 1, treeId: 0, leaves: [2]}` or
//! `WsdbErrorResponse{message: "fork 3 not found"}`. Integers and bools are printed, short strings
//! quoted, bins shortened to their first bytes in hex, arrays to their length. A payload that does
//! not decode is described by its size and the decoder's message.

#include <cstdint>
#include <string>

#include "core/wire/bytes.hpp"

namespace ipcsim::model {

/// Describes a request payload `[[tag, {fields}]]`.
std::string describe_request(wire::byte_view payload);

/// Describes a response payload `[tag, {fields}]`.
std::string describe_response(wire::byte_view payload);

/// A 64-bit digest of raw bytes (FNV-1a), for remembering payloads without keeping them.
std::uint64_t payload_digest(wire::byte_view payload) noexcept;

}  // namespace ipcsim::model
