#pragma once
//! Call-site formatting for reports: "core/ring/spsc_ring.hpp:120" rather than an absolute build
//! path, so that reports and traces read the same on every machine.

#include <cstdint>
#include <string>
#include <string_view>

namespace ipcsim::inline sim {

/// `file` relative to the source tree when it lies inside it, else unchanged.
std::string_view relative_source_path(std::string_view file) noexcept;

/// "file:line", with the file made relative as above.
std::string format_site(const char* file, std::uint32_t line);

}  // namespace ipcsim::inline sim
