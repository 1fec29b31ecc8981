#pragma once
//! The byte types of the wire layer. Every buffer the layer produces is a `bytes`
//! (`std::vector<std::byte>`) and every input it reads is a `byte_view`
//! (`std::span<const std::byte>`). `std::byte` rather than `char` keeps raw wire bytes from being
//! mistaken for text; the conversion to `const char*` that msgpack-c wants happens only inside
//! the layer's .cpp files.

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace ipcsim::wire {

/// An owned, growable byte buffer: what encoders append to and what transports send.
using bytes = std::vector<std::byte>;

/// A read-only view of bytes owned elsewhere.
using byte_view = std::span<const std::byte>;

/// Views the characters of `text` as bytes; the view lives as long as `text`'s storage.
inline byte_view as_byte_view(std::string_view text) noexcept {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

/// Views bytes as characters, for logging and for comparing against string literals.
inline std::string_view as_string_view(byte_view data) noexcept {
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

}  // namespace ipcsim::wire
