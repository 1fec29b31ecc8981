#include "core/service/codec.hpp"

#include "core/wire/array_view.hpp"
#include "core/wire/envelope.hpp"
#include "core/wire/value_view.hpp"

namespace ipcsim::inline IPC_FLAVOUR_NS::service {
namespace codec_detail {
namespace {

wire::decode_failure in_entry(std::string_view name, std::size_t index,
                              wire::decode_failure failure) {
  failure.message = "field '" + std::string(name) + "': element " + std::to_string(index) +
                    ": " + failure.message;
  return failure;
}

/// Reads one `[key, value]` pair.
result<key_value, wire::decode_failure> read_entry(wire::value_view element) {
  auto pair_result = element.as_array();
  if (!pair_result) {
    return unexpected(std::move(pair_result).error());
  }
  if (pair_result->size() != 2) {
    return unexpected(wire::decode_failure{
        wire::decode_error::wrong_field_type,
        "expected [key, value], found array of " + std::to_string(pair_result->size())});
  }
  auto key_result = (*pair_result)[0].as_bin32();
  if (!key_result) {
    auto failure = std::move(key_result).error();
    failure.message = "key: " + failure.message;
    return unexpected(std::move(failure));
  }
  auto value_result = (*pair_result)[1].as_bin32();
  if (!value_result) {
    auto failure = std::move(value_result).error();
    failure.message = "value: " + failure.message;
    return unexpected(std::move(failure));
  }
  return key_value{*key_result, *value_result};
}

}  // namespace

void write_value(wire::message_writer& writer, std::uint64_t value) { writer.u64(value); }
void write_value(wire::message_writer& writer, std::uint32_t value) { writer.u64(value); }
void write_value(wire::message_writer& writer, bool value) { writer.boolean(value); }
void write_value(wire::message_writer& writer, const bin32& value) {
  writer.bin(wire::byte_view(value));
}

void write_value(wire::message_writer& writer, const std::vector<bin32>& values) {
  writer.begin_array(static_cast<std::uint32_t>(values.size()));
  for (const bin32& value : values) {
    write_value(writer, value);
  }
}

void write_value(wire::message_writer& writer, const std::vector<key_value>& entries) {
  writer.begin_array(static_cast<std::uint32_t>(entries.size()));
  for (const key_value& entry : entries) {
    writer.begin_array(2);
    write_value(writer, entry.key);
    write_value(writer, entry.value);
  }
}

result<std::vector<key_value>, wire::decode_failure> read_entries(const wire::field_map& fields,
                                                                 std::string_view name) {
  auto array_result = fields.get_array(name);
  if (!array_result) {
    return unexpected(std::move(array_result).error());
  }
  std::vector<key_value> entries;
  entries.reserve(array_result->size());
  for (std::size_t index = 0; index < array_result->size(); ++index) {
    auto entry_result = read_entry((*array_result)[index]);
    if (!entry_result) {
      return unexpected(in_entry(name, index, std::move(entry_result).error()));
    }
    entries.push_back(*entry_result);
  }
  IPC_ASSERT(entries.size() == array_result->size());
  return entries;
}

}  // namespace codec_detail

wire::bytes encode_error(std::string_view text) {
  wire::bytes out;
  wire::append_error_response(out, service_name, text);
  IPC_ASSERT(!out.empty());
  return out;
}

}  // namespace ipcsim::inline IPC_FLAVOUR_NS::service
