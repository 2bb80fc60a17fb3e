#include "fauth/core/errors.hpp"

#include <algorithm>
#include <utility>

namespace fauth {

Error::Error(ErrorKind kind, std::string detail, const std::string& log_message)
    : std::runtime_error(log_message.empty() ? detail : log_message), kind_(kind), detail_(std::move(detail)) {}

InvalidToken::InvalidToken(std::string reason)
    : Error(ErrorKind::invalid_token, "Invalid token", "Invalid token: " + reason), reason_(std::move(reason)) {}

namespace {
std::string api_key_detail(const std::string& reason) {
    if (reason == "revoked") return "API key revoked";
    if (reason == "expired") return "API key expired";
    return "Invalid API key";
}
}  // namespace

InvalidApiKey::InvalidApiKey(const std::string& reason)
    : Error(ErrorKind::invalid_token, api_key_detail(reason), "invalid API key: " + reason) {}

TokenExpired::TokenExpired() : Error(ErrorKind::token_expired, "Token expired") {}

SessionExpired::SessionExpired() : Error(ErrorKind::token_expired, "Session expired") {}

FreshTokenRequired::FreshTokenRequired() : Error(ErrorKind::stale_token, "Fresh token required") {}

InvalidCredentials::InvalidCredentials() : Error(ErrorKind::invalid_credentials, "Invalid credentials") {}

UserNotFound::UserNotFound() : Error(ErrorKind::user_not_found, "User does not exist") {}

InactiveUser::InactiveUser() : Error(ErrorKind::inactive_user, "Inactive user") {}

Forbidden::Forbidden(std::string detail) : Error(ErrorKind::forbidden, std::move(detail)) {}

Throttled::Throttled(std::chrono::seconds retry_after)
    : Error(ErrorKind::throttled, "Too many attempts; retry later"), retry_after_(std::max(retry_after, std::chrono::seconds(1))) {}

Unavailable::Unavailable(const std::string& log_message, std::chrono::seconds retry_after)
    : Error(ErrorKind::unavailable, "Service unavailable", log_message),
      retry_after_(std::max(retry_after, std::chrono::seconds(1))) {}

InternalError::InternalError(const std::string& log_message)
    : Error(ErrorKind::internal, "Internal Server Error", log_message) {}

ConfigError::ConfigError(const std::string& message) : std::invalid_argument(message) {}

}  // namespace fauth
