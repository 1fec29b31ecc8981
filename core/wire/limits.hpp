#pragma once
//! Every size the wire layer accepts from a peer is bounded by a constant here. The frame limit
//! follows the reference server (1 GiB, raised from 256 MiB after a ~315 MiB prover request was
//! dropped); the msgpack limits keep a hostile or corrupt payload from making the decoder allocate
//! more than a small multiple of the bytes it was actually given (toolchain.md §4.5: a 5-byte
//! map32 header otherwise asks for 64 GiB).

#include <cstddef>
#include <cstdint>

namespace ipcsim::wire {

/// Protocol version of the framing and envelope described in docs/protocol.md.
inline constexpr std::uint32_t protocol_version = 1;

/// Bytes of the little-endian u32 length that precedes every frame's payload.
inline constexpr std::size_t frame_prefix_bytes = 4;

/// Largest payload a frame may announce unless a transport configures a smaller limit. A prefix
/// announcing more is corruption, not a large message.
inline constexpr std::uint32_t default_max_frame_bytes = std::uint32_t{1} << 30;

/// Deepest container nesting any decoder configuration may ask for; sizes the decoder's fixed
/// scan stack.
inline constexpr std::uint32_t max_supported_depth = 64;

/// Bounds applied while decoding one msgpack payload. Every field is checked before msgpack-c
/// allocates anything for the value it describes.
struct decode_limits {
  /// Elements of one array, or key/value pairs of one map.
  std::uint32_t max_container_entries = std::uint32_t{1} << 20;
  /// Bytes of one str, bin or ext value.
  std::uint32_t max_blob_bytes = default_max_frame_bytes;
  /// Container nesting; the outermost array of an envelope is depth 1.
  std::uint32_t max_depth = 32;
  /// msgpack values in the whole payload, counting containers, keys and scalars. This bounds the
  /// decoded tree (24 bytes per value) for payloads that are large but within the frame limit.
  std::uint32_t max_total_values = std::uint32_t{1} << 24;
  /// Fields of one struct (a map with string keys); also bounds the cost of field lookup.
  std::uint32_t max_struct_fields = 64;
  /// Bytes of an envelope's tag string.
  std::uint32_t max_tag_bytes = 256;
};

/// The limits every decoder uses unless told otherwise.
inline constexpr decode_limits default_decode_limits{};

}  // namespace ipcsim::wire
