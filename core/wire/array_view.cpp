#include "core/wire/array_view.hpp"

#include <string>

namespace ipcsim::wire::detail {

decode_failure in_element(std::size_t index, decode_failure failure) {
  failure.message = "element " + std::to_string(index) + ": " + failure.message;
  return failure;
}

}  // namespace ipcsim::wire::detail
