#include "intel/report/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/clock.h"
#include "core/markup.h"
#include "core/safe_text.h"
#include "intel/incidents.h"

namespace mitsu::intel {
namespace {

using nlohmann::json;
using store::Measure;

// A text cell. Values can be attacker text (domains from samples): valid UTF-8 always, and a
// leading = + - @ or control character is disarmed with a quote, so a spreadsheet opening the
// export reads text, not a formula (OWASP's CSV injection advice).
std::string csv_field(std::string_view raw) {
  std::string text = escape_invalid_utf8(raw);
  if (!text.empty() && std::string_view("=+-@\t\r").find(text[0]) != std::string_view::npos) {
    text.insert(0, "'");
  }
  if (text.find_first_of(",\"\n\r") == std::string::npos) {
    return text;
  }
  std::string out = "\"";
  for (char c : text) {
    out += c == '"' ? "\"\"" : std::string(1, c);
  }
  return out + "\"";
}

json rows_json(const std::vector<store::RollupRow>& rows) {
  json out = json::array();
  for (const auto& r : rows) {
    out.push_back({r.keys.empty() ? "" : r.keys[0], r.value});
  }
  return out;
}

const char* kPalette[] = {"#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed",
                          "#0891b2", "#db2777", "#65a30d", "#475569"};

// A daily line chart: one path per series, peak days marked with red circles.
std::string line_chart(const json& days, const std::vector<std::pair<std::string, json>>& series,
                       const std::vector<std::pair<std::size_t, std::string>>& marks,
                       const std::string& label) {
  constexpr double W = 960, H = 260, L = 60, R = 10, T = 10, B = 40;
  std::size_t n = days.size();
  double top = 1;
  for (const auto& [name, values] : series) {
    for (const json& v : values) {
      top = std::max(top, v.get<double>());
    }
  }
  auto x = [&](std::size_t i) {
    return L + (W - L - R) * (n > 1 ? double(i) / double(n - 1) : 0.5);
  };
  auto y = [&](double v) { return T + (H - T - B) * (1 - v / top); };
  std::string svg = fmt::format(
      R"(<svg class="chart line" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" height="{}">)",
      markup_escape(label), W, H, W, H);
  svg += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/>)", L, H - B, W - R,
                     H - B);
  svg += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/>)", L, T, L, H - B);
  for (int k = 0; k <= 4; ++k) {
    double v = top * k / 4;
    svg += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="end">{:.0f}</text>)",
                       L - 4, y(v) + 4, v);
  }
  if (n > 0) {
    for (std::size_t i : {std::size_t{0}, n / 2, n - 1}) {
      svg += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>)",
                         x(i), H - B + 16, markup_escape(days[i].get<std::string>()));
    }
  }
  std::size_t color = 0;
  for (const auto& [name, values] : series) {
    std::string d;
    for (std::size_t i = 0; i < values.size(); ++i) {
      d += fmt::format("{}{:.1f},{:.1f}", i == 0 ? "M" : " L", x(i), y(values[i].get<double>()));
    }
    svg += fmt::format(
        R"(<path class="series" d="{}" fill="none" stroke="{}" stroke-width="1.5"><title>{}</title></path>)",
        d, kPalette[color % std::size(kPalette)], markup_escape(name));
    ++color;
  }
  for (const auto& [i, title] : marks) {
    if (i < n && !series.empty()) {
      svg += fmt::format(
          R"(<circle class="peak" cx="{:.1f}" cy="{:.1f}" r="5" fill="none" stroke="#dc2626" stroke-width="2"><title>{}</title></circle>)",
          x(i), y(series.front().second[i].get<double>()), markup_escape(title));
    }
  }
  svg += "</svg>";
  if (series.size() > 1) {
    svg += R"(<div class="legend">)";
    color = 0;
    for (const auto& [name, values] : series) {
      svg += fmt::format(R"(<span><i style="background:{}"></i>{}</span>)",
                         kPalette[color++ % std::size(kPalette)], markup_escape(name));
    }
    svg += "</div>";
  }
  return svg;
}

// Horizontal bars with labels and values.
// Shares are of `total`, the whole over every group, not of the rows drawn.
std::string bar_chart(const json& rows, double total, const std::string& label) {
  constexpr double W = 460, Row = 22, L = 150, R = 70;
  double H = Row * static_cast<double>(std::max<std::size_t>(rows.size(), 1)) + 6;
  double top = 1;
  for (const json& r : rows) {
    top = std::max(top, r[1].get<double>());
  }
  std::string svg = fmt::format(
      R"(<svg class="chart bars" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" height="{}">)",
      markup_escape(label), W, H, W, H);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::string name = rows[i][0].get<std::string>();
    double v = rows[i][1].get<double>();
    double y = 3 + Row * static_cast<double>(i);
    svg += fmt::format(R"(<text x="{}" y="{}" font-size="12" text-anchor="end">{}</text>)", L - 6,
                       y + 14, markup_escape(name.empty() ? "(unknown)" : name));
    svg += fmt::format(
        R"(<rect class="bar" x="{}" y="{}" width="{:.1f}" height="{}" fill="{}"><title>{}: {:.0f}</title></rect>)",
        L, y + 2, std::max(1.0, (W - L - R) * v / top), Row - 6, kPalette[0], markup_escape(name),
        v);
    svg += fmt::format(R"(<text x="{:.1f}" y="{}" font-size="11">{:.0f} ({:.0f}%)</text>)",
                       L + (W - L - R) * v / top + 4, y + 14, v, total > 0 ? 100 * v / total : 0);
  }
  return svg + "</svg>";
}

// One table row and one chart mark (index into the days) per incident, however many series it
// peaked in.
std::string incident_rows(const json& r, std::vector<std::pair<std::size_t, std::string>>& marks) {
  const json& days = r["daily"]["days"];
  auto index_of = [&](const std::string& day) {
    for (std::size_t i = 0; i < days.size(); ++i) {
      if (days[i] == day) {
        return i;
      }
    }
    return days.size();
  };
  std::string peak_rows;
  for (const json& incident : r["incidents"]) {
    const json& p = incident["lead"];
    std::string why;
    for (const json& d : p["drivers"]) {
      why += fmt::format("{}={} (+{:.0f}) ", d["dimension"].get<std::string>(),
                         d["value"].get<std::string>(), d["excess"].get<double>());
    }
    std::string cves;
    for (const json& c : incident["disclosures"]) {
      cves += fmt::format("{} ({}, {}) ", c["id"].get<std::string>(),
                          c["published"].get<std::string>(), c["product"].get<std::string>());
    }
    std::string also;
    for (std::size_t i = 1; i < incident["series"].size(); ++i) {
      also += (also.empty() ? "" : ", ") + incident["series"][i].get<std::string>();
    }
    std::string first = incident["first_day"], last = incident["last_day"];
    std::string when = first == last ? first : first + " – " + last;
    marks.emplace_back(index_of(p["day"]),
                       fmt::format("{}: {} {:.0f} sessions (baseline {:.0f}) {}", when,
                                   p["series"].get<std::string>(), p["value"].get<double>(),
                                   p["baseline"].get<double>(), cves));
    peak_rows += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{:.0f}</td><td>{:.0f}</td><td>{:.1f}</td><td>{}</td><td>{}</"
        "td><td>{}</td></tr>",
        markup_escape(when), markup_escape(p["series"].get<std::string>()),
        p["value"].get<double>(), p["baseline"].get<double>(), p["score"].get<double>(),
        markup_escape(why), markup_escape(cves.empty() ? "—" : cves),
        markup_escape(also.empty() ? "—" : also));
  }
  return peak_rows;
}

}  // namespace

Result<json> collect_report(store::RollupStore& rollups, DayRange range,
                            const std::vector<CveEntry>& catalog, const PeakOptions& peak_options) {
  Stats stats(rollups);
  json r;
  r["range"] = {{"from", store::format_day(range.from_day)},
                {"to", store::format_day(range.to_day - 1)}};
  r["generated"] = format_timestamp_us(now_unix_us());
  json days = json::array();
  for (std::int64_t d = range.from_day; d < range.to_day; ++d) {
    days.push_back(store::format_day(d));
  }
  r["daily"]["days"] = days;
  struct SeriesSpec {
    const char* name;
    Measure measure;
    std::vector<store::RollupFilter> filters;
  };
  for (const SeriesSpec& s :
       {SeriesSpec{"sessions", Measure::kSessions, {}}, SeriesSpec{"events", Measure::kEvents, {}},
        SeriesSpec{"samples", Measure::kSamples, {}},
        SeriesSpec{"targeted_sessions", Measure::kSessions, {{"targeted", "1"}}},
        SeriesSpec{"exploits", Measure::kExploits, {}}}) {
    auto values = stats.series(s.measure, range, s.filters);
    if (!values) {
      return values.failure();
    }
    r["daily"][s.name] = *values;
  }
  for (const auto& [key, measure, dim] : std::vector<std::tuple<const char*, Measure, const char*>>{
           {"protocol", Measure::kSessions, "protocol"},
           {"class", Measure::kSessions, "class"},
           {"family", Measure::kSamples, "family"}}) {
    auto by = stats.series_by(measure, dim, range, {}, 6);
    if (!by) {
      return by.failure();
    }
    r["daily_by"][key] = *by;
  }
  struct TopSpec {
    const char* name;
    Measure measure;
    const char* dim;
    std::vector<store::RollupFilter> filters;
  };
  for (const TopSpec& t :
       {TopSpec{"country", Measure::kSessions, "country", {}},
        TopSpec{"asn", Measure::kSessions, "asn", {}},
        TopSpec{"protocol", Measure::kSessions, "protocol", {}},
        TopSpec{"port", Measure::kSessions, "port", {}},
        TopSpec{"device_type", Measure::kSessions, "device_type", {}},
        TopSpec{"class", Measure::kSessions, "class", {}},
        TopSpec{"site", Measure::kSessions, "site", {}},
        TopSpec{"rule", Measure::kExploits, "rule", {}},
        TopSpec{"family", Measure::kSamples, "family", {}},
        TopSpec{"arch", Measure::kSamples, "arch", {}},
        TopSpec{"target", Measure::kSamples, "target", {}},
        TopSpec{"known", Measure::kSamples, "known", {}},
        TopSpec{"domain", Measure::kDomains, "domain", {}},
        TopSpec{"targeted_class", Measure::kSessions, "class", {{"targeted", "1"}}}}) {
    auto ranking = stats.ranking(t.measure, t.dim, range, t.filters, 12);
    if (!ranking) {
      return ranking.failure();
    }
    r["top"][t.name] = rows_json(ranking->rows);
    r["top_total"][t.name] = ranking->total;  // the whole a bar's share is of
  }
  auto unknown = stats.unknown_share(range);
  auto correlation = stats.attacks_vs_malware(range);
  if (!unknown || !correlation) {
    return Error{!unknown ? unknown.error() : correlation.error()};
  }
  r["totals"] = {{"sessions", correlation->sessions},
                 {"samples", correlation->samples},
                 {"scan_share", correlation->scan_share},
                 {"delivery_share", correlation->delivery_share},
                 {"attacks_vs_malware_pearson", correlation->pearson},
                 {"unknown_share", unknown->has_value() ? json(**unknown) : json(nullptr)}};
  double events = 0;
  for (const json& v : r["daily"]["events"]) {
    events += v.get<double>();
  }
  r["totals"]["events"] = events;
  auto peaks = find_peaks(rollups, range.from_day, range.to_day, catalog, peak_options);
  if (!peaks) {
    return peaks.failure();
  }

  r["peaks"] = json::array();
  for (const Peak& p : *peaks) {
    r["peaks"].push_back(peak_json(p));
  }
  // What the report counts and lists: one incident however many series it peaked in.
  r["incidents"] = incidents_json(group_incidents(*peaks));
  return r;
}

std::string render_html(const json& r) {
  const json& days = r["daily"]["days"];
  std::vector<std::pair<std::size_t, std::string>> marks;
  std::string peak_rows = incident_rows(r, marks);
  auto pairs = [&](const json& object) {
    std::vector<std::pair<std::string, json>> out;
    for (const auto& [k, v] : object.items()) {
      out.emplace_back(k, v);
    }
    return out;
  };
  const json& t = r["totals"];
  auto bars = [&](const char* key, const std::string& label) {
    json rows = r["top"][key];
    if (std::string_view(key) == "asn") {
      for (json& row : rows) {
        if (row[0] == "0") {
          row[0] = "";  // ASN 0 is reserved (RFC 7607): counted there when no AS is known
        }
      }
    }
    return bar_chart(rows, r["top_total"][key].get<double>(), label);
  };
  auto percent = [](const json& v) {
    return v.is_null() ? std::string("—") : fmt::format("{:.1f}%", 100 * v.get<double>());
  };
  std::string html = fmt::format(
      R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Mitsu threat report {from} – {to}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:24px;color:#111;max-width:1000px}}
h1{{font-size:22px}} h2{{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}}
.kpis{{display:flex;gap:12px;flex-wrap:wrap}} .kpi{{border:1px solid #ddd;border-radius:6px;padding:8px 12px}}
.kpi b{{display:block;font-size:20px}} .grid{{display:flex;flex-wrap:wrap;gap:16px}}
.grid section{{flex:1 1 460px}} table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ddd;padding:3px 6px;text-align:left}}
.legend span{{margin-right:12px;font-size:12px}} .legend i{{display:inline-block;width:10px;height:10px;margin-right:4px}}
footer{{margin-top:32px;font-size:11px;color:#555}}
</style></head><body>
<h1>Mitsu threat report: {from} – {to}</h1>
<div class="kpis">
<div class="kpi">sessions<b id="kpi-sessions">{sessions:.0f}</b></div>
<div class="kpi">events<b>{events:.0f}</b></div>
<div class="kpi">new samples<b id="kpi-samples">{samples:.0f}</b></div>
<div class="kpi">scans<b>{scan}</b></div>
<div class="kpi">malware delivery<b>{delivery}</b></div>
<div class="kpi">never-seen samples<b>{unknown}</b></div>
<div class="kpi">attacks vs malware (Pearson r)<b>{pearson:.2f}</b></div>
<div class="kpi">peak incidents<b id="kpi-peaks">{peaks}</b></div>
</div>
<h2>Sessions per day (peaks circled)</h2>
{daily}
<h2>Sessions per day by protocol</h2>
{by_protocol}
<h2>Sessions per day by class</h2>
{by_class}
<h2>Peaks</h2>
<table id="peaks"><tr><th>day</th><th>series</th><th>sessions</th><th>baseline</th><th>score</th><th>drivers</th><th>disclosures before it</th><th>also peaked</th></tr>
{peak_rows}</table>
<div class="grid">
<section><h2>Countries</h2>{country}</section>
<section><h2>Autonomous systems</h2>{asn}</section>
<section><h2>Protocols</h2>{protocol}</section>
<section><h2>Ports</h2>{port}</section>
<section><h2>Device types</h2>{device_type}</section>
<section><h2>Session classes</h2>{classes}</section>
<section><h2>Exploit signatures</h2>{rule}</section>
<section><h2>Sites</h2>{site}</section>
</div>
<h2>Malware collected per day</h2>
{malware}
<h2>Families over time</h2>
{families}
<div class="grid">
<section><h2>Families</h2>{family}</section>
<section><h2>CPU architectures</h2>{arch}</section>
<section><h2>IoT vs PC</h2>{target}</section>
<section><h2>Domains named by samples</h2>{domain}</section>
</div>
<h2>Targeted at our products</h2>
{targeted}
<div class="grid"><section>{targeted_class}</section></div>
<footer>Generated {generated} by Mitsu from rollups. GeoIP: ip-location-db (CC BY 4.0: RouteViews,
DB-IP, NRO data) or the GeoIP files the operator configured.</footer>
</body></html>
)",
      fmt::arg("from", markup_escape(r["range"]["from"].get<std::string>())),
      fmt::arg("to", markup_escape(r["range"]["to"].get<std::string>())),
      fmt::arg("sessions", t["sessions"].get<double>()),
      fmt::arg("events", t["events"].get<double>()),
      fmt::arg("samples", t["samples"].get<double>()), fmt::arg("scan", percent(t["scan_share"])),
      fmt::arg("delivery", percent(t["delivery_share"])),
      fmt::arg("unknown", percent(t["unknown_share"])),
      fmt::arg("pearson", t["attacks_vs_malware_pearson"].get<double>()),
      fmt::arg("peaks", r["incidents"].size()),
      fmt::arg("daily",
               line_chart(days, {{"sessions", r["daily"]["sessions"]}}, marks, "sessions per day")),
      fmt::arg("by_protocol",
               line_chart(days, pairs(r["daily_by"]["protocol"]), {}, "by protocol")),
      fmt::arg("by_class", line_chart(days, pairs(r["daily_by"]["class"]), {}, "by class")),
      fmt::arg("peak_rows", peak_rows), fmt::arg("country", bars("country", "countries")),
      fmt::arg("asn", bars("asn", "autonomous systems")),
      fmt::arg("protocol", bars("protocol", "protocols")), fmt::arg("port", bars("port", "ports")),
      fmt::arg("device_type", bars("device_type", "device types")),
      fmt::arg("classes", bars("class", "classes")),
      fmt::arg("rule", bars("rule", "exploit signatures")), fmt::arg("site", bars("site", "sites")),
      fmt::arg("malware",
               line_chart(days, {{"new samples", r["daily"]["samples"]}}, {}, "malware per day")),
      fmt::arg("families",
               line_chart(days, pairs(r["daily_by"]["family"]), {}, "families over time")),
      fmt::arg("family", bars("family", "families")),
      fmt::arg("arch", bars("arch", "architectures")),
      fmt::arg("target", bars("target", "iot vs pc")),
      fmt::arg("domain", bars("domain", "domains")),
      fmt::arg("targeted",
               line_chart(days, {{"targeted sessions", r["daily"]["targeted_sessions"]}}, {},
                          "targeted")),
      fmt::arg("targeted_class", bars("targeted_class", "targeted classes")),
      fmt::arg("generated", markup_escape(r["generated"].get<std::string>())));
  return html;
}

std::string render_csv(const json& r) {
  std::string out = "section,key,day,value\n";
  const json& days = r["daily"]["days"];
  for (const auto& [name, values] : r["daily"].items()) {
    if (name == "days") {
      continue;
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
      out += fmt::format("daily,{},{},{}\n", name, days[i].get<std::string>(),
                         values[i].get<double>());
    }
  }
  for (const auto& [name, rows] : r["top"].items()) {
    for (const json& row : rows) {
      out += fmt::format("top.{},{},,{}\n", name, csv_field(row[0].get<std::string>()),
                         row[1].get<std::int64_t>());
    }
  }
  for (const json& p : r["peaks"]) {
    out += fmt::format("peak,{},{},{}\n", csv_field(p["series"].get<std::string>()),
                       p["day"].get<std::string>(), p["value"].get<double>());
  }
  for (const auto& [name, value] : r["totals"].items()) {
    out += fmt::format("total,{},,{}\n", name, value.is_null() ? "" : dump_json(value));
  }
  return out;
}

}  // namespace mitsu::intel
