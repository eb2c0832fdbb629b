#include "api/auth/accounts.h"

#include <fmt/format.h>

#include <array>

#include "api/auth/secrets.h"

namespace mitsu::api {
namespace {

constexpr std::array<std::string_view, 3> kRoles{"sensor", "analyst", "admin"};
constexpr std::size_t kMaxLabelBytes = 128;

Status audited(store::AccountStore& accounts, std::int64_t now_us, std::string_view actor,
               std::string_view action, std::string_view target, std::string detail = {}) {
  return accounts.audit(store::AuditEntry{now_us, std::string(actor), std::string(action),
                                          std::string(target), std::move(detail)});
}

Result<store::UserRecord> existing_user(store::AccountStore& accounts, std::string_view name) {
  auto user = accounts.user(name);
  if (!user) {
    return user.failure();
  }
  if (!user->has_value()) {
    return Error::not_found(fmt::format("no user \"{}\"", name));
  }
  return **user;
}

}  // namespace

std::optional<Role> parse_role(std::string_view name) {
  for (std::size_t i = 0; i < kRoles.size(); ++i) {
    if (kRoles[i] == name) {
      return static_cast<Role>(i);
    }
  }
  return std::nullopt;
}

std::string_view role_name(Role role) {
  return kRoles[static_cast<std::size_t>(role)];
}

std::string_view role_names() {
  return "sensor, analyst, admin";
}

Status validate_user_name(std::string_view name) {
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  };
  bool ok = !name.empty() && name.size() <= 64 && allowed(name[0]) && name[0] != '.' &&
            name[0] != '_' && name[0] != '-';
  for (char c : name) {
    ok = ok && allowed(c);
  }
  if (!ok) {
    return Error::invalid(
        "a user name is 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or "
        "digit");
  }
  return Status::success();
}

Status create_user(store::AccountStore& accounts, std::string_view name, Role role,
                   std::string_view password, std::string_view actor, std::int64_t now_us) {
  if (Status valid = validate_user_name(name); !valid) {
    return valid;
  }
  auto hash = hash_password(password);
  if (!hash) {
    return hash.failure();
  }
  if (Status added = accounts.add_user(
          store::UserRecord{std::string(name), std::string(role_name(role)), *hash, now_us});
      !added) {
    return added;
  }
  return audited(accounts, now_us, actor, "user.create", name,
                 fmt::format("role {}", role_name(role)));
}

Status change_password(store::AccountStore& accounts, std::string_view name,
                       std::string_view password, std::string_view actor, std::int64_t now_us) {
  auto hash = hash_password(password);
  if (!hash) {
    return hash.failure();
  }
  if (Status set = accounts.set_password(name, *hash); !set) {
    return set;
  }
  return audited(accounts, now_us, actor, "user.password", name);
}

Status remove_user(store::AccountStore& accounts, std::string_view name, std::string_view actor,
                   std::int64_t now_us) {
  if (Status removed = accounts.remove_user(name); !removed) {
    return removed;
  }
  return audited(accounts, now_us, actor, "user.remove", name);
}

Result<IssuedToken> issue_token(store::AccountStore& accounts, std::string_view user,
                                std::optional<Role> role, std::string_view label,
                                std::optional<std::int64_t> expires_us, std::string_view actor,
                                std::int64_t now_us) {
  auto owner = existing_user(accounts, user);
  if (!owner) {
    return owner.failure();
  }
  Role owner_role = parse_role(owner->role).value_or(Role::kSensor);
  Role granted = role.value_or(owner_role);
  if (granted > owner_role) {
    return Error::invalid(fmt::format("user \"{}\" is {}: a token cannot be {}", user,
                                      role_name(owner_role), role_name(granted)));
  }
  if (label.size() > kMaxLabelBytes) {
    return Error::invalid(fmt::format("a token label has at most {} bytes", kMaxLabelBytes));
  }
  IssuedToken issued;
  issued.record = store::TokenRecord{
      random_hex(6), std::string(user), std::string(role_name(granted)), std::string(label), now_us,
      expires_us,    std::nullopt};
  // The id in the secret lets an operator tell which token leaked; only the hash finds it.
  issued.secret = fmt::format("mitsu_{}_{}", issued.record.id, random_hex(24));
  if (Status added = accounts.add_token(issued.record, sha256_hex(issued.secret)); !added) {
    return added.failure();
  }
  if (Status logged = audited(accounts, now_us, actor, "token.issue", issued.record.id,
                              fmt::format("user {} role {}", user, role_name(granted)));
      !logged) {
    return logged.failure();
  }
  return issued;
}

Status revoke_token(store::AccountStore& accounts, std::string_view id, std::string_view actor,
                    std::int64_t now_us) {
  if (Status revoked = accounts.revoke_token(id); !revoked) {
    return revoked;
  }
  return audited(accounts, now_us, actor, "token.revoke", id);
}

}  // namespace mitsu::api
