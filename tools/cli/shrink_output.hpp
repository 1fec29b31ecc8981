#pragma once
//! What `ipcsim shrink` prints and writes once shrinking is done, shared by catalog scenarios and
//! `ipcsim exec` traces so both report the same figures the same way.

#include <string>

#include "replay/shrink.hpp"

namespace ipcsim::cli {

/// Prints the before/after figures (`through` names how candidates ran, e.g. the program, or is
/// empty) and writes the smaller trace to `out_path`. Returns shrink's exit code: 1 when a
/// smaller failing trace was written, 0 when none was found, 3 when it could not be written.
int finish_shrink(const replay::shrink_report& report, const std::string& through,
                  const std::string& out_path);

}  // namespace ipcsim::cli
