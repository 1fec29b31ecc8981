#include "core/wire/msgpack_scan.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "core/platform/assert.hpp"

namespace ipcsim::wire {
namespace {

enum class item_kind : std::uint8_t { scalar, blob, array, map, reserved };

/// What one msgpack header says about the value it starts.
struct item_header {
  item_kind kind = item_kind::scalar;
  /// The type byte plus any length field.
  std::size_t header_bytes = 1;
  /// Scalars and blobs: body bytes after the header. Containers: entries (pairs for a map).
  std::uint64_t length = 0;
};

std::uint64_t read_big_endian(byte_view input, std::size_t position, std::size_t width) noexcept {
  std::uint64_t value = 0;
  for (std::size_t index = 0; index < width; ++index) {
    value = (value << 8U) | static_cast<std::uint64_t>(input[position + index]);
  }
  return value;
}

/// A header whose length sits in a big-endian field of `width` bytes after the type byte;
/// `extra` is added for ext values, whose body also holds a type byte. Empty when truncated.
std::optional<item_header> sized_header(byte_view input, std::size_t position, item_kind kind,
                                        std::size_t width, std::uint64_t extra) noexcept {
  if (input.size() - position < 1 + width) {
    return std::nullopt;
  }
  return item_header{kind, 1 + width, read_big_endian(input, position + 1, width) + extra};
}

/// Decodes the header at `position` (which must be inside `input`); empty when the header itself
/// is cut off. Table from the msgpack specification's "formats" section.
std::optional<item_header> read_header(byte_view input, std::size_t position) noexcept {
  IPC_ASSERT(position < input.size());
  const auto type = static_cast<std::uint8_t>(input[position]);
  if (type <= 0x7fU || type >= 0xe0U) {
    return item_header{};  // fixint, positive or negative
  }
  if (type <= 0x8fU) {
    return item_header{item_kind::map, 1, type & 0x0fU};
  }
  if (type <= 0x9fU) {
    return item_header{item_kind::array, 1, type & 0x0fU};
  }
  if (type <= 0xbfU) {
    return item_header{item_kind::blob, 1, type & 0x1fU};
  }
  switch (type) {
    case 0xc0: case 0xc2: case 0xc3: return item_header{};
    case 0xc1: return item_header{item_kind::reserved, 1, 0};
    case 0xc4: return sized_header(input, position, item_kind::blob, 1, 0);
    case 0xc5: return sized_header(input, position, item_kind::blob, 2, 0);
    case 0xc6: return sized_header(input, position, item_kind::blob, 4, 0);
    case 0xc7: return sized_header(input, position, item_kind::blob, 1, 1);
    case 0xc8: return sized_header(input, position, item_kind::blob, 2, 1);
    case 0xc9: return sized_header(input, position, item_kind::blob, 4, 1);
    case 0xca: return item_header{item_kind::scalar, 1, 4};
    case 0xcb: return item_header{item_kind::scalar, 1, 8};
    case 0xcc: case 0xd0: return item_header{item_kind::scalar, 1, 1};
    case 0xcd: case 0xd1: return item_header{item_kind::scalar, 1, 2};
    case 0xce: case 0xd2: return item_header{item_kind::scalar, 1, 4};
    case 0xcf: case 0xd3: return item_header{item_kind::scalar, 1, 8};
    case 0xd4: return item_header{item_kind::blob, 1, 2};
    case 0xd5: return item_header{item_kind::blob, 1, 3};
    case 0xd6: return item_header{item_kind::blob, 1, 5};
    case 0xd7: return item_header{item_kind::blob, 1, 9};
    case 0xd8: return item_header{item_kind::blob, 1, 17};
    case 0xd9: return sized_header(input, position, item_kind::blob, 1, 0);
    case 0xda: return sized_header(input, position, item_kind::blob, 2, 0);
    case 0xdb: return sized_header(input, position, item_kind::blob, 4, 0);
    case 0xdc: return sized_header(input, position, item_kind::array, 2, 0);
    case 0xdd: return sized_header(input, position, item_kind::array, 4, 0);
    case 0xde: return sized_header(input, position, item_kind::map, 2, 0);
    case 0xdf: return sized_header(input, position, item_kind::map, 4, 0);
    default: IPC_UNREACHABLE();
  }
}

decode_failure failure_at(decode_error kind, const char* what, std::size_t position) {
  return {kind, std::string(what) + " at offset " + std::to_string(position)};
}

/// The walk's state: how many values each open nesting level still expects.
struct scan_state {
  std::array<std::uint64_t, max_supported_depth + 1> pending{};
  std::size_t depth = 0;
  std::size_t position = 0;
  std::uint64_t values = 0;
};

/// Checks one header against the limits and the bytes left, then advances over it (and over the
/// body of a scalar or blob, or opens a container level).
result<void, decode_failure> step(byte_view input, const decode_limits& limits,
                                  const item_header& header, scan_state& state) {
  const std::size_t start = state.position;
  const std::uint64_t left = input.size() - start - header.header_bytes;
  if (header.kind == item_kind::reserved) {
    return unexpected(failure_at(decode_error::malformed, "reserved byte 0xc1", start));
  }
  if (header.kind == item_kind::blob && header.length > limits.max_blob_bytes) {
    return unexpected(failure_at(decode_error::limit_exceeded, "str/bin/ext too long", start));
  }
  if (header.kind == item_kind::scalar || header.kind == item_kind::blob) {
    if (header.length > left) {
      return unexpected(failure_at(decode_error::truncated, "value cut off", start));
    }
    state.position += header.header_bytes + header.length;
    return {};
  }
  if (header.length > limits.max_container_entries) {
    return unexpected(failure_at(decode_error::limit_exceeded, "too many entries", start));
  }
  if (state.depth + 1 > limits.max_depth) {
    return unexpected(failure_at(decode_error::limit_exceeded, "nesting too deep", start));
  }
  // Every value takes at least one byte, so a count beyond the bytes left cannot be satisfied.
  const std::uint64_t values = header.kind == item_kind::map ? header.length * 2 : header.length;
  if (values > left) {
    return unexpected(failure_at(decode_error::truncated, "container cut off", start));
  }
  state.position += header.header_bytes;
  state.depth += 1;
  state.pending[state.depth] = values;
  return {};
}

}  // namespace

result<void, decode_failure> scan_msgpack(byte_view input, const decode_limits& limits) noexcept {
  IPC_ASSERT(limits.max_depth <= max_supported_depth);
  scan_state state;
  state.pending[0] = 1;
  for (;;) {
    while (state.depth > 0 && state.pending[state.depth] == 0) {
      state.depth -= 1;
    }
    if (state.pending[state.depth] == 0) {
      break;
    }
    if (state.position >= input.size()) {
      return unexpected(failure_at(decode_error::truncated, "payload ends", state.position));
    }
    state.pending[state.depth] -= 1;
    state.values += 1;
    if (state.values > limits.max_total_values) {
      return unexpected(
          failure_at(decode_error::limit_exceeded, "too many values", state.position));
    }
    const auto header = read_header(input, state.position);
    if (!header) {
      return unexpected(failure_at(decode_error::truncated, "header cut off", state.position));
    }
    auto step_result = step(input, limits, *header, state);
    if (!step_result) {
      return step_result;
    }
    IPC_ASSERT(state.position <= input.size());
  }
  if (state.position != input.size()) {
    return unexpected(failure_at(decode_error::trailing_bytes, "bytes after the value",
                                 state.position));
  }
  return {};
}

}  // namespace ipcsim::wire
