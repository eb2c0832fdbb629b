#pragma once
// Family classification with YARA: the project's rules (rules/yara) plus any directory the user
// adds. A verdict names the family, the rules that matched and a confidence; no match is
// "unclassified", never a guess.

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace mitsu::analysis {

inline constexpr std::string_view kUnclassified = "unclassified";

struct RuleMatch {
  std::string rule;
  std::string family;
  std::string variant_of;  // empty for a base family
  int confidence = 50;
};

struct FamilyVerdict {
  std::string family{kUnclassified};
  int confidence = 0;
  std::vector<RuleMatch> matches;
};

// Picks the family from rule matches: a variant outranks the family it is a variant of, then the
// higher confidence wins.
FamilyVerdict decide_family(std::vector<RuleMatch> matches);

class FamilyClassifier {
 public:
  // Compiles every *.yar / *.yara file in the directories; errors name the file and line.
  static Result<std::unique_ptr<FamilyClassifier>> load(
      const std::vector<std::filesystem::path>& rule_dirs);
  ~FamilyClassifier();
  FamilyClassifier(const FamilyClassifier&) = delete;
  FamilyClassifier& operator=(const FamilyClassifier&) = delete;

  // Safe to call from several threads at once.
  Result<FamilyVerdict> classify(std::span<const std::byte> data) const;
  std::size_t rule_files() const { return rule_files_; }

 private:
  FamilyClassifier() = default;
  struct Rules;
  std::unique_ptr<Rules> rules_;
  std::size_t rule_files_ = 0;
};

}  // namespace mitsu::analysis
