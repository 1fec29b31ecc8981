#include "tools/cli/html_report.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <utility>
#include <vector>

#include "tools/cli/sweep_document.hpp"

namespace ipcsim::cli {

namespace {

using json = nlohmann::json;

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string number(double value, const char* format = "%.4g") {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

/// Axis labels stay short: "128k" rather than "1.278e+05".
std::string tick_label(double value) {
  if (value >= 1e6) {
    return number(value / 1e6, "%.1fM");
  }
  if (value >= 1e4) {
    return number(value / 1e3, "%.0fk");
  }
  return number(value, value >= 100 ? "%.0f" : "%.3g");
}

std::string count(const json& value) { return std::to_string(value.get<std::uint64_t>()); }

const char* page_style() {
  // Plain, printable styling; outcome colours match the words a reader scans for.
  return R"(body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .6em}
th{background:#f0f0f0;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.ok td.outcome,tr.caught td.outcome{color:#176117;font-weight:bold}
tr.FINDING td.outcome,tr.MISSED td.outcome{color:#b00020;font-weight:bold}
pre{background:#f7f7f7;border:1px solid #ddd;padding:.5em;white-space:pre-wrap}
.finding{margin:1em 0 1.5em 0}.note{color:#666}.warn{color:#b00020;font-weight:bold}
svg{background:#fff;border:1px solid #ddd;margin:.5em 0}svg text{font-size:11px;fill:#333}
.axis{stroke:#555}.grid{stroke:#eee}.series{fill:none;stroke:#1f5fbf;stroke-width:2}
.reference{fill:none;stroke:#aaa;stroke-dasharray:4 3}.bar-runs{fill:#b7cde8}
.bar-findings{fill:#b00020}
)";
}

struct chart_spec {
  std::string id;
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<std::pair<double, double>> points;
  bool diagonal = false;  ///< draw y = x for reference (every run a new schedule)
};

std::string chart_axes(const chart_spec& spec, double x_max, double y_max) {
  constexpr double left = 70, right = 620, top = 30, bottom = 240;
  std::string svg;
  for (int tick = 0; tick <= 4; ++tick) {
    const double y = bottom - (bottom - top) * tick / 4;
    const double x = left + (right - left) * tick / 4;
    svg += "<line class=\"grid\" x1=\"70\" x2=\"620\" y1=\"" + number(y) + "\" y2=\"" + number(y) +
           "\"/>";
    svg += "<text x=\"64\" y=\"" + number(y + 4) + "\" text-anchor=\"end\">" +
           tick_label(y_max * tick / 4) + "</text>";
    svg += "<text x=\"" + number(x) + "\" y=\"256\" text-anchor=\"middle\">" +
           tick_label(x_max * tick / 4) + "</text>";
  }
  svg += "<line class=\"axis\" x1=\"70\" y1=\"240\" x2=\"620\" y2=\"240\"/>";
  svg += "<line class=\"axis\" x1=\"70\" y1=\"30\" x2=\"70\" y2=\"240\"/>";
  svg += "<text x=\"345\" y=\"18\" text-anchor=\"middle\" font-weight=\"bold\">" +
         escape(spec.title) + "</text>";
  svg += "<text x=\"345\" y=\"276\" text-anchor=\"middle\">" + escape(spec.x_label) + "</text>";
  svg += "<text x=\"14\" y=\"135\" text-anchor=\"middle\" transform=\"rotate(-90 14 135)\">" +
         escape(spec.y_label) + "</text>";
  return svg;
}

std::string line_chart(const chart_spec& spec) {
  if (spec.points.empty()) {
    return "<p class=\"note\">" + escape(spec.title) + ": no timeline in this document.</p>\n";
  }
  double x_max = 0;
  double y_max = 0;
  for (const auto& [x, y] : spec.points) {
    x_max = std::max(x_max, x);
    y_max = std::max(y_max, y);
  }
  x_max = x_max > 0 ? x_max : 1;
  y_max = y_max > 0 ? y_max * 1.05 : 1;
  const auto px = [x_max](double x) { return number(70 + 550 * x / x_max, "%.1f"); };
  const auto py = [y_max](double y) { return number(240 - 210 * y / y_max, "%.1f"); };
  std::string svg = "<svg id=\"" + spec.id + "\" class=\"chart\" viewBox=\"0 0 640 290\" " +
                    "width=\"640\" height=\"290\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">";
  svg += chart_axes(spec, x_max, y_max);
  if (spec.diagonal) {
    const double end = std::min(x_max, y_max);
    svg += "<polyline class=\"reference\" points=\"" + px(0) + "," + py(0) + " " + px(end) + "," +
           py(end) + "\"/>";
  }
  // A sweep starts at the origin; drawing from it makes a single sample a visible line.
  std::string points = px(0) + "," + py(spec.diagonal ? 0 : spec.points.front().second);
  for (const auto& [x, y] : spec.points) {
    points += " " + px(x) + "," + py(y);
  }
  svg += "<polyline class=\"series\" points=\"" + points + "\"/>";
  svg += "</svg>\n";
  return svg;
}

std::string summary_section(const json& document) {
  const double seconds = document.at("seconds").get<double>();
  const double rate = seconds > 0 ? document.at("runs").get<double>() / seconds : 0;
  std::string html = "<h1>ipcsim sweep report</h1>\n<p id=\"totals\">";
  html += count(document.at("runs")) + " runs, " + count(document.at("failures")) +
          " findings, " + count(document.at("decisions")) + " decisions in " +
          number(seconds, "%.2f") + " s (" + number(rate, "%.0f") + " schedules/s)";
  // A merge of hundreds of shards would bury the totals; past a few, the count says enough.
  constexpr std::size_t shards_listed_max = 8;
  if (document.contains("shards") && document.at("shards").size() > shards_listed_max) {
    html += "; " + std::to_string(document.at("shards").size()) + " shards";
  } else if (document.contains("shards")) {
    html += "; shards:";
    for (const json& shard : document.at("shards")) {
      html += " " + count(shard.at("index")) + "/" + count(shard.at("count")) + " (seed base " +
              count(shard.at("seed_base")) + ", " + escape(shard.at("strategy")) + ")";
    }
  }
  html += "</p>\n";
  if (document.value("interrupted", false)) {
    html += "<p class=\"warn\">The sweep was interrupted: these are partial results.</p>\n";
  }
  return html;
}

const char* outcome_of(const json& entry) {
  const bool expect = entry.value("expect_finding", false);
  const bool found = entry.at("failures").get<std::uint64_t>() > 0;
  if (expect) {
    return found ? "caught" : "MISSED";
  }
  return found ? "FINDING" : "ok";
}

std::string scenario_table(const json& document) {
  std::string html =
      "<h2>Scenarios</h2>\n<table id=\"scenarios\"><thead><tr><th>scenario</th><th>outcome</th>"
      "<th>runs</th><th>findings</th><th>decisions</th><th>distinct schedules</th>"
      "<th>seconds</th><th>first finding</th></tr></thead><tbody>\n";
  for (const json& entry : document.at("scenarios")) {
    const char* outcome = outcome_of(entry);
    std::string first = "-";
    if (!entry.at("first_failure").is_null()) {
      const json& found = entry.at("first_failure");
      first = "seed " + count(found.at("seed")) + " " + escape(found.at("strategy")) + " " +
              escape(found.at("oracle"));
    }
    const std::string distinct =
        entry.contains("distinct_schedules") ? count(entry.at("distinct_schedules")) : "-";
    html += std::string("<tr class=\"") + outcome + "\"><td>" + escape(entry.at("name")) +
            "</td><td class=\"outcome\">" + outcome + "</td><td class=\"n\">" +
            count(entry.at("runs")) + "</td><td class=\"n\">" + count(entry.at("failures")) +
            "</td><td class=\"n\">" + count(entry.at("decisions")) + "</td><td class=\"n\">" +
            distinct + "</td><td class=\"n\">" +
            number(entry.at("seconds").get<double>(), "%.2f") + "</td><td>" + first +
            "</td></tr>\n";
  }
  return html + "</tbody></table>\n";
}

using strategy_totals = std::map<std::string, std::pair<std::uint64_t, std::uint64_t>>;

strategy_totals portfolio_totals(const json& document) {
  strategy_totals totals;
  for (const json& entry : document.at("scenarios")) {
    if (!entry.contains("strategies")) {
      continue;
    }
    for (const auto& [name, share] : entry.at("strategies").items()) {
      totals[name].first += share.at("runs").get<std::uint64_t>();
      totals[name].second += share.at("failures").get<std::uint64_t>();
    }
  }
  return totals;
}

std::string strategy_chart(const strategy_totals& totals) {
  std::uint64_t runs_max = 1;
  std::uint64_t findings_all = 0;
  for (const auto& [name, share] : totals) {
    runs_max = std::max(runs_max, share.first);
    findings_all += share.second;
  }
  const std::size_t height = 40 + 34 * totals.size();
  std::string svg = "<svg id=\"strategy-chart\" class=\"chart\" viewBox=\"0 0 640 " +
                    std::to_string(height) + "\" width=\"640\" height=\"" +
                    std::to_string(height) + "\" xmlns=\"http://www.w3.org/2000/svg\">";
  svg += "<text x=\"320\" y=\"18\" text-anchor=\"middle\" font-weight=\"bold\">runs (blue) and "
         "share of findings (red) per strategy</text>";
  double y = 32;
  for (const auto& [name, share] : totals) {
    const double runs_width = 290.0 * static_cast<double>(share.first) / runs_max;
    const double share_of = findings_all > 0 ? static_cast<double>(share.second) / findings_all
                                             : 0.0;
    svg += "<text x=\"100\" y=\"" + number(y + 16) + "\" text-anchor=\"end\">" + escape(name) +
           "</text>";
    svg += "<rect class=\"bar-runs\" x=\"108\" y=\"" + number(y) + "\" height=\"12\" width=\"" +
           number(std::max(runs_width, 1.0)) + "\"/>";
    svg += "<rect class=\"bar-findings\" x=\"108\" y=\"" + number(y + 14) +
           "\" height=\"12\" width=\"" + number(290.0 * share_of) + "\"/>";
    svg += "<text x=\"406\" y=\"" + number(y + 16) + "\">" + std::to_string(share.first) +
           " runs, " + std::to_string(share.second) + " findings (" +
           number(100.0 * share_of, "%.0f") + "%)</text>";
    y += 34;
  }
  return svg + "</svg>\n";
}

std::string strategy_section(const json& document) {
  const strategy_totals totals = portfolio_totals(document);
  std::string html = "<h2>Strategy portfolio</h2>\n";
  if (totals.empty()) {
    return html + "<p class=\"note\">No per-strategy counts in this document.</p>\n";
  }
  html += "<table id=\"strategies\"><thead><tr><th>scenario</th>";
  for (const auto& [name, share] : totals) {
    html += "<th>" + escape(name) + "<br>runs / findings</th>";
  }
  html += "</tr></thead><tbody>\n";
  for (const json& entry : document.at("scenarios")) {
    html += "<tr><td>" + escape(entry.at("name")) + "</td>";
    for (const auto& [name, share] : totals) {
      const json* cell = entry.contains("strategies") && entry.at("strategies").contains(name)
                             ? &entry.at("strategies").at(name)
                             : nullptr;
      html += "<td class=\"n\">" +
              (cell != nullptr ? count(cell->at("runs")) + " / " + count(cell->at("failures"))
                               : std::string("-")) +
              "</td>";
    }
    html += "</tr>\n";
  }
  return html + "</tbody></table>\n" + strategy_chart(totals);
}

std::string charts_section(const json& document) {
  chart_spec rate{"rate-chart", "schedules/s over time", "wall seconds", "schedules/s", {}, false};
  chart_spec coverage{"coverage-chart", "coverage: distinct schedules against runs", "runs",
                      "distinct schedules (trace hashes)", {}, true};
  const json timeline = document.value("timeline", json::array());
  // Samples a few milliseconds apart are noisy; the rate drawn is over a window of about a
  // thirtieth of the timeline, from the cumulative run counts.
  const std::size_t window = std::max<std::size_t>(1, timeline.size() / 30);
  for (std::size_t i = 0; i < timeline.size(); ++i) {
    const json& point = timeline[i];
    const double t = point.at("t").get<double>();
    double per_s = point.at("schedules_per_s").get<double>();
    if (i >= window) {
      const json& earlier = timeline[i - window];
      const double span = t - earlier.at("t").get<double>();
      per_s = span > 0 ? (point.at("runs").get<double>() - earlier.at("runs").get<double>()) / span
                       : per_s;
    }
    rate.points.emplace_back(t, per_s);
    coverage.points.emplace_back(point.at("runs").get<double>(),
                                 point.at("distinct_schedules").get<double>());
  }
  return "<h2>Throughput and coverage</h2>\n" + line_chart(rate) + line_chart(coverage) +
         "<p class=\"note\">Distinct schedules are distinct trace hashes. The dashed line is one "
         "new schedule per run; the gap below it is repeated schedules. Merged shards add their "
         "counts, which can count a schedule twice.</p>\n";
}

std::string finding_block(const std::string& scenario, const json& found) {
  const std::string seed = count(found.at("seed"));
  const std::string strategy = found.at("strategy");
  std::string html = "<div class=\"finding\"><p>seed <b>" + seed + "</b>, strategy <b>" +
                     escape(strategy) + "</b>, oracle <b>" + escape(found.at("oracle")) +
                     "</b></p>\n<pre class=\"witness\">" +
                     escape(found.value("message", std::string("(no witness recorded)"))) +
                     "</pre>\n<pre class=\"commands\">ipcsim run " + escape(scenario) +
                     " --seed " + seed + " --strategy " + escape(strategy) + "\n";
  if (found.contains("trace") && found.at("trace").is_string()) {
    const std::string trace = found.at("trace");
    std::string small = trace;
    if (small.ends_with(".trace")) {
      small.resize(small.size() - 6);
    }
    small += ".small.trace";
    html += "ipcsim replay " + escape(trace) + "\nipcsim shrink " + escape(trace) + " -o " +
            escape(small) + "\nipcsim explain " + escape(trace) + "\n";
  }
  return html + "</pre></div>\n";
}

std::string failures_section(const json& document) {
  std::string html = "<h2>Findings</h2>\n";
  bool any = false;
  for (const json& entry : document.at("scenarios")) {
    if (entry.at("first_failure").is_null()) {
      continue;
    }
    any = true;
    const std::string name = entry.at("name");
    const bool expected = entry.value("expect_finding", false);
    json list = entry.contains("failures_list") ? entry.at("failures_list") : json::array();
    if (list.empty()) {
      list.push_back(entry.at("first_failure"));
    }
    html += "<h3 id=\"findings-" + escape(name) + "\">" + escape(name) + " &mdash; " +
            (expected ? "planted bug caught" : "<span class=\"warn\">unexpected finding</span>") +
            "</h3>\n<p class=\"note\">showing " + std::to_string(list.size()) + " of " +
            count(entry.at("failures")) + " findings, lowest seeds first</p>\n";
    for (const json& found : list) {
      html += finding_block(name, found);
    }
  }
  return any ? html : html + "<p>No findings.</p>\n";
}

}  // namespace

std::string render_html_report(const nlohmann::json& document) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<title>ipcsim sweep report</title><style>";
  html += page_style();
  html += "</style></head><body>\n";
  html += summary_section(document);
  html += scenario_table(document);
  html += strategy_section(document);
  html += charts_section(document);
  html += failures_section(document);
  return html + "</body></html>\n";
}

bool write_html_report(const nlohmann::json& document, const std::string& path,
                       std::string& error) {
  std::ofstream out(path, std::ios::trunc);
  out << render_html_report(document);
  if (!out) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

int report_command(const std::string& input_path, const std::string& output_path) {
  std::string error;
  const std::optional<nlohmann::json> document = load_sweep_document(input_path, error);
  if (!document) {
    std::fprintf(stderr, "ipcsim: %s\n", error.c_str());
    return 2;
  }
  if (!write_html_report(*document, output_path, error)) {
    std::fprintf(stderr, "ipcsim: %s\n", error.c_str());
    return 3;
  }
  std::printf("report: wrote %s\n", output_path.c_str());
  return 0;
}

}  // namespace ipcsim::cli
