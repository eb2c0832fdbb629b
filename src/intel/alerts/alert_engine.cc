#include "intel/alerts/alert_engine.h"

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/safe_text.h"

namespace mitsu::intel {
namespace {

constexpr std::int64_t kHourUs = 3600LL * 1'000'000;

std::string detail_of(const Event& e) {
  nlohmann::json detail = {
      {"event_id", e.id}, {"action", e.action}, {"sensor", e.sensor}, {"site", e.site}};
  for (auto [name, value] : {std::pair{"session_id", &e.session_id},
                             {"src_ip", &e.src_ip},
                             {"protocol", &e.protocol},
                             {"sha256", &e.sha256},
                             {"rule_id", &e.rule_id},
                             {"country", &e.country}}) {
    if (!value->empty()) {
      detail[name] = *value;
    }
  }
  return dump_json(detail);
}

}  // namespace

Status AlertEngine::apply(const AlertRule& rule, const Event& event) {
  store::AlertDraft draft{rule.id,
                          rule.severity,
                          expand(rule.key, event),
                          expand(rule.title, event),
                          detail_of(event),
                          rule.once,
                          event.ts_us,
                          false};
  auto recent = alerts_.raised_since(rule.id, event.ts_us - kHourUs);
  if (!recent) {
    return recent.failure();
  }
  draft.fold_only = *recent >= static_cast<std::uint64_t>(rule.per_hour);
  auto raised = alerts_.raise(draft, sinks_);
  if (!raised) {
    return raised.failure();
  }
  if (raised->fresh) {
    ++raised_;
    pending_.push_back({raised->id, draft.rule, draft.severity, draft.key, draft.title,
                        draft.detail, draft.ts_us, draft.ts_us, 1, "", std::nullopt});
  } else if (raised->id == 0) {
    ++suppressed_;
  }
  return Status::success();
}

Status AlertEngine::observe(std::span<const Event* const> fresh) {
  pending_.clear();  // a batch that rolled back is observed again: its raises are not kept
  for (const Event* event : fresh) {
    for (const AlertRule& rule : rules_) {
      if (rule.on != event->action || (!rule.outcome.empty() && rule.outcome != event->outcome)) {
        continue;
      }
      if (Status s = apply(rule, *event); !s) {
        return s;
      }
    }
  }
  return Status::success();
}

std::string alert_json_text(const store::AlertRecord& a) {
  nlohmann::json detail = nlohmann::json::parse(a.detail, nullptr, false);
  nlohmann::json out = {
      {"id", a.id},
      {"rule", a.rule},
      {"severity", a.severity},
      {"title", a.title},
      {"key", a.key},
      {"first", format_timestamp_us(a.first_us)},
      {"last", format_timestamp_us(a.last_us)},
      {"count", a.count},
      {"detail", detail.is_discarded() ? nlohmann::json(a.detail) : detail},
      {"acknowledged_by",
       a.acked_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.acked_by)},
      {"acknowledged",
       a.acked_us ? nlohmann::json(format_timestamp_us(*a.acked_us)) : nlohmann::json(nullptr)}};
  return dump_json(out);
}

}  // namespace mitsu::intel
