#include "core/wire/frame_reassembler.hpp"

#include <algorithm>

#include "core/platform/assert.hpp"

namespace ipcsim::wire {

frame_reassembler::frame_reassembler(std::uint32_t max_frame_bytes,
                                     std::size_t retained_capacity_bytes) noexcept
    : max_frame_bytes_(max_frame_bytes), retained_capacity_bytes_(retained_capacity_bytes) {}

std::size_t frame_reassembler::feed(byte_view input) {
  std::size_t consumed = 0;
  if (state_ == state::prefix) {
    consumed += feed_prefix(input);
  }
  if (state_ == state::payload) {
    consumed += feed_payload(input.subspan(consumed));
  }
  IPC_ASSERT(consumed <= input.size());
  IPC_ASSERT(payload_.size() <= announced_bytes_);
  return consumed;
}

std::size_t frame_reassembler::feed_prefix(byte_view input) noexcept {
  IPC_ASSERT(state_ == state::prefix);
  IPC_ASSERT(prefix_filled_ < frame_prefix_bytes);
  const std::size_t take = std::min(frame_prefix_bytes - prefix_filled_, input.size());
  std::copy_n(input.begin(), take, prefix_.begin() + static_cast<std::ptrdiff_t>(prefix_filled_));
  prefix_filled_ += take;
  if (prefix_filled_ < frame_prefix_bytes) {
    return take;
  }
  const auto length_result = parse_frame_length(prefix_, max_frame_bytes_);
  if (!length_result) {
    IPC_ASSERT(length_result.error() == frame_error::oversized);
    state_ = state::failed;
    return take;
  }
  start_payload(*length_result);
  return take;
}

void frame_reassembler::start_payload(std::uint32_t announced_bytes) {
  // The previous frame's view is no longer promised to anyone, so its storage can be reused,
  // unless it grew past what is worth keeping for every connection.
  if (payload_.capacity() > retained_capacity_bytes_) {
    bytes().swap(payload_);
  }
  payload_.clear();
  announced_bytes_ = announced_bytes;
  state_ = announced_bytes == 0 ? state::ready : state::payload;
}

std::size_t frame_reassembler::feed_payload(byte_view input) {
  IPC_ASSERT(state_ == state::payload);
  IPC_ASSERT(payload_.size() < announced_bytes_);
  const std::size_t take = std::min<std::size_t>(announced_bytes_ - payload_.size(), input.size());
  reserve_for(payload_.size() + take);
  payload_.insert(payload_.end(), input.begin(), input.begin() + static_cast<std::ptrdiff_t>(take));
  if (payload_.size() == announced_bytes_) {
    state_ = state::ready;
  }
  return take;
}

void frame_reassembler::reserve_for(std::size_t needed_bytes) {
  IPC_ASSERT(needed_bytes <= announced_bytes_);
  if (needed_bytes <= payload_.capacity()) {
    return;
  }
  // Doubling keeps the copying linear in the frame size; capping at the announced length keeps
  // the allocation within what the frame can actually use.
  const std::size_t doubled = std::max(needed_bytes, payload_.capacity() * 2);
  payload_.reserve(std::min<std::size_t>(doubled, announced_bytes_));
  IPC_ASSERT(payload_.capacity() >= needed_bytes);
}

result<std::optional<byte_view>, frame_error> frame_reassembler::next() noexcept {
  switch (state_) {
    case state::prefix:
    case state::payload:
      return std::optional<byte_view>();
    case state::failed:
      return unexpected(frame_error::oversized);
    case state::ready:
      break;
  }
  IPC_ASSERT(payload_.size() == announced_bytes_);
  state_ = state::prefix;
  prefix_filled_ = 0;
  return std::optional<byte_view>(byte_view(payload_));
}

std::size_t frame_reassembler::wanted_bytes() const noexcept {
  switch (state_) {
    case state::prefix:
      return frame_prefix_bytes - prefix_filled_;
    case state::payload:
      return announced_bytes_ - payload_.size();
    case state::ready:
    case state::failed:
      return 0;
  }
  IPC_UNREACHABLE();
}

}  // namespace ipcsim::wire
