// `mitsu user` and `mitsu token`: the first admin is made here (the API has no default account),
// and tokens for tools and sensors are issued here or by an admin through the API.

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/auth/accounts.h"
#include "app/platform.h"
#include "cli/commands.h"
#include "core/clock.h"
#include "core/safe_text.h"

namespace mitsu::cli {
namespace {

std::optional<std::string> read_line_quietly(const char* prompt) {
  std::fputs(prompt, stderr);
  termios saved{};
  bool tty = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (tty) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::fputs("\n", stderr);
  }
  if (!got) {
    return std::nullopt;
  }
  return line;
}

// From a terminal: typed twice. Otherwise the first line of standard input (scripts, tests).
std::optional<std::string> read_password() {
  if (!::isatty(STDIN_FILENO)) {
    auto line = read_line_quietly("");
    if (!line) {
      spdlog::error("no password on standard input");
    }
    return line;
  }
  auto first = read_line_quietly("New password: ");
  auto second = first ? read_line_quietly("Again: ") : std::nullopt;
  if (!first || !second || *first != *second) {
    spdlog::error("the passwords differ");
    return std::nullopt;
  }
  return first;
}

int failed(const Status& status) {
  spdlog::error("{}", status.error());
  return status.error_kind() == ErrorKind::kInvalidInput ? kExitUsage : kExitFailure;
}

std::string when(const std::optional<std::int64_t>& us) {
  return us ? format_timestamp_us(*us) : "-";
}

int list_users(store::AccountStore& accounts, bool json) {
  auto users = accounts.users();
  if (!users) {
    return failed(users.failure());
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& u : *users) {
    if (json) {
      out.push_back(
          {{"name", u.name}, {"role", u.role}, {"created", format_timestamp_us(u.created_us)}});
    } else {
      std::printf("%-24s %-8s %s\n", u.name.c_str(), u.role.c_str(),
                  format_timestamp_us(u.created_us).c_str());
    }
  }
  if (json) {
    std::printf("%s\n", dump_json({{"users", out}}, 2).c_str());
  } else if (users->empty()) {
    std::fprintf(stderr, "no users yet: `mitsu user add NAME --role admin` makes the first\n");
  }
  return kExitOk;
}

int list_tokens(store::AccountStore& accounts, bool json) {
  auto tokens = accounts.tokens();
  if (!tokens) {
    return failed(tokens.failure());
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : *tokens) {
    if (json) {
      out.push_back({{"id", t.id},
                     {"user", t.user},
                     {"role", t.role},
                     {"label", t.label},
                     {"created", format_timestamp_us(t.created_us)},
                     {"expires", when(t.expires_us)},
                     {"last_used", when(t.last_used_us)}});
    } else {
      std::printf("%-12s %-16s %-8s expires %-27s last used %-27s %s\n", t.id.c_str(),
                  t.user.c_str(), t.role.c_str(), when(t.expires_us).c_str(),
                  when(t.last_used_us).c_str(), terminal_safe(t.label).c_str());
    }
  }
  if (json) {
    std::printf("%s\n", dump_json({{"tokens", out}}, 2).c_str());
  }
  return kExitOk;
}

// The stores, made when missing: the first admin is created before the first run.
std::unique_ptr<app::Platform> open_accounts(const Config& config) {
  auto platform = app::Platform::open(config, /*with_spool=*/false);
  if (!platform) {
    spdlog::error("{}", platform.error());
    return nullptr;
  }
  return std::move(*platform);
}

// --role: empty gives nullopt in `out`; false (logged) for a name that is no role.
bool role_option(const std::string& name, std::optional<api::Role>& out) {
  out = name.empty() ? std::nullopt : api::parse_role(name);
  if (!name.empty() && !out) {
    spdlog::error("--role must be one of: {}", api::role_names());
    return false;
  }
  return true;
}

}  // namespace

int user_command(const Config& config, const UserOptions& options) {
  auto platform = open_accounts(config);
  if (!platform) {
    return kExitFailure;
  }
  store::AccountStore& accounts = *platform->store.accounts;
  std::int64_t now = now_unix_us();
  if (options.action == "list") {
    return list_users(accounts, options.json);
  }
  if (options.action == "remove") {
    Status removed = api::remove_user(accounts, options.name, "cli", now);
    if (!removed) {
      return failed(removed);
    }
    spdlog::info("removed user {} with its tokens and sessions", options.name);
    return kExitOk;
  }
  std::optional<api::Role> role;
  if (!role_option(options.role, role) || !role) {
    return kExitUsage;
  }
  if (Status valid = api::validate_user_name(options.name); !valid) {
    return failed(valid);
  }
  auto password = read_password();
  if (!password) {
    return kExitUsage;
  }
  Status done = options.action == "add"
                    ? api::create_user(accounts, options.name, *role, *password, "cli", now)
                    : api::change_password(accounts, options.name, *password, "cli", now);
  if (!done) {
    return failed(done);
  }
  if (options.action == "add") {
    spdlog::info("created user {} ({})", options.name, options.role);
  } else {
    spdlog::info("changed the password of {}", options.name);
  }
  return kExitOk;
}

int token_command(const Config& config, const TokenOptions& options) {
  auto platform = open_accounts(config);
  if (!platform) {
    return kExitFailure;
  }
  store::AccountStore& accounts = *platform->store.accounts;
  std::int64_t now = now_unix_us();
  if (options.action == "list") {
    return list_tokens(accounts, options.json);
  }
  if (options.action == "revoke") {
    Status revoked = api::revoke_token(accounts, options.id, "cli", now);
    if (!revoked) {
      return failed(revoked);
    }
    spdlog::info("revoked token {}", options.id);
    return kExitOk;
  }
  std::optional<api::Role> role;
  if (!role_option(options.role, role)) {
    return kExitUsage;
  }
  std::optional<std::int64_t> expires;
  if (options.days > 0) {
    expires = now + static_cast<std::int64_t>(options.days) * 86400 * 1'000'000;
  }
  auto issued = api::issue_token(accounts, options.user, role, options.label, expires, "cli", now);
  if (!issued) {
    return failed(issued.failure());
  }
  // The secret alone on stdout (for scripts); it is shown this once and never stored.
  std::printf("%s\n", issued->secret.c_str());
  spdlog::info("token {} for {} ({}), {}; keep it secret, it is not shown again", issued->record.id,
               issued->record.user, issued->record.role,
               expires ? "expires " + format_timestamp_us(*expires) : "never expires");
  return kExitOk;
}

}  // namespace mitsu::cli
