#include "core/wire/message_writer.hpp"

#include <msgpack/pack.hpp>

#include "core/platform/assert.hpp"

namespace ipcsim::wire {
namespace {

/// The stream msgpack::packer writes to: appends to a `bytes` buffer.
struct byte_sink {
  bytes& out;
  void write(const char* data, std::size_t size) {
    const auto* first = reinterpret_cast<const std::byte*>(data);
    out.insert(out.end(), first, first + size);
  }
};

// The envelope arrays sit above the field struct: a request's struct is at depth 3 (outer
// 1-element array, [tag, fields] pair, struct), a response's at depth 2.
constexpr std::uint32_t request_fields_depth = 3;
constexpr std::uint32_t response_fields_depth = 2;

}  // namespace

message_writer::message_writer(bytes& out, const decode_limits& limits,
                               std::uint32_t base_depth) noexcept
    : out_(&out), limits_(limits), base_depth_(base_depth) {
  IPC_ASSERT(limits.max_depth <= max_supported_depth);
  IPC_ASSERT(base_depth <= limits.max_depth);
}

message_writer message_writer::request(bytes& out, const tag_name& tag,
                                       std::uint32_t field_count, const decode_limits& limits) {
  message_writer writer(out, limits, request_fields_depth);
  byte_sink sink{out};
  msgpack::packer<byte_sink>(sink).pack_array(1).pack_array(2);
  writer.write_tag(tag);
  writer.open_fields(field_count);
  return writer;
}

message_writer message_writer::response(bytes& out, const tag_name& tag,
                                        std::uint32_t field_count, const decode_limits& limits) {
  message_writer writer(out, limits, response_fields_depth);
  byte_sink sink{out};
  msgpack::packer<byte_sink>(sink).pack_array(2);
  writer.write_tag(tag);
  writer.open_fields(field_count);
  return writer;
}

void message_writer::write_tag(const tag_name& tag) {
  IPC_ASSERT(tag.size() > 0);
  IPC_ASSERT(tag.size() <= limits_.max_tag_bytes);
  byte_sink sink{*out_};
  msgpack::packer<byte_sink> packer(sink);
  packer.pack_str(static_cast<std::uint32_t>(tag.size()));
  for (const std::string_view part : tag.parts()) {
    packer.pack_str_body(part.data(), static_cast<std::uint32_t>(part.size()));
  }
  // Outer array(s), pair and tag.
  values_written_ += base_depth_;
}

void message_writer::open_fields(std::uint32_t field_count) {
  IPC_ASSERT(field_count <= limits_.max_struct_fields);
  byte_sink sink{*out_};
  msgpack::packer<byte_sink>(sink).pack_map(field_count);
  values_written_ += 1;
  levels_[0] = level{std::uint64_t{field_count} * 2, true};
  depth_ = 1;
  close_completed();
}

void message_writer::consume(bool is_key) noexcept {
  IPC_ASSERT(depth_ > 0);
  level& top = levels_[depth_ - 1];
  IPC_ASSERT(top.remaining > 0);
  const bool key_expected = top.is_struct && top.remaining % 2 == 0;
  IPC_ASSERT(key_expected == is_key);
  top.remaining -= 1;
  values_written_ += 1;
  IPC_ASSERT(values_written_ <= limits_.max_total_values);
}

void message_writer::open(std::uint64_t values, bool is_struct) noexcept {
  // The new container's depth as the decoder counts it.
  IPC_ASSERT(base_depth_ + depth_ <= limits_.max_depth);
  if (values > 0) {
    levels_[depth_] = level{values, is_struct};
    depth_ += 1;
  }
}

void message_writer::close_completed() noexcept {
  while (depth_ > 0 && levels_[depth_ - 1].remaining == 0) {
    depth_ -= 1;
  }
}

message_writer& message_writer::key(std::string_view name) {
  IPC_ASSERT(name.size() <= limits_.max_blob_bytes);
  consume(true);
  byte_sink sink{*out_};
  msgpack::packer<byte_sink>(sink)
      .pack_str(static_cast<std::uint32_t>(name.size()))
      .pack_str_body(name.data(), static_cast<std::uint32_t>(name.size()));
  close_completed();
  return *this;
}

message_writer& message_writer::u64(std::uint64_t value) {
  consume(false);
  byte_sink sink{*out_};
  msgpack::packer<byte_sink>(sink).pack_uint64(value);
  close_completed();
  return *this;
}

message_writer& message_writer::boolean(bool value) {
  consume(false);
  byte_sink sink{*out_};
  msgpack::packer<byte_sink> packer(sink);
  if (value) {
    packer.pack_true();
  } else {
    packer.pack_false();
  }
  close_completed();
  return *this;
}

message_writer& message_writer::string(std::string_view value) {
  IPC_ASSERT(value.size() <= limits_.max_blob_bytes);
  consume(false);
  byte_sink sink{*out_};
  msgpack::packer<byte_sink>(sink)
      .pack_str(static_cast<std::uint32_t>(value.size()))
      .pack_str_body(value.data(), static_cast<std::uint32_t>(value.size()));
  close_completed();
  return *this;
}

message_writer& message_writer::bin(byte_view value) {
  IPC_ASSERT(value.size() <= limits_.max_blob_bytes);
  consume(false);
  byte_sink sink{*out_};
  msgpack::packer<byte_sink>(sink)
      .pack_bin(static_cast<std::uint32_t>(value.size()))
      .pack_bin_body(reinterpret_cast<const char*>(value.data()),
                     static_cast<std::uint32_t>(value.size()));
  close_completed();
  return *this;
}

message_writer& message_writer::nil() {
  consume(false);
  byte_sink sink{*out_};
  msgpack::packer<byte_sink>(sink).pack_nil();
  close_completed();
  return *this;
}

message_writer& message_writer::begin_array(std::uint32_t count) {
  IPC_ASSERT(count <= limits_.max_container_entries);
  consume(false);
  byte_sink sink{*out_};
  msgpack::packer<byte_sink>(sink).pack_array(count);
  open(count, false);
  close_completed();
  return *this;
}

message_writer& message_writer::begin_struct(std::uint32_t field_count) {
  IPC_ASSERT(field_count <= limits_.max_struct_fields);
  consume(false);
  byte_sink sink{*out_};
  msgpack::packer<byte_sink>(sink).pack_map(field_count);
  open(std::uint64_t{field_count} * 2, true);
  close_completed();
  return *this;
}

void message_writer::finish() const noexcept {
  IPC_ASSERT(depth_ == 0);
}

}  // namespace ipcsim::wire
