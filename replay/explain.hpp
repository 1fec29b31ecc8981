#pragma once
//! `ipcsim explain`: shows a recorded run as per-fiber lanes.
//!
//! How it works: the trace file's decision labels (step, chosen fiber, operation, object, site)
//! are laid out one decision per row with one column per fiber, so interleavings read top to
//! bottom; the last rows lead up to the failure, whose witness is printed below them. The same
//! labels become Chrome trace-event JSON (one thread per fiber, one slice per decision, step
//! numbers as microseconds) that opens in the Perfetto UI.

#include <cstddef>
#include <ostream>
#include <string>

#include "replay/trace_file.hpp"

namespace ipcsim::replay {

/// Prints the header, the last `rows` decisions as lanes, and the witness.
void explain_text(const trace_file& trace, std::size_t rows, std::ostream& out);

/// Writes Chrome trace-event JSON for Perfetto; returns an error message on failure.
result<void, std::string> write_perfetto(const trace_file& trace, const std::string& path);

}  // namespace ipcsim::replay
