/// @file
/// fauth/core/password.hpp — bcrypt password hashing on libxcrypt ($2b$), with a documented pre-hash
/// for passwords bcrypt cannot take whole.
///
/// bcrypt reads at most 72 bytes and stops at a NUL byte, so "a"*72 + "x" and "a"*72 + "y", or
/// "pw\0a" and "pw\0b", would be the same password. fauth never lets that happen: a password of
/// more than 72 bytes, or one containing a NUL byte, is first replaced by
///     base64(HMAC-SHA256(key = "fauth-bcrypt-prehash-v1", password))     (44 ASCII characters)
/// and that string is what bcrypt hashes. Every other password is given to bcrypt unchanged, so
/// hashes of ordinary passwords stay interchangeable with other bcrypt implementations.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fauth {

/// Default bcrypt cost (2^12 rounds, about a quarter of a second on a current core).
inline constexpr int kDefaultBcryptCost = 12;

/// A new `$2b$` bcrypt hash of `password` with a random salt from the system CSPRNG.
/// Throws std::invalid_argument for a cost outside 4..31, std::runtime_error if libxcrypt fails.
std::string hash_password(std::string_view password, int cost = kDefaultBcryptCost);

/// True when `password` matches `stored_hash`, compared in constant time. False, never a throw,
/// for a wrong password and for a stored hash that is not a well-formed bcrypt hash.
bool verify_password(std::string_view password, std::string_view stored_hash) noexcept;

/// True when `stored_hash` should be replaced: not a `$2b$` bcrypt hash, or a cost below `cost`.
bool needs_rehash(std::string_view stored_hash, int cost = kDefaultBcryptCost) noexcept;

/// The cost of a bcrypt hash (`$2a$`, `$2b$` or `$2y$`, 60 characters), or nothing if it is not one.
std::optional<int> bcrypt_cost(std::string_view stored_hash) noexcept;

}  // namespace fauth
