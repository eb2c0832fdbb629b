// What an analyst opens a case from: the samples collected (newest first, with their verdicts
// in brief), a sandbox run's packets, and the case timeline of a sample, a source or a sensor.

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "api/routes/routes.h"
#include "intel/lookups.h"
#include "intel/timeline.h"

namespace mitsu::api {
namespace {

// Read whole into memory (and copied once more into the response): kept modest.
constexpr std::uintmax_t kMaxPcapBytes = 32u << 20;

Result<intel::TimelineSubject> subject_of(const Query& query) {
  auto sample = query.sha256("sample");
  auto source = query.address("src_ip");
  auto sensor = query.name("sensor");
  if (Status s = first_failure(sample, source, sensor); !s) {
    return s.failure();
  }
  int given = (*sample ? 1 : 0) + (*source ? 1 : 0) + (*sensor ? 1 : 0);
  if (given != 1) {
    return Error::invalid("give exactly one of sample (a SHA-256), src_ip or sensor");
  }
  if (*sample) {
    return intel::TimelineSubject{intel::TimelineSubject::Kind::kSample, **sample};
  }
  if (*source) {
    return intel::TimelineSubject{intel::TimelineSubject::Kind::kSource, **source};
  }
  return intel::TimelineSubject{intel::TimelineSubject::Kind::kSensor, **sensor};
}

}  // namespace

void add_case_routes(Router& router, ApiContext& context) {
  store::StoreSet& stores = context.stores;
  router.add(Route{"GET",
                   "/api/v1/samples",
                   kReaders,
                   {"limit"},
                   [&stores](const RouteContext& rc) -> Result<ApiResponse> {
                     auto limit = rc.query.integer("limit", 1, 1000, 100);
                     if (!limit) {
                       return limit.failure();
                     }
                     auto view =
                         intel::samples_view(*stores.catalog, static_cast<std::size_t>(*limit));
                     return view ? Result<ApiResponse>(json_response(*view)) : view.failure();
                   }});
  router.add(Route{
      "GET",
      "/api/v1/samples/{sha256}/pcap",
      kReaders,
      {},
      [&context](const RouteContext& rc) -> Result<ApiResponse> {
        const std::string& sha256 = rc.path.at("sha256");
        if (Status s = valid_sha256(sha256); !s) {
          return s.failure();
        }
        // The name is 64 hex digits (checked above): it cannot leave the reports directory.
        std::filesystem::path pcap = context.reports_dir / sha256 / "sandbox.pcap";
        std::error_code ec;
        auto size = std::filesystem::file_size(pcap, ec);
        if (ec || context.reports_dir.empty()) {
          return Error::not_found("no sandbox capture for that sample");
        }
        if (size > kMaxPcapBytes) {
          return Error::invalid(fmt::format("the capture is larger than {} MiB; read it from {}",
                                            kMaxPcapBytes >> 20, pcap.string()));
        }
        std::ifstream in(pcap, std::ios::binary);
        ApiResponse response;
        response.content_type = "application/vnd.tcpdump.pcap";
        response.body.assign(std::istreambuf_iterator<char>(in), {});
        response.headers.emplace_back("Content-Disposition",
                                      fmt::format("attachment; filename=\"{}.pcap\"", sha256));
        return response;
      }});
  router.add(Route{"GET",
                   "/api/v1/timeline",
                   kReaders,
                   {"sample", "src_ip", "sensor"},
                   [&stores](const RouteContext& rc) -> Result<ApiResponse> {
                     auto subject = subject_of(rc.query);
                     if (!subject) {
                       return subject.failure();
                     }
                     auto timeline =
                         intel::case_timeline(*stores.catalog, *stores.events, *subject);
                     if (!timeline) {
                       return timeline.failure();
                     }
                     if (!*timeline) {
                       return Error::not_found("nothing is known about that subject");
                     }
                     return json_response(**timeline);
                   }});
}

}  // namespace mitsu::api
