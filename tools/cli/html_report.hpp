#pragma once
//! The sweep report as one self-contained HTML page: inline CSS and inline SVG, no scripts and no
//! network, so it can be attached to a CI run or mailed and still open anywhere.
//!
//! The page is rendered from a validated sweep document (tools/cli/sweep_document.hpp), so
//! `ipcsim sweep --html` and `ipcsim report` produce the same page from the same data. Sections:
//! totals; the per-scenario table; the strategy portfolio (runs and findings per concrete
//! strategy, as a table and a bar chart); schedules/s over time; coverage (distinct schedules
//! against runs); and every listed finding with its witness and the commands that repeat,
//! replay, shrink and explain it. A document without the additive fields (an older ipcsim) still
//! renders, with a note where a chart has no data.

#include <string>

#include <nlohmann/json.hpp>

namespace ipcsim::cli {

/// The page for a validated sweep document.
std::string render_html_report(const nlohmann::json& document);

/// Renders and writes `path`; returns false with a message in `error` when it cannot be written.
bool write_html_report(const nlohmann::json& document, const std::string& path,
                       std::string& error);

/// `ipcsim report <json> -o <html>`: 0 written, 2 unreadable or invalid input, 3 write failure.
int report_command(const std::string& input_path, const std::string& output_path);

}  // namespace ipcsim::cli
