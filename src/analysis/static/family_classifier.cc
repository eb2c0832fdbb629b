#include "analysis/static/family_classifier.h"

#include <fmt/format.h>
#include <yara.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace mitsu::analysis {
namespace {

namespace fs = std::filesystem;

constexpr int kScanTimeoutSeconds = 30;

void initialize_yara_once() {
  static std::once_flag once;
  std::call_once(once, [] { yr_initialize(); });  // process-wide; never finalized
}

struct CompileErrors {
  std::vector<std::string> messages;
};

void on_compile_error(int level, const char* file, int line, const YR_RULE* /*rule*/,
                      const char* message, void* user_data) {
  if (level == YARA_ERROR_LEVEL_ERROR) {
    static_cast<CompileErrors*>(user_data)->messages.push_back(
        fmt::format("{}:{}: {}", file != nullptr ? file : "?", line, message));
  }
}

int on_scan_message(YR_SCAN_CONTEXT* /*context*/, int message, void* message_data,
                    void* user_data) {
  if (message != CALLBACK_MSG_RULE_MATCHING) {
    return CALLBACK_CONTINUE;
  }
  auto* rule = static_cast<YR_RULE*>(message_data);
  RuleMatch match;
  match.rule = rule->identifier;
  const YR_META* meta = nullptr;
  yr_rule_metas_foreach(rule, meta) {
    std::string_view key = meta->identifier;
    if (key == "family" && meta->type == META_TYPE_STRING) {
      match.family = meta->string;
    } else if (key == "variant_of" && meta->type == META_TYPE_STRING) {
      match.variant_of = meta->string;
    } else if (key == "confidence" && meta->type == META_TYPE_INTEGER) {
      match.confidence = static_cast<int>(std::clamp<int64_t>(meta->integer, 0, 100));
    }
  }
  if (match.family.empty()) {
    match.family = match.rule;  // a user rule without meta still names something
  }
  static_cast<std::vector<RuleMatch>*>(user_data)->push_back(std::move(match));
  return CALLBACK_CONTINUE;
}

}  // namespace

struct FamilyClassifier::Rules {
  YR_RULES* rules = nullptr;
  ~Rules() {
    if (rules != nullptr) {
      yr_rules_destroy(rules);
    }
  }
};

FamilyVerdict decide_family(std::vector<RuleMatch> matches) {
  FamilyVerdict verdict;
  const RuleMatch* best = nullptr;
  for (const RuleMatch& match : matches) {
    if (best == nullptr) {
      best = &match;
      continue;
    }
    bool refines_best = !match.variant_of.empty() && match.variant_of == best->family;
    bool best_refines = !best->variant_of.empty() && best->variant_of == match.family;
    if (refines_best || (!best_refines && match.confidence > best->confidence)) {
      best = &match;
    }
  }
  if (best != nullptr) {
    verdict.family = best->family;
    verdict.confidence = best->confidence;
  }
  verdict.matches = std::move(matches);
  return verdict;
}

FamilyClassifier::~FamilyClassifier() = default;

Result<std::unique_ptr<FamilyClassifier>> FamilyClassifier::load(
    const std::vector<fs::path>& rule_dirs) {
  initialize_yara_once();
  YR_COMPILER* compiler = nullptr;
  if (yr_compiler_create(&compiler) != ERROR_SUCCESS) {
    return Error{"yara: cannot create a compiler"};
  }
  std::unique_ptr<YR_COMPILER, void (*)(YR_COMPILER*)> guard(compiler, yr_compiler_destroy);
  CompileErrors errors;
  yr_compiler_set_callback(compiler, on_compile_error, &errors);

  std::unique_ptr<FamilyClassifier> classifier(new FamilyClassifier());
  for (const fs::path& dir : rule_dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      return Error{fmt::format("rules directory {} does not exist", dir.string())};
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      auto ext = entry.path().extension();
      if (entry.is_regular_file() && (ext == ".yar" || ext == ".yara")) {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      FILE* handle = std::fopen(file.c_str(), "r");
      if (handle == nullptr) {
        return Error{fmt::format("cannot read rules file {}", file.string())};
      }
      std::string name = file.string();
      // Each file in its own namespace, so two files may reuse a rule name.
      yr_compiler_add_file(compiler, handle, name.c_str(), name.c_str());
      std::fclose(handle);
      ++classifier->rule_files_;
    }
  }
  if (!errors.messages.empty()) {
    std::string all;
    for (const std::string& m : errors.messages) {
      all += (all.empty() ? "" : "; ") + m;
    }
    return Error{fmt::format("yara: {}", all)};
  }
  classifier->rules_ = std::make_unique<Rules>();
  if (yr_compiler_get_rules(compiler, &classifier->rules_->rules) != ERROR_SUCCESS) {
    return Error{"yara: cannot build the compiled rules"};
  }
  return classifier;
}

Result<FamilyVerdict> FamilyClassifier::classify(std::span<const std::byte> data) const {
  std::vector<RuleMatch> matches;
  int rc =
      yr_rules_scan_mem(rules_->rules, reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                        SCAN_FLAGS_FAST_MODE, on_scan_message, &matches, kScanTimeoutSeconds);
  if (rc != ERROR_SUCCESS) {
    return Error{fmt::format("yara scan failed (error {})", rc)};
  }
  return decide_family(std::move(matches));
}

}  // namespace mitsu::analysis
