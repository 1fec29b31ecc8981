#pragma once
//! A decoded envelope: its tag and its top-level struct of fields. The message owns the msgpack
//! zone holding every decoded value, so the tag, the field map and every view taken from them
//! stay valid exactly as long as the message does (moving it keeps them valid; the zone does not
//! move). Decoding copies str and bin bodies into the zone, so the message does not depend on
//! the input bytes.

#include <memory>
#include <string_view>

#include <msgpack/object_fwd.hpp>

#include "core/wire/field_map.hpp"

namespace ipcsim::wire {

/// A decoded request or response; owns the memory its views point into.
class message {
 public:
  /// Takes ownership of `zone`; `tag` and `fields` must point into it. Used by the decoders.
  message(std::unique_ptr<msgpack::zone> zone, std::string_view tag, field_map fields) noexcept;
  /// Moves keep every view valid: they point into the zone, which does not move.
  message(message&& other) noexcept;
  message& operator=(message&& other) noexcept;
  message(const message&) = delete;
  message& operator=(const message&) = delete;
  ~message();

  /// The tag, e.g. "WsdbPing" or "WsdbPingResponse".
  std::string_view tag() const noexcept { return tag_; }
  /// The top-level fields.
  const field_map& fields() const noexcept { return fields_; }

 private:
  std::unique_ptr<msgpack::zone> zone_;
  std::string_view tag_;
  field_map fields_;
};

}  // namespace ipcsim::wire
