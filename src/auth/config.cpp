#include "fauth/auth/config.hpp"

#include <string>

#include "fauth/core/api_key.hpp"
#include "fauth/core/errors.hpp"

namespace fauth {

void AuthConfig::validate() const {
    tokens.validate();
    if (bcrypt_cost < 4 || bcrypt_cost > 31)
        throw ConfigError("AuthConfig.bcrypt_cost must be between 4 and 31 (got " + std::to_string(bcrypt_cost) + ")");
    if (worker_threads == 0) throw ConfigError("AuthConfig.worker_threads must be at least 1");
    if (worker_queue_capacity == 0) throw ConfigError("AuthConfig.worker_queue_capacity must be at least 1");
    if (callback_threads == 0) throw ConfigError("AuthConfig.callback_threads must be at least 1");
    if (max_key_fetch_waits == 0) throw ConfigError("AuthConfig.max_key_fetch_waits must be at least 1");
    if (max_password_wait <= std::chrono::milliseconds(0)) throw ConfigError("AuthConfig.max_password_wait must be positive");
    if (refresh_repeat_grace < std::chrono::seconds(0) || refresh_repeat_grace > std::chrono::seconds(60))
        throw ConfigError("AuthConfig.refresh_repeat_grace must be between 0 and 60 seconds");
    if (max_password_checks_per_client == 0) throw ConfigError("AuthConfig.max_password_checks_per_client must be at least 1");
    if (worker_nice < 0 || worker_nice > 19) throw ConfigError("AuthConfig.worker_nice must be between 0 and 19");
    for (const auto* limit :
         {&login_limits.per_client, &login_limits.per_client_identifier, &login_limits.per_identifier, &login_limits.per_device})
        if (!(limit->burst >= 1) || !(limit->per_second > 0))
            throw ConfigError("AuthConfig.login_limits need burst >= 1 and per_second > 0");
    if (login_limits.per_client_identifier.burst >= login_limits.per_identifier.burst ||
        login_limits.per_client_identifier.per_second > login_limits.per_identifier.per_second)
        throw ConfigError(
            "AuthConfig.login_limits.per_client_identifier must have a smaller burst than per_identifier and "
            "at most its rate: otherwise one address alone could lock a login name out for everyone");
    for (const auto* limit : {&refresh_limits.per_client, &refresh_limits.per_family})
        if (!(limit->burst >= 1) || !(limit->per_second > 0))
            throw ConfigError("AuthConfig.refresh_limits need burst >= 1 and per_second > 0");
    if (session_lifetime.count() <= 0 || session_lifetime > std::chrono::hours(24 * 365 * 100))
        throw ConfigError("AuthConfig.session_lifetime must be positive and at most 100 years");
    validate_api_key_prefix(api_keys.prefix);
}

}  // namespace fauth
