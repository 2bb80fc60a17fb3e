#include "fauth/core/config.hpp"

#include <iostream>
#include <string>

#include "algorithm.hpp"
#include "fauth/core/errors.hpp"

namespace fauth {
namespace {

void require_positive(std::chrono::seconds ttl, const char* field) {
    if (ttl.count() <= 0)
        throw ConfigError(std::string("TokenConfig.") + field + " must be positive (got " + std::to_string(ttl.count()) + " s)");
}

void require_non_empty(const std::optional<std::string>& value, const char* field) {
    if (value && value->empty())
        throw ConfigError(std::string("TokenConfig.") + field + " is set but empty: leave it unset or give it a value");
}

}  // namespace

void TokenConfig::validate() const {
    if ((!keys && issuers.empty()) || !secret_key.empty()) validate_secret();
    for (const auto& trusted : issuers) {
        if (!trusted) throw ConfigError("TokenConfig.issuers holds an empty policy");
        trusted->validate();
        if (issuer && *issuer == trusted->issuer())
            throw ConfigError("TokenConfig.issuer " + *issuer + " is also a TrustedIssuer: a token names one issuer only");
        for (const auto& other : issuers)
            if (&other != &trusted && other && other->issuer() == trusted->issuer())
                throw ConfigError("TrustedIssuer " + trusted->issuer() + " is configured twice");
    }
    for (const auto& check : claim_checks)
        if (!check.accepts) throw ConfigError("TokenConfig.claim_checks: the check '" + check.reason + "' has no function");
    require_positive(access_token_ttl, "access_token_ttl");
    require_positive(refresh_token_ttl, "refresh_token_ttl");
    require_positive(password_reset_ttl, "password_reset_ttl");
    require_positive(email_verification_ttl, "email_verification_ttl");
    require_positive(second_factor_ttl, "second_factor_ttl");
    if (leeway.count() < 0) throw ConfigError("TokenConfig.leeway must not be negative");
    require_non_empty(issuer, "issuer");
    require_non_empty(audience, "audience");
    if (max_token_bytes < 64) throw ConfigError("TokenConfig.max_token_bytes must be at least 64");
}

void TokenConfig::validate_secret() const {
    const auto* alg = detail::find_hmac_algorithm(algorithm);
    if (alg == nullptr)
        throw ConfigError("TokenConfig.algorithm '" + algorithm + "' is not supported; use one of " +
                          std::string(detail::supported_hmac_names()));
    if (secret_key.empty())
        throw ConfigError("TokenConfig.secret_key is empty: set it to at least " + std::to_string(alg->min_key_bytes) +
                          " random bytes (e.g. from FAUTH_SECRET_KEY; "
                          "`openssl rand -hex 32` makes one)");
    if (secret_key.size() < alg->min_key_bytes)
        throw ConfigError("TokenConfig.secret_key is " + std::to_string(secret_key.size()) + " bytes; " + algorithm +
                          " needs at least " + std::to_string(alg->min_key_bytes) + " (RFC 7518 section 3.2)");
}

void write_log(const LogSink& log, std::string_view message) noexcept {
    // fauth's own threads report through here (Redis's, the callback pool's): a sink that throws
    // must not end them, or the process. Its message goes to standard error instead.
    try {
        if (log) return log(message);
    } catch (...) {}
    try {
        std::cerr << "fauth: " << message << std::endl;
    } catch (...) {
        // Standard error failed too: there is nowhere left to say it.
    }
}

void TokenConfig::write_log(std::string_view message) const noexcept { fauth::write_log(log, message); }

void TokenConfig::report(const SecurityEvent& event) const {
    if (!security_events) return write_log(to_json_line(event));
    // A hook that throws must not stop what reported (a reused refresh token's family is revoked
    // after its event): the failure goes to the log.
    try {
        security_events(event);
    } catch (...) {
        write_log(failure_of(std::current_exception(), "security_events hook").log);
    }
}

std::chrono::system_clock::time_point TokenConfig::now() const { return fauth::now(clock); }

}  // namespace fauth
