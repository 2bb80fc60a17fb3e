#include "fauth/core/errors.hpp"

#include <algorithm>
#include <utility>

namespace fauth {

namespace {
constexpr std::string_view kInvalidTokenLog = "Invalid token: ";
}  // namespace

std::exception_ptr Failure::exception() const {
    return with_error([](const auto& error) { return std::make_exception_ptr(error); });
}

Failure failure_of(std::exception_ptr thrown, std::string_view context) noexcept {
    try {
        try {
            std::rethrow_exception(std::move(thrown));
        } catch (const Error& e) {
            return e.failure();
        } catch (const std::exception& e) {
            return {ErrorKind::internal, "Internal Server Error", std::string(context) + " failed: " + e.what()};
        } catch (...) {
            return {ErrorKind::internal, "Internal Server Error", std::string(context) + " failed with a non-standard exception"};
        }
    } catch (...) {  // out of memory while copying the failure
        return {};
    }
}

Error::Error(ErrorKind kind, std::string detail, const std::string& log_message)
    : Error(Failure{kind, detail, log_message.empty() ? detail : log_message, std::chrono::seconds(0)}) {}

Error::Error(Failure failure) : std::runtime_error(failure.log), failure_(std::move(failure)) {}

InvalidToken::InvalidToken(std::string reason)
    : Error(ErrorKind::invalid_token, "Invalid token", std::string(kInvalidTokenLog) + reason), reason_(std::move(reason)) {}

InvalidToken::InvalidToken(Failure failure) : Error(std::move(failure)) {
    const std::string& log = this->failure().log;
    reason_ = log.starts_with(kInvalidTokenLog) ? log.substr(kInvalidTokenLog.size()) : log;
}

namespace {
std::string api_key_detail(const std::string& reason) {
    if (reason == "revoked") return "API key revoked";
    if (reason == "expired") return "API key expired";
    return "Invalid API key";
}
}  // namespace

InvalidApiKey::InvalidApiKey(const std::string& reason)
    : Error(ErrorKind::invalid_api_key, api_key_detail(reason), "invalid API key: " + reason) {}

InvalidDpopProof::InvalidDpopProof(const std::string& reason)
    : Error(ErrorKind::invalid_dpop_proof, "Invalid DPoP proof", "invalid DPoP proof: " + reason) {}

DpopNonceRequired::DpopNonceRequired(const std::string& reason)
    : Error(ErrorKind::dpop_nonce_required, "DPoP nonce required", "DPoP nonce required: " + reason) {}

TokenExpired::TokenExpired() : Error(ErrorKind::token_expired, "Token expired") {}

SessionExpired::SessionExpired() : Error(ErrorKind::session_expired, "Session expired") {}

FreshTokenRequired::FreshTokenRequired() : Error(ErrorKind::stale_token, "Fresh token required") {}

InvalidCredentials::InvalidCredentials() : Error(ErrorKind::invalid_credentials, "Invalid credentials") {}

UserNotFound::UserNotFound() : Error(ErrorKind::user_not_found, "User does not exist") {}

InactiveUser::InactiveUser() : Error(ErrorKind::inactive_user, "Inactive user") {}

Forbidden::Forbidden(std::string detail) : Error(ErrorKind::forbidden, std::move(detail)) {}

BadRequest::BadRequest(std::string detail, const std::string& log_message)
    : Error(ErrorKind::bad_request, std::move(detail), log_message) {}

Throttled::Throttled(std::chrono::seconds retry_after) : Error(ErrorKind::throttled, "Too many attempts; retry later") {
    set_retry_after(std::max(retry_after, std::chrono::seconds(1)));
}

Unavailable::Unavailable(const std::string& log_message, std::chrono::seconds retry_after)
    : Error(ErrorKind::unavailable, "Service unavailable", log_message) {
    set_retry_after(std::max(retry_after, std::chrono::seconds(1)));
}

InternalError::InternalError(const std::string& log_message) : Error(ErrorKind::internal, "Internal Server Error", log_message) {}

ConfigError::ConfigError(const std::string& message) : std::invalid_argument(message) {}

}  // namespace fauth
