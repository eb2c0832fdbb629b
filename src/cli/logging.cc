#include "cli/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "core/safe_text.h"

namespace mitsu::cli {
namespace {

// %* in the pattern: the message, with control sequences and invalid bytes escaped.
class SafeMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string safe = terminal_safe(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(safe.data(), safe.data() + safe.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SafeMessage>();
  }
};

}  // namespace

void setup_logging() {
  auto logger = spdlog::stderr_color_mt("mitsu");
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<SafeMessage>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %*");
  logger->set_formatter(std::move(formatter));
  spdlog::set_default_logger(logger);
}

}  // namespace mitsu::cli
