#include "core/wire/ping.hpp"

#include "core/wire/message_writer.hpp"

namespace ipcsim::wire {

void append_ping_request(bytes& out, std::string_view service, const ping_request& request) {
  message_writer::request(out, request_tag(service, ping_command), 1)
      .key("nonce")
      .u64(request.nonce)
      .finish();
}

void append_ping_response(bytes& out, std::string_view service, const ping_response& response) {
  message_writer::response(out, response_tag(service, ping_command), 1)
      .key("nonce")
      .u64(response.nonce)
      .finish();
}

result<ping_request, decode_failure> read_ping_request(const field_map& fields) {
  auto nonce_result = fields.get_u64("nonce");
  if (!nonce_result) {
    return unexpected(std::move(nonce_result).error());
  }
  return ping_request{*nonce_result};
}

result<ping_response, decode_failure> read_ping_response(const field_map& fields) {
  auto nonce_result = fields.get_u64("nonce");
  if (!nonce_result) {
    return unexpected(std::move(nonce_result).error());
  }
  return ping_response{*nonce_result};
}

}  // namespace ipcsim::wire
