#include "core/wire/frame_codec.hpp"

#include "core/platform/assert.hpp"

namespace ipcsim::wire {

const char* to_string(frame_error error) noexcept {
  switch (error) {
    case frame_error::truncated:
      return "truncated";
    case frame_error::oversized:
      return "oversized";
  }
  IPC_UNREACHABLE();
}

std::array<std::byte, frame_prefix_bytes> encode_frame_prefix(
    std::uint32_t payload_bytes) noexcept {
  // Byte by byte, so the encoding is little-endian whatever the host's byte order.
  return {
      static_cast<std::byte>(payload_bytes & 0xffU),
      static_cast<std::byte>((payload_bytes >> 8U) & 0xffU),
      static_cast<std::byte>((payload_bytes >> 16U) & 0xffU),
      static_cast<std::byte>((payload_bytes >> 24U) & 0xffU),
  };
}

result<void, frame_error> append_frame(bytes& out, byte_view payload,
                                       std::uint32_t max_frame_bytes) {
  if (payload.size() > max_frame_bytes) {
    return unexpected(frame_error::oversized);
  }
  const std::size_t size_before = out.size();
  const auto prefix = encode_frame_prefix(static_cast<std::uint32_t>(payload.size()));
  out.insert(out.end(), prefix.begin(), prefix.end());
  out.insert(out.end(), payload.begin(), payload.end());
  IPC_ASSERT(out.size() == size_before + frame_prefix_bytes + payload.size());
  return {};
}

result<std::uint32_t, frame_error> parse_frame_length(byte_view input,
                                                      std::uint32_t max_frame_bytes) noexcept {
  if (input.size() < frame_prefix_bytes) {
    return unexpected(frame_error::truncated);
  }
  std::uint32_t length = 0;
  for (std::size_t index = 0; index < frame_prefix_bytes; ++index) {
    length |= static_cast<std::uint32_t>(input[index]) << (8U * index);
  }
  if (length > max_frame_bytes) {
    return unexpected(frame_error::oversized);
  }
  return length;
}

result<frame_view, frame_error> split_frame(byte_view input,
                                            std::uint32_t max_frame_bytes) noexcept {
  const auto length_result = parse_frame_length(input, max_frame_bytes);
  if (!length_result) {
    return unexpected(length_result.error());
  }
  const std::size_t payload_bytes = *length_result;
  if (input.size() - frame_prefix_bytes < payload_bytes) {
    return unexpected(frame_error::truncated);
  }
  frame_view frame{input.subspan(frame_prefix_bytes, payload_bytes),
                   frame_prefix_bytes + payload_bytes};
  IPC_ASSERT(frame.frame_bytes <= input.size());
  IPC_ASSERT(frame.payload.size() <= max_frame_bytes);
  return frame;
}

}  // namespace ipcsim::wire
