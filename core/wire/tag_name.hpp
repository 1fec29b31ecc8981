#pragma once
//! Envelope tags are `<Service><Command>` for requests, `<Service><Command>Response` for
//! responses and `<Service>ErrorResponse` for errors. A `tag_name` holds such a tag as up to
//! three parts, so writing or matching "Wsdb" + "Ping" + "Response" needs no allocation. It views
//! the strings it was built from and must not outlive them.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

namespace ipcsim::wire {

/// Suffix of every response tag.
inline constexpr std::string_view response_suffix = "Response";
/// Command part of the error tag: `<Service>ErrorResponse`.
inline constexpr std::string_view error_response_command = "ErrorResponse";

/// A tag as up to three concatenated parts; see the file comment.
class tag_name {
 public:
  /// A tag given whole: anything that converts to std::string_view (a literal, a std::string).
  /// Implicit, so a whole tag can be passed wherever a `tag_name` is expected.
  template <class Text>
    requires std::is_convertible_v<const Text&, std::string_view>
  tag_name(const Text& whole) noexcept  // NOLINT(google-explicit-constructor)
      : parts_{std::string_view(whole), {}, {}} {}
  /// The tag `service + command + suffix`.
  tag_name(std::string_view service, std::string_view command,
           std::string_view suffix = {}) noexcept
      : parts_{service, command, suffix} {}

  /// Total length in bytes.
  std::size_t size() const noexcept {
    return parts_[0].size() + parts_[1].size() + parts_[2].size();
  }
  /// The parts in order; empty parts contribute nothing.
  const std::array<std::string_view, 3>& parts() const noexcept { return parts_; }
  /// True when the concatenated parts equal `text`.
  bool equals(std::string_view text) const noexcept;
  /// The concatenated tag (allocates).
  std::string str() const;

 private:
  std::array<std::string_view, 3> parts_;
};

/// `<service><command>`, e.g. "WsdbPing".
inline tag_name request_tag(std::string_view service, std::string_view command) noexcept {
  return {service, command};
}
/// `<service><command>Response`, e.g. "WsdbPingResponse".
inline tag_name response_tag(std::string_view service, std::string_view command) noexcept {
  return {service, command, response_suffix};
}
/// `<service>ErrorResponse`, e.g. "WsdbErrorResponse".
inline tag_name error_response_tag(std::string_view service) noexcept {
  return {service, error_response_command};
}

}  // namespace ipcsim::wire
