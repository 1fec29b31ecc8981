//! Properties of the envelope codec: random requests and responses round-trip through
//! message_writer and the decoders; every truncation of one is `truncated`; arbitrary and mutated
//! bytes never crash the decoder; and the structural scan agrees with msgpack-c on what is one
//! complete, in-limit value.

#include <catch2/catch.hpp>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include <msgpack.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/wire/envelope.hpp"
#include "core/wire/msgpack_scan.hpp"

namespace ipcsim::wire {
namespace {

enum class field_kind : int { u64, boolean, text, blob, nil, u64_list, nested, count };

struct field_spec {
  std::string name;
  field_kind kind = field_kind::nil;
  std::uint64_t number = 0;
  bool flag = false;
  std::string text;
  std::vector<std::uint8_t> blob;
  std::vector<std::uint64_t> numbers;
};

struct envelope_spec {
  std::string tag;
  std::vector<field_spec> fields;
};

bytes to_bytes(const std::vector<std::uint8_t>& values) {
  bytes out;
  for (const std::uint8_t value : values) {
    out.push_back(static_cast<std::byte>(value));
  }
  return out;
}

envelope_spec generate_envelope() {
  envelope_spec spec;
  spec.tag = *rc::gen::nonEmpty(rc::gen::string<std::string>());
  spec.tag.resize(std::min<std::size_t>(spec.tag.size(), default_decode_limits.max_tag_bytes));
  auto names = *rc::gen::container<std::set<std::string>>(rc::gen::string<std::string>());
  for (const std::string& name : names) {
    if (spec.fields.size() == default_decode_limits.max_struct_fields) {
      break;
    }
    field_spec field;
    field.name = name;
    field.kind = static_cast<field_kind>(
        *rc::gen::inRange(0, static_cast<int>(field_kind::count)));
    field.number = *rc::gen::arbitrary<std::uint64_t>();
    field.flag = *rc::gen::arbitrary<bool>();
    field.text = *rc::gen::string<std::string>();
    field.blob = *rc::gen::arbitrary<std::vector<std::uint8_t>>();
    field.numbers = *rc::gen::arbitrary<std::vector<std::uint64_t>>();
    spec.fields.push_back(std::move(field));
  }
  return spec;
}

void write_field(message_writer& writer, const field_spec& field) {
  writer.key(field.name);
  switch (field.kind) {
    case field_kind::u64: writer.u64(field.number); break;
    case field_kind::boolean: writer.boolean(field.flag); break;
    case field_kind::text: writer.string(field.text); break;
    case field_kind::blob: writer.bin(to_bytes(field.blob)); break;
    case field_kind::nil: writer.nil(); break;
    case field_kind::u64_list:
      writer.begin_array(static_cast<std::uint32_t>(field.numbers.size()));
      for (const std::uint64_t number : field.numbers) {
        writer.u64(number);
      }
      break;
    case field_kind::nested: writer.begin_struct(1).key("inner").u64(field.number); break;
    case field_kind::count: RC_FAIL("not a field kind");
  }
}

bytes encode(const envelope_spec& spec, bool is_request) {
  bytes out;
  const auto field_count = static_cast<std::uint32_t>(spec.fields.size());
  auto writer = is_request ? message_writer::request(out, spec.tag, field_count)
                           : message_writer::response(out, spec.tag, field_count);
  for (const field_spec& field : spec.fields) {
    write_field(writer, field);
  }
  RC_ASSERT(writer.complete());
  return out;
}

void check_field(const field_map& fields, const field_spec& field) {
  switch (field.kind) {
    case field_kind::u64: RC_ASSERT(*fields.get_u64(field.name) == field.number); break;
    case field_kind::boolean: RC_ASSERT(*fields.get_bool(field.name) == field.flag); break;
    case field_kind::text: RC_ASSERT(*fields.get_string(field.name) == field.text); break;
    case field_kind::blob: {
      const auto blob_result = fields.get_bin(field.name);
      RC_ASSERT(bytes(blob_result->begin(), blob_result->end()) == to_bytes(field.blob));
      break;
    }
    case field_kind::nil:
      RC_ASSERT(!fields.get_optional<std::uint64_t>(field.name)->has_value());
      break;
    case field_kind::u64_list:
      RC_ASSERT(*fields.get_vector<std::uint64_t>(field.name) == field.numbers);
      break;
    case field_kind::nested:
      RC_ASSERT(*fields.get_struct(field.name)->get_u64("inner") == field.number);
      break;
    case field_kind::count: RC_FAIL("not a field kind");
  }
}

void check_round_trip(bool is_request) {
  const envelope_spec spec = generate_envelope();
  const bytes payload = encode(spec, is_request);
  const auto decode_result = is_request ? decode_request(payload) : decode_response(payload);
  RC_ASSERT(decode_result.has_value());
  RC_ASSERT(decode_result->tag() == spec.tag);
  RC_ASSERT(decode_result->fields().size() == spec.fields.size());
  for (std::size_t index = 0; index < spec.fields.size(); ++index) {
    RC_ASSERT(decode_result->fields().name_at(index) == spec.fields[index].name);
    check_field(decode_result->fields(), spec.fields[index]);
  }
}

/// Small limits, so that msgpack-c run on arbitrary bytes without the scan allocates little.
decode_limits tight_limits() {
  decode_limits limits;
  limits.max_container_entries = 64;
  limits.max_blob_bytes = 1024;
  limits.max_depth = 8;
  limits.max_total_values = 1U << 16;
  return limits;
}

/// Whether msgpack-c alone, with `limits`, reads `input` as exactly one value.
bool msgpack_accepts(const bytes& input, const decode_limits& limits) {
  const msgpack::unpack_limit limit(limits.max_container_entries, limits.max_container_entries,
                                    limits.max_blob_bytes, limits.max_blob_bytes,
                                    limits.max_blob_bytes, limits.max_depth);
  std::size_t offset = 0;
  try {
    const auto handle = msgpack::unpack(reinterpret_cast<const char*>(input.data()),
                                        input.size(), offset, nullptr, nullptr, limit);
    return offset == input.size();
  } catch (const msgpack::unpack_error&) {
    return false;
  }
}

void check_scan_agrees(const bytes& input) {
  const decode_limits limits = tight_limits();
  const bool scan_accepts = scan_msgpack(input, limits).has_value();
  RC_ASSERT(scan_accepts == msgpack_accepts(input, limits));
  // Whatever the verdict, the decoders must return, not throw or crash.
  static_cast<void>(decode_request(input, limits));
  static_cast<void>(decode_response(input, limits));
}

bytes mutate(bytes input) {
  const int edits = *rc::gen::inRange(1, 4);
  for (int edit = 0; edit < edits && !input.empty(); ++edit) {
    const auto position =
        static_cast<std::ptrdiff_t>(*rc::gen::inRange<std::size_t>(0, input.size()));
    const auto value = static_cast<std::byte>(*rc::gen::arbitrary<std::uint8_t>());
    switch (*rc::gen::inRange(0, 3)) {
      case 0: input[static_cast<std::size_t>(position)] = value; break;
      case 1: input.insert(input.begin() + position, value); break;
      default: input.erase(input.begin() + position); break;
    }
  }
  return input;
}

}  // namespace

TEST_CASE("envelope_props: round trips", "[wire][prop]") {
  rc::prop("a random request decodes to its tag and fields", [] { check_round_trip(true); });
  rc::prop("a random response decodes to its tag and fields", [] { check_round_trip(false); });
}

TEST_CASE("envelope_props: truncation", "[wire][prop]") {
  rc::prop("every proper prefix of a random request is truncated", [] {
    const bytes payload = encode(generate_envelope(), true);
    for (std::size_t cut = 0; cut < payload.size(); ++cut) {
      const auto decode_result = decode_request(byte_view(payload).first(cut));
      RC_ASSERT(!decode_result.has_value());
      RC_ASSERT(decode_result.error().kind == decode_error::truncated);
    }
  });
}

TEST_CASE("envelope_props: hostile bytes", "[wire][prop]") {
  rc::prop("the scan and msgpack-c agree on arbitrary bytes",
           [](const std::vector<std::uint8_t>& input) { check_scan_agrees(to_bytes(input)); });
  rc::prop("the scan and msgpack-c agree on mutated envelopes", [] {
    const bool is_request = *rc::gen::arbitrary<bool>();
    check_scan_agrees(mutate(encode(generate_envelope(), is_request)));
  });
}

}  // namespace ipcsim::wire
