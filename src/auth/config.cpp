#include "fauth/auth/config.hpp"

#include <string>

#include "fauth/core/errors.hpp"

namespace fauth {

void AuthConfig::validate() const {
    TokenConfig::validate();
    if (bcrypt_cost < 4 || bcrypt_cost > 31)
        throw ConfigError("AuthConfig.bcrypt_cost must be between 4 and 31 (got " + std::to_string(bcrypt_cost) + ")");
    if (worker_threads == 0) throw ConfigError("AuthConfig.worker_threads must be at least 1");
    if (worker_queue_capacity == 0) throw ConfigError("AuthConfig.worker_queue_capacity must be at least 1");
    if (worker_nice < 0 || worker_nice > 19) throw ConfigError("AuthConfig.worker_nice must be between 0 and 19");
    for (const auto* limit : {&login_limits.per_client, &login_limits.per_client_identifier, &login_limits.per_identifier})
        if (!(limit->burst >= 1) || !(limit->per_second > 0))
            throw ConfigError("AuthConfig.login_limits need burst >= 1 and per_second > 0");
    for (const auto* limit : {&refresh_limits.per_client, &refresh_limits.per_family})
        if (!(limit->burst >= 1) || !(limit->per_second > 0))
            throw ConfigError("AuthConfig.refresh_limits need burst >= 1 and per_second > 0");
    if (session_lifetime.count() <= 0) throw ConfigError("AuthConfig.session_lifetime must be positive");
    if (ipv6_client_prefix < 1 || ipv6_client_prefix > 128)
        throw ConfigError("AuthConfig.ipv6_client_prefix must be between 1 and 128");
    if (token_url.empty() || token_url.front() != '/')
        throw ConfigError("AuthConfig.token_url must be an absolute path such as /login");
    if (max_login_body_bytes == 0) throw ConfigError("AuthConfig.max_login_body_bytes must be at least 1");
}

}  // namespace fauth
