#include "fauth/core/config.hpp"

#include <iostream>
#include <string>

#include "algorithm.hpp"
#include "fauth/core/errors.hpp"

namespace fauth {
namespace {

void require_positive(std::chrono::seconds ttl, const char* field) {
    if (ttl.count() <= 0)
        throw ConfigError(std::string("AuthConfig.") + field + " must be positive (got " +
                          std::to_string(ttl.count()) + " s)");
}

void require_non_empty(const std::optional<std::string>& value, const char* field) {
    if (value && value->empty())
        throw ConfigError(std::string("AuthConfig.") + field +
                          " is set but empty: leave it unset or give it a value");
}

}  // namespace

void AuthConfig::validate() const {
    if (!keys || !secret_key.empty()) validate_secret();
    validate_rest();
}

void AuthConfig::validate_secret() const {
    const auto* alg = detail::find_hmac_algorithm(algorithm);
    if (alg == nullptr)
        throw ConfigError("AuthConfig.algorithm '" + algorithm + "' is not supported; use one of " +
                          std::string(detail::supported_hmac_names()));
    if (secret_key.empty())
        throw ConfigError("AuthConfig.secret_key is empty: set it to at least " +
                          std::to_string(alg->min_key_bytes) + " random bytes (e.g. from FAUTH_SECRET_KEY; "
                          "`openssl rand -hex 32` makes one)");
    if (secret_key.size() < alg->min_key_bytes)
        throw ConfigError("AuthConfig.secret_key is " + std::to_string(secret_key.size()) + " bytes; " +
                          algorithm + " needs at least " + std::to_string(alg->min_key_bytes) +
                          " (RFC 7518 section 3.2)");
}

void AuthConfig::validate_rest() const {
    require_positive(access_token_ttl, "access_token_ttl");
    require_positive(refresh_token_ttl, "refresh_token_ttl");
    require_positive(password_reset_ttl, "password_reset_ttl");
    require_positive(email_verification_ttl, "email_verification_ttl");
    if (leeway.count() < 0) throw ConfigError("AuthConfig.leeway must not be negative");
    require_non_empty(issuer, "issuer");
    require_non_empty(audience, "audience");
    if (token_url.empty() || token_url.front() != '/')
        throw ConfigError("AuthConfig.token_url must be an absolute path such as /login");
    if (max_token_bytes < 64) throw ConfigError("AuthConfig.max_token_bytes must be at least 64");
    if (bcrypt_cost < 4 || bcrypt_cost > 31)
        throw ConfigError("AuthConfig.bcrypt_cost must be between 4 and 31 (got " + std::to_string(bcrypt_cost) + ")");
    if (worker_threads == 0) throw ConfigError("AuthConfig.worker_threads must be at least 1");
    if (worker_queue_capacity == 0) throw ConfigError("AuthConfig.worker_queue_capacity must be at least 1");
    if (worker_nice < 0 || worker_nice > 19) throw ConfigError("AuthConfig.worker_nice must be between 0 and 19");
    for (const auto* limit : {&login_limits.per_client, &login_limits.per_identifier})
        if (!(limit->burst >= 1) || !(limit->per_second > 0))
            throw ConfigError("AuthConfig.login_limits need burst >= 1 and per_second > 0");
    if (max_login_body_bytes == 0) throw ConfigError("AuthConfig.max_login_body_bytes must be at least 1");
}

void write_log(const LogSink& log, std::string_view message) {
    if (log) log(message);
    else std::cerr << "fauth: " << message << std::endl;
}

void AuthConfig::write_log(std::string_view message) const { fauth::write_log(log, message); }

void AuthConfig::report(const SecurityEvent& event) const {
    if (security_events) security_events(event);
    else write_log(to_json_line(event));
}

std::chrono::system_clock::time_point AuthConfig::now() const {
    return fauth::now(clock);
}

}  // namespace fauth
