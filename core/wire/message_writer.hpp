#pragma once
//! Encodes one envelope into a `bytes` buffer with msgpack-c's packer:
//! request `[[tag, {fields}]]` or response `[tag, {fields}]`. msgpack announces every container's
//! size up front and has no end markers, so the writer tracks, per open container, how many
//! values are still owed, and asserts that keys and values alternate in structs, that no
//! container receives more than it announced, and that every size stays within the
//! `decode_limits` a decoder will apply. Encoding what the decoder would reject is a programmer
//! error. Integers use the smallest encoding, as the reference codegen does.
//!
//! Usage: `message_writer::response(out, response_tag("Wsdb", "Ping"), 1)
//!             .key("nonce").u64(nonce).finish();`
//! Key uniqueness within a struct is the caller's duty; the decoder rejects repeats.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/wire/bytes.hpp"
#include "core/wire/limits.hpp"
#include "core/wire/tag_name.hpp"

namespace ipcsim::wire {

/// Writes one envelope, asserting its structure as it goes; see the file comment.
class message_writer {
 public:
  /// Appends the header of a request `[[tag, {` with `field_count` fields to `out`; the fields
  /// follow through `key` and the value calls.
  static message_writer request(bytes& out, const tag_name& tag, std::uint32_t field_count,
                                const decode_limits& limits = default_decode_limits);
  /// Appends the header of a response (or error response) `[tag, {` with `field_count` fields.
  static message_writer response(bytes& out, const tag_name& tag, std::uint32_t field_count,
                                 const decode_limits& limits = default_decode_limits);

  /// A struct key. Must come where the innermost open struct expects a key.
  message_writer& key(std::string_view name);
  /// An unsigned integer in its smallest encoding (also used for u32 fields).
  message_writer& u64(std::uint64_t value);
  /// A bool.
  message_writer& boolean(bool value);
  /// A str (not checked for UTF-8).
  message_writer& string(std::string_view value);
  /// A bin; also how bin32 values are written.
  message_writer& bin(byte_view value);
  /// nil, the encoding of an absent optional.
  message_writer& nil();
  /// Opens an array of `count` elements; the next `count` values fill it.
  message_writer& begin_array(std::uint32_t count);
  /// Opens a nested struct of `field_count` fields; `field_count` key/value pairs fill it.
  message_writer& begin_struct(std::uint32_t field_count);

  /// True when every announced value has been written.
  bool complete() const noexcept { return depth_ == 0; }
  /// Asserts that the envelope is complete.
  void finish() const noexcept;

 private:
  /// One open container: values still owed, and whether it is a struct (keys at even counts).
  struct level {
    std::uint64_t remaining = 0;
    bool is_struct = false;
  };

  message_writer(bytes& out, const decode_limits& limits, std::uint32_t base_depth) noexcept;
  void write_tag(const tag_name& tag);
  void open_fields(std::uint32_t field_count);
  void consume(bool is_key) noexcept;
  void open(std::uint64_t values, bool is_struct) noexcept;
  void close_completed() noexcept;

  bytes* out_;
  decode_limits limits_;
  /// Nesting depth, as the decoder counts it, of the envelope's field struct.
  std::uint32_t base_depth_;
  std::array<level, max_supported_depth> levels_{};
  std::size_t depth_ = 0;
  std::uint64_t values_written_ = 0;
};

}  // namespace ipcsim::wire
