// Test helper: a configuration that validates, and the message validate() refuses one with.
#pragma once

#include <string>

#include "fauth/core/errors.hpp"

namespace fauth::test {

/// A default `Config` (TokenConfig or AuthConfig) with a usable HS256 secret: it validates.
template <class Config>
Config valid_config() {
    Config c;
    if constexpr (requires { c.tokens; })
        c.tokens.secret_key = std::string(32, 'k');
    else
        c.secret_key = std::string(32, 'k');
    return c;
}

/// The ConfigError message for `c`, or "" if it validates.
template <class Config>
std::string config_error(const Config& c) {
    try {
        c.validate();
        return "";
    } catch (const fauth::ConfigError& e) {
        return e.what();
    }
}

}  // namespace fauth::test
