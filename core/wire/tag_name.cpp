#include "core/wire/tag_name.hpp"

#include "core/platform/assert.hpp"

namespace ipcsim::wire {

bool tag_name::equals(std::string_view text) const noexcept {
  if (text.size() != size()) {
    return false;
  }
  for (const std::string_view part : parts_) {
    if (text.substr(0, part.size()) != part) {
      return false;
    }
    text.remove_prefix(part.size());
  }
  IPC_ASSERT(text.empty());
  return true;
}

std::string tag_name::str() const {
  std::string whole;
  whole.reserve(size());
  for (const std::string_view part : parts_) {
    whole.append(part);
  }
  IPC_ASSERT(whole.size() == size());
  return whole;
}

}  // namespace ipcsim::wire
