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

// Twelve colours far apart in hue and lightness (Tableau 10 and two more), so neighbours such as
// ftp and tftp never look alike; a series past the twelfth is drawn dashed as well.
const char* kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                          "#b07aa1", "#ff9da7", "#9c755f", "#1f1f1f", "#00a2ff", "#8cd17d"};

std::string series_name(const std::string& name) {
  return name.empty() ? "(unknown)" : name;
}

// Axis ticks at 1, 2 or 5 times a power of ten: whole numbers, evenly spaced, the last one at or
// above the largest value (ticks "0,1,2,4,5" were quarters of the maximum, rounded).
std::vector<double> nice_ticks(double largest) {
  double raw = std::max(1.0, largest) / 4;
  double magnitude = std::pow(10, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double f : {1.0, 2.0, 5.0, 10.0}) {
    if (f * magnitude >= raw) {
      step = f * magnitude;
      break;
    }
  }
  step = std::max(1.0, step);
  std::vector<double> ticks;
  for (double v = 0; v < largest + step; v += step) {
    ticks.push_back(v);
    if (v >= largest) {
      break;
    }
  }
  return ticks;
}

std::string empty_note(const std::string& what) {
  return fmt::format(R"(<p class="empty">Nothing to show: no {} in this range.</p>)",
                     markup_escape(what));
}

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
  if (top <= 1 && std::all_of(series.begin(), series.end(), [](const auto& s) {
        return std::all_of(s.second.begin(), s.second.end(),
                           [](const json& v) { return v.get<double>() == 0; });
      })) {
    return empty_note(label);
  }
  std::vector<double> ticks = nice_ticks(top);
  top = ticks.back();
  auto x = [&](std::size_t i) {
    return L + (W - L - R) * (n > 1 ? double(i) / double(n - 1) : 0.5);
  };
  auto y = [&](double v) { return T + (H - T - B) * (1 - v / top); };
  std::string svg =
      fmt::format(R"(<svg class="chart line" role="img" aria-label="{}" viewBox="0 0 {} {}">)",
                  markup_escape(label), W, H);
  svg += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/>)", L, H - B, W - R,
                     H - B);
  svg += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/>)", L, T, L, H - B);
  for (double v : ticks) {
    svg += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="end">{:.0f}</text>)",
                       L - 4, y(v) + 4, v);
  }
  if (n > 0) {
    // The first and last dates end at the chart's edges instead of running over them; a range
    // of one or two days labels each day once.
    std::vector<std::pair<std::size_t, const char*>> labels{{0, "start"}};
    if (n == 1) {
      labels = {{0, "middle"}};
    } else if (n == 2) {
      labels.emplace_back(1, "end");
    } else {
      labels.insert(labels.end(), {{n / 2, "middle"}, {n - 1, "end"}});
    }
    for (auto [i, anchor] : labels) {
      svg += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="{}">{}</text>)",
                         n == 1 ? x(i) : (i == 0 ? L : x(i)), H - B + 16, anchor,
                         markup_escape(days[i].get<std::string>()));
    }
  }
  std::size_t color = 0;
  for (const auto& [name, values] : series) {
    std::string d;
    for (std::size_t i = 0; i < values.size(); ++i) {
      d += fmt::format("{}{:.1f},{:.1f}", i == 0 ? "M" : " L", x(i), y(values[i].get<double>()));
    }
    svg += fmt::format(
        R"(<path class="series" d="{}" fill="none" stroke="{}" stroke-width="1.5"{}><title>{}</title></path>)",
        d, kPalette[color % std::size(kPalette)],
        color >= std::size(kPalette) ? R"( stroke-dasharray="6 3")" : "",
        markup_escape(series_name(name)));
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
                         kPalette[color++ % std::size(kPalette)], markup_escape(series_name(name)));
    }
    svg += "</div>";
  }
  return svg;
}

// Horizontal bars with labels and values, laid out by the browser (HTML, not SVG): a long
// signature name wraps instead of being clipped, and the value always has room beside its bar.
// Shares are of `total`, the whole over every group, not of the rows drawn.
std::string bar_chart(const json& rows, double total, const std::string& label) {
  if (rows.empty()) {
    return empty_note(label);
  }
  double top = 1;
  for (const json& r : rows) {
    top = std::max(top, r[1].get<double>());
  }
  std::string html =
      fmt::format(R"(<div class="chart bars" role="img" aria-label="{}">)", markup_escape(label));
  for (const json& row : rows) {
    std::string name = series_name(row[0].get<std::string>());
    double v = row[1].get<double>();
    html += fmt::format(
        R"(<div class="bar-row"><span class="bar-label">{}</span><span class="bar-track"><span class="bar" style="width:{:.1f}%" title="{}: {:.0f}"></span></span><span class="bar-value">{:.0f} ({:.0f}%)</span></div>)",
        markup_escape(name), std::max(0.5, 100 * v / top), markup_escape(name), v, v,
        total > 0 ? 100 * v / total : 0);
  }
  return html + "</div>";
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
        R"(<tr><td class="num" data-label="day">{}</td><td data-label="series">{}</td>)"
        R"(<td class="num" data-label="sessions">{:.0f}</td>)"
        R"(<td class="num" data-label="baseline">{:.0f}</td><td class="num" data-label="score">{:.1f}</td>)"
        R"(<td class="text" data-label="drivers">{}</td><td class="text" data-label="disclosures">{}</td>)"
        R"(<td class="text" data-label="also peaked">{}</td></tr>)",
        markup_escape(when), markup_escape(p["series"].get<std::string>()),
        p["value"].get<double>(), p["baseline"].get<double>(), p["score"].get<double>(),
        markup_escape(why), markup_escape(cves.empty() ? "—" : cves),
        markup_escape(also.empty() ? "—" : also));
  }
  if (peak_rows.empty()) {
    peak_rows = R"(<tr><td colspan="8" class="empty">No peaks: no day rose far enough above its )"
                R"(baseline in this range.</td></tr>)";
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
    // Enough series that every protocol and class has its own line (12 colours); families past
    // the twelfth are folded into "other".
    auto by = stats.series_by(measure, dim, range, {}, 12);
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
      const json names = r.value("as_names", json::object());
      for (json& row : rows) {
        std::string asn = row[0];
        if (asn == "0") {
          row[0] = "";  // ASN 0 is reserved (RFC 7607): counted there when no AS is known
        } else if (names.contains(asn)) {
          row[0] = "AS" + asn + " " + names[asn].get<std::string>();
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
body{{font-family:system-ui,sans-serif;margin:16px;color:#111;max-width:1600px}}
h1{{font-size:22px}} h2{{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}}
.kpis{{display:flex;gap:12px;flex-wrap:wrap}} .kpi{{border:1px solid #ddd;border-radius:6px;padding:8px 12px}}
.kpi b{{display:block;font-size:20px}} .grid{{display:flex;flex-wrap:wrap;gap:16px}}
.grid section{{flex:1 1 340px;min-width:0}}
svg.chart{{width:100%;height:auto;display:block}}
.bars{{font-size:12px}} .bar-row{{display:grid;grid-template-columns:minmax(5em,35%) 1fr auto;gap:6px;align-items:center;margin:3px 0}}
.bar-label{{text-align:right;overflow-wrap:anywhere}} .bar-track{{display:block;min-width:0}}
.bar{{display:block;height:14px;min-width:2px;background:#4e79a7}} .bar-value{{white-space:nowrap;font-variant-numeric:tabular-nums}}
table{{border-collapse:collapse;font-size:12px;width:100%}}
td,th{{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}}
th,td.num{{white-space:nowrap}} td.text{{overflow-wrap:anywhere}}
@media (max-width:700px){{
#peaks tr:first-child{{display:none}} #peaks tr{{display:block;border:1px solid #ddd;margin-bottom:8px}}
#peaks td{{display:grid;grid-template-columns:6.5em 1fr;gap:6px;border:none;white-space:normal;overflow-wrap:anywhere}}
#peaks td::before{{content:attr(data-label);font-weight:600}}
}}
.legend span{{margin-right:12px;font-size:12px;display:inline-block}} .legend i{{display:inline-block;width:10px;height:10px;margin-right:4px}}
.empty{{color:#555;font-style:italic}}
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
               line_chart(days, {{"new samples", r["daily"]["samples"]}}, {}, "new samples")),
      fmt::arg("families",
               line_chart(days, pairs(r["daily_by"]["family"]), {}, "families over time")),
      fmt::arg("family", bars("family", "families")),
      fmt::arg("arch", bars("arch", "architectures")),
      fmt::arg("target", bars("target", "iot vs pc")),
      fmt::arg("domain", bars("domain", "domains")),
      fmt::arg("targeted",
               line_chart(days, {{"targeted sessions", r["daily"]["targeted_sessions"]}}, {},
                          "sessions targeted at our products (see the vendor watchlist)")),
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
