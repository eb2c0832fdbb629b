#include "intel/alerts/alert_engine.h"

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/safe_text.h"

namespace mitsu::intel {
namespace {

constexpr std::int64_t kHourUs = 3600LL * 1'000'000;

std::string detail_of(const Event& e) {
  if (e.id.empty()) {  // a fact (observe_fact): its body says what it is about
    nlohmann::json body = nlohmann::json::parse(e.body, nullptr, false);
    if (body.is_object()) {
      body["fact"] = e.action;
      return dump_json(body);
    }
  }
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

Result<std::optional<store::AlertRecord>> AlertEngine::apply(const AlertRule& rule,
                                                             const Event& event) {
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
    return std::optional<store::AlertRecord>(
        store::AlertRecord{raised->id, draft.rule, draft.severity, draft.key, draft.title,
                           draft.detail, draft.ts_us, draft.ts_us, 1, "", std::nullopt});
  }
  if (raised->id == 0) {
    ++suppressed_;
  }
  return std::optional<store::AlertRecord>{};
}

Status AlertEngine::observe(std::span<const Event* const> fresh) {
  std::lock_guard lock(mutex_);
  pending_.clear();  // a batch that rolled back is observed again: its raises are not kept
  for (const Event* event : fresh) {
    auto raised = apply_all(*event);
    if (!raised) {
      return raised.failure();
    }
    pending_.insert(pending_.end(), raised->begin(), raised->end());
    if (event->action == "exploit" && targeted_rules_.contains(event->rule_id)) {
      Event targeted = *event;
      targeted.action = "session.targets_our_products";
      auto also = apply_all(targeted);
      if (!also) {
        return also.failure();
      }
      pending_.insert(pending_.end(), also->begin(), also->end());
    }
  }
  return Status::success();
}

Result<std::vector<store::AlertRecord>> AlertEngine::apply_all(const Event& event) {
  std::vector<store::AlertRecord> out;
  for (const AlertRule& rule : rules_) {
    if (rule.on != event.action || (!rule.outcome.empty() && rule.outcome != event.outcome)) {
      continue;
    }
    auto raised = apply(rule, event);
    if (!raised) {
      return raised.failure();
    }
    if (*raised) {
      out.push_back(std::move(**raised));
    }
  }
  return out;
}

Result<std::vector<store::AlertRecord>> AlertEngine::observe_fact(const Event& fact) {
  std::lock_guard lock(mutex_);
  return apply_all(fact);
}

Result<std::vector<store::AlertRecord>> AlertEngine::observe_verdict(std::string_view sha256,
                                                                     std::string_view verdict_json,
                                                                     std::int64_t now_us) {
  auto verdict = nlohmann::json::parse(verdict_json, nullptr, false);
  if (!verdict.is_object()) {
    return std::vector<store::AlertRecord>{};
  }
  auto at = [&](const char* pointer) {
    nlohmann::json::json_pointer p(pointer);
    return verdict.contains(p) ? verdict[p] : nlohmann::json();
  };
  nlohmann::json known = at("/known/known");
  nlohmann::json targeted = at("/watchlist/targets_our_products");
  nlohmann::json family = at("/family/name");
  nlohmann::json arch = at("/elf/arch");
  Event fact;
  fact.ts_us = now_us;
  fact.sha256 = std::string(sha256);
  fact.body = dump_json({{"sha256", sha256},
                         {"family", family.is_string() ? family : nlohmann::json("")},
                         {"arch", arch.is_string() ? arch : nlohmann::json("")}});
  std::vector<store::AlertRecord> out;
  for (auto [name, holds] : {std::pair{"sample.never_seen", known == false},
                             {"sample.targets_our_products", targeted == true}}) {
    if (!holds) {
      continue;
    }
    fact.action = name;
    auto raised = observe_fact(fact);
    if (!raised) {
      return raised.failure();
    }
    out.insert(out.end(), raised->begin(), raised->end());
  }
  return out;
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
