// The dashboard's files, built from npm packages by scripts/install-web.sh into
// web/dashboard/dist: index.html at "/" and flat files at "/assets/<name>". They are read into
// memory once, on the first request, so a request can only ever name a file that was there —
// no path from a client touches the file system.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <fstream>
#include <map>
#include <mutex>

#include "api/routes/routes.h"

namespace mitsu::api {
namespace {

constexpr std::uintmax_t kMaxTotalBytes = 64u << 20;

struct File {
  std::string content_type;
  std::string bytes;
};

std::string content_type_of(const std::filesystem::path& path) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".woff2", "font/woff2"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".ico", "image/x-icon"}};
  auto it = kTypes.find(path.extension().string());
  return it == kTypes.end() ? std::string() : it->second;
}

bool servable_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || !std::isalnum(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

class DashboardFiles {
 public:
  explicit DashboardFiles(const ApiContext& context) : context_(context) {}

  // The file at `name` ("index.html" or "assets/<name>"), or why there is none.
  Result<const File*> find(const std::string& name) {
    std::call_once(loaded_, [this] { load(); });
    if (!problem_.empty()) {
      return Error::unavailable(problem_);
    }
    auto it = files_.find(name);
    if (it == files_.end()) {
      return Error::not_found("no such dashboard file");
    }
    return &it->second;
  }

 private:
  void load() {
    const std::filesystem::path& dir = context_.dashboard_dir;
    std::error_code ec;
    if (dir.empty() || !std::filesystem::is_regular_file(dir / "index.html", ec)) {
      problem_ = fmt::format(
          "the dashboard is not built{}: run scripts/install-web.sh, or set [api] dashboard",
          dir.empty() ? "" : fmt::format(" ({} has no index.html)", dir.string()));
      return;
    }
    std::uintmax_t total = 0;
    auto add = [&](const std::filesystem::path& path, const std::string& name) {
      std::string type = content_type_of(path);
      if (type.empty() || !std::filesystem::is_regular_file(path, ec)) {
        return;
      }
      std::ifstream in(path, std::ios::binary);
      File file{type, std::string(std::istreambuf_iterator<char>(in), {})};
      total += file.bytes.size();
      files_.emplace(name, std::move(file));
    };
    add(dir / "index.html", "index.html");
    for (const auto& entry : std::filesystem::directory_iterator(dir / "assets", ec)) {
      std::string name = entry.path().filename().string();
      if (servable_name(name)) {
        add(entry.path(), "assets/" + name);
      }
    }
    if (total > kMaxTotalBytes) {
      files_.clear();
      problem_ = fmt::format("the dashboard in {} is larger than {} MiB", dir.string(),
                             kMaxTotalBytes >> 20);
      return;
    }
    spdlog::info("api: dashboard: {} files ({} KiB) from {}", files_.size(), total >> 10,
                 dir.string());
  }

  const ApiContext& context_;
  std::once_flag loaded_;
  std::string problem_;
  std::map<std::string, File> files_;
};

Result<ApiResponse> serve(DashboardFiles& files, const std::string& name) {
  auto file = files.find(name);
  if (!file) {
    return file.failure();
  }
  ApiResponse response;
  response.content_type = (*file)->content_type;
  response.body = (*file)->bytes;
  return response;
}

}  // namespace

void add_dashboard_routes(Router& router, ApiContext& context) {
  auto files = std::make_shared<DashboardFiles>(context);
  router.add(Route{
      "GET", "/", {}, {}, [files](const RouteContext&) { return serve(*files, "index.html"); }});
  router.add(Route{"GET", "/assets/{name}", {}, {}, [files](const RouteContext& rc) {
                     const std::string& name = rc.path.at("name");
                     if (!servable_name(name)) {
                       return Result<ApiResponse>(Error::invalid(
                           "name: a dashboard file is named with letters, digits, '.', '_' and "
                           "'-', and starts with a letter or digit"));
                     }
                     return serve(*files, "assets/" + name);
                   }});
}

}  // namespace mitsu::api
