#pragma once
// Account management shared by the CLI (`mitsu user`, `mitsu token`) and the admin API: names
// and roles checked, passwords hashed, tokens issued once, every change written to the audit log.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/account_store.h"

namespace mitsu::api {

// sensor: submits events only; analyst: reads and acknowledges; admin: also users, rules, sensors.
enum class Role { kSensor, kAnalyst, kAdmin };

std::optional<Role> parse_role(std::string_view name);
std::string_view role_name(Role role);
// Roles in rank order, for "--role" help and errors.
std::string_view role_names();

// 1-64 characters of [a-z0-9._-], starting with a letter or digit: safe in logs and URLs.
Status validate_user_name(std::string_view name);

// `actor` names who did it in the audit log ("cli" from the command line).
Status create_user(store::AccountStore& accounts, std::string_view name, Role role,
                   std::string_view password, std::string_view actor, std::int64_t now_us);
Status change_password(store::AccountStore& accounts, std::string_view name,
                       std::string_view password, std::string_view actor, std::int64_t now_us);
// Refuses to remove the last admin (the store checks it atomically).
Status remove_user(store::AccountStore& accounts, std::string_view name, std::string_view actor,
                   std::int64_t now_us);

struct IssuedToken {
  store::TokenRecord record;
  std::string secret;  // shown once; only its SHA-256 is stored
};
// A token for `user` with the user's role or a lower one.
Result<IssuedToken> issue_token(store::AccountStore& accounts, std::string_view user,
                                std::optional<Role> role, std::string_view label,
                                std::optional<std::int64_t> expires_us, std::string_view actor,
                                std::int64_t now_us);
Status revoke_token(store::AccountStore& accounts, std::string_view id, std::string_view actor,
                    std::int64_t now_us);

}  // namespace mitsu::api
