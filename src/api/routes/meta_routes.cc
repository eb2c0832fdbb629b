// Public endpoints: a health check for load balancers and the OpenAPI document. Neither reveals
// stored data.

#include <nlohmann/json.hpp>

#include "api/routes/routes.h"

namespace mitsu::api {

void add_meta_routes(Router& router) {
  router.add(Route{"GET", "/api/v1/health", {}, {}, [](const RouteContext&) -> Result<ApiResponse> {
                     return json_response({{"status", "ok"}});
                   }});
  router.add(
      Route{"GET", "/api/v1/openapi.json", {}, {}, [](const RouteContext&) -> Result<ApiResponse> {
              return ApiResponse{200, "application/json", std::string(openapi_document()), {}};
            }});
}

}  // namespace mitsu::api
