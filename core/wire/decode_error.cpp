#include "core/wire/decode_error.hpp"

#include "core/platform/assert.hpp"

namespace ipcsim::wire {

const char* to_string(decode_error error) noexcept {
  switch (error) {
    case decode_error::truncated:
      return "truncated";
    case decode_error::malformed:
      return "malformed";
    case decode_error::trailing_bytes:
      return "trailing_bytes";
    case decode_error::limit_exceeded:
      return "limit_exceeded";
    case decode_error::not_an_envelope:
      return "not_an_envelope";
    case decode_error::bad_tag:
      return "bad_tag";
    case decode_error::bad_struct:
      return "bad_struct";
    case decode_error::missing_field:
      return "missing_field";
    case decode_error::wrong_field_type:
      return "wrong_field_type";
    case decode_error::out_of_range:
      return "out_of_range";
  }
  IPC_UNREACHABLE();
}

}  // namespace ipcsim::wire
