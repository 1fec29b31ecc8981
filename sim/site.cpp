#include "sim/site.hpp"

namespace ipcsim::inline sim {

std::string_view relative_source_path(std::string_view file) noexcept {
  constexpr std::string_view source_dir = IPCSIM_SOURCE_DIR "/";
  if (file.starts_with(source_dir)) {
    file.remove_prefix(source_dir.size());
  }
  return file;
}

std::string format_site(const char* file, std::uint32_t line) {
  std::string site(relative_source_path(file == nullptr ? "" : file));
  if (line != 0) {
    site += ':';
    site += std::to_string(line);
  }
  return site;
}

}  // namespace ipcsim::inline sim
