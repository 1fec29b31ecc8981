#include "core/wire/message.hpp"

#include <utility>

#include <msgpack/zone.hpp>

#include "core/platform/assert.hpp"

namespace ipcsim::wire {

message::message(std::unique_ptr<msgpack::zone> zone, std::string_view tag,
                 field_map fields) noexcept
    : zone_(std::move(zone)), tag_(tag), fields_(fields) {
  IPC_ASSERT(zone_ != nullptr);
  IPC_ASSERT(!tag_.empty());
}

message::message(message&& other) noexcept = default;
message& message::operator=(message&& other) noexcept = default;
message::~message() = default;

}  // namespace ipcsim::wire
