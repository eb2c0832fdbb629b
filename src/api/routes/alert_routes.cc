// Alerts for the SOC: open ones (or all), newest first, and acknowledgement by an analyst
// (audited with who did it).

#include <charconv>
#include <nlohmann/json.hpp>

#include "api/routes/routes.h"
#include "intel/alerts/alert_engine.h"

namespace mitsu::api {

void add_alert_routes(Router& router, ApiContext& context) {
  store::StoreSet& stores = context.stores;
  Authenticator& auth = context.auth;
  router.add(Route{"GET",
                   "/api/v1/alerts",
                   kReaders,
                   {"state", "limit"},
                   [&stores](const RouteContext& rc) -> Result<ApiResponse> {
                     auto state = rc.query.choice("state", {"open", "all"}, "open");
                     auto limit = rc.query.integer("limit", 1, 1000, 100);
                     if (Status s = first_failure(state, limit); !s) {
                       return s.failure();
                     }
                     auto alerts =
                         stores.alerts->alerts(static_cast<std::size_t>(*limit), *state == "all");
                     if (!alerts) {
                       return alerts.failure();
                     }
                     nlohmann::json out = nlohmann::json::array();
                     for (const auto& a : *alerts) {
                       out.push_back(nlohmann::json::parse(intel::alert_json_text(a)));
                     }
                     return json_response({{"alerts", out}});
                   }});
  router.add(Route{
      "POST",
      "/api/v1/alerts/{id}/ack",
      kReaders,
      {},
      [&stores, &auth](const RouteContext& rc) -> Result<ApiResponse> {
        const std::string& text = rc.path.at("id");
        std::int64_t id = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
        if (ec != std::errc{} || end != text.data() + text.size() || id <= 0) {
          return Error::invalid("an alert id is a positive integer");
        }
        if (Status acked = stores.alerts->acknowledge(id, rc.principal->user, auth.now()); !acked) {
          return acked.failure();
        }
        (void)auth.accounts().audit(
            store::AuditEntry{auth.now(), rc.principal->user, "alert.ack", text, ""});
        auto alert = stores.alerts->alert(id);
        if (!alert || !alert->has_value()) {
          return !alert ? alert.failure() : Error{"the alert vanished"};
        }
        return json_response(nlohmann::json::parse(intel::alert_json_text(**alert)));
      }});
}

}  // namespace mitsu::api
