#pragma once
//! A structural pre-check of one msgpack value, run before msgpack-c sees untrusted bytes.
//!
//! msgpack-c allocates a container's element storage as soon as it reads the container's header,
//! before it knows whether the elements exist, so even with `unpack_limit` a 5-byte header can
//! demand tens of MiB. The scan walks the bytes without allocating (a fixed stack of pending
//! counts, one per nesting level) and rejects any header whose count or length cannot fit in the
//! bytes that remain, any size above `decode_limits`, and any byte after the value. Only input
//! that passes is handed to msgpack-c, whose own decoded tree is then bounded by a small multiple
//! of the input size. It also gives precise error kinds (`truncated` versus `limit_exceeded`)
//! that msgpack-c's exceptions do not.

#include "core/platform/result.hpp"
#include "core/wire/bytes.hpp"
#include "core/wire/decode_error.hpp"
#include "core/wire/limits.hpp"

namespace ipcsim::wire {

/// Succeeds when `input` is exactly one complete msgpack value within `limits`; otherwise
/// reports `truncated`, `malformed`, `limit_exceeded` or `trailing_bytes` with the offset in the
/// message. Never allocates on success. Requires `limits.max_depth <= max_supported_depth`.
result<void, decode_failure> scan_msgpack(byte_view input, const decode_limits& limits) noexcept;

}  // namespace ipcsim::wire
