/// @file
/// fauth/core/api_key.hpp — API keys for machine clients: `<prefix>_<id>_<secret>`, where the id
/// (16 hex characters) is the lookup part a store indexes and the secret 256 random bits
/// (base64url). A key is shown once, when it is made; only its SHA-256 is stored, and a presented
/// key is checked against that in constant time.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fauth {

/// A key as made: the clear key, to show once, and what is stored of it.
struct NewApiKey {
    /// The whole key, e.g. `fauth_3f2a9c0d1b4e5f67_<43 characters>`: give it to the client, never store it.
    std::string key;
    /// Its lookup part (16 lower-case hex characters): store it, indexed.
    std::string id;
    /// SHA-256 of the whole key, hex: store it.
    std::string hash;
};

/// Throws ConfigError unless `prefix` is usable: 1 to 16 lower-case ASCII letters and digits (it
/// starts every key, so that a leaked key is easy to find in logs and by secret scanners).
void validate_api_key_prefix(std::string_view prefix);

/// A new key with `prefix` (validated as validate_api_key_prefix says) from the system CSPRNG.
NewApiKey generate_api_key(std::string_view prefix);

/// The lookup part of `key` when it has the form of a key with `prefix`; nothing otherwise.
std::optional<std::string_view> api_key_id(std::string_view key, std::string_view prefix) noexcept;

/// SHA-256 of `key`, hex: what is stored for it and what api_key_matches compares.
std::string api_key_hash(std::string_view key);

/// True when `key` hashes to `stored_hash`, compared in constant time.
bool api_key_matches(std::string_view key, std::string_view stored_hash);

}  // namespace fauth
