// fauth/core/internal/aead.hpp — the one authenticated cipher fauth seals with: AES-256-GCM, a
// random 96-bit IV, base64url(IV, ciphertext, tag). Sign-in states and hints (oidc), TOTP secrets
// at rest (auth).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fauth {

/// A 256-bit key.
using AeadKey = std::array<unsigned char, 32>;

/// The key for `label` under `secret`: HMAC-SHA-256 of the label, so that one secret serves
/// several purposes (signing tokens among them) without one passing for another.
AeadKey aead_key(std::string_view secret, std::string_view label);

/// `plain` sealed under `key` with associated data `aad`: base64url(IV, ciphertext, tag).
/// Throws std::runtime_error if OpenSSL fails.
std::string aead_seal(const AeadKey& key, std::string_view aad, std::string_view plain);

/// What aead_seal sealed under `key` with `aad`, or nothing: over `max_sealed` bytes, malformed,
/// another key or associated data, or any byte changed.
std::optional<std::string> aead_open(const AeadKey& key, std::string_view aad, std::string_view sealed, std::size_t max_sealed);

}  // namespace fauth
