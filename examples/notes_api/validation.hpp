// examples/notes_api/validation.hpp — what the notes API accepts in request bodies.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace notes {

/// Largest JSON body the notes routes read.
inline constexpr std::size_t kMaxBodyBytes = 16 * 1024;
/// Password length limits, in bytes (longer ones are fine for bcrypt: fauth pre-hashes them).
inline constexpr std::size_t kMinPasswordBytes = 8;
inline constexpr std::size_t kMaxPasswordBytes = 1024;

/// True for a plausible email address: one @, a non-empty local part of at most 64 bytes, a
/// dotted domain, printable ASCII without spaces, at most 254 bytes in all.
bool is_valid_email(const std::string& email);
/// The one form an address is stored, looked up, throttled and mailed in: the whole address with
/// its ASCII letters in lower case (the store compares addresses case-insensitively, so
/// "Ann@Example.com" and "ann@example.com" are one account, and this is its one spelling).
std::string canonical_email(std::string_view email);
/// What is wrong with a registration body {"email", "password"}, or "" when nothing is.
std::string registration_problem(const nlohmann::json& body);
/// What is wrong with member `name` of `body` as a new password, or "" when nothing is.
std::string password_problem(const nlohmann::json& body, const std::string& name = "password");
/// What is wrong with member `name` of `body` as an e-mail address, or "" when nothing is.
std::string email_problem(const nlohmann::json& body, const std::string& name = "email");
/// What is wrong with a note body {"title", "body"?}, or "" when nothing is.
std::string note_problem(const nlohmann::json& body);

/// The prefix of the notes API's keys ("notes_<id>_<secret>"), so that a leaked one is found.
inline constexpr const char* kApiKeyPrefix = "notes";
/// Longest API key name, in bytes; longest life a key may be given, in days.
inline constexpr std::size_t kMaxKeyNameBytes = 64;
inline constexpr int kMaxKeyDays = 3650;
/// Most keys one user may hold that are neither revoked nor expired.
inline constexpr int kMaxLiveKeys = 20;
/// The scopes a key may carry: notes:read, notes:write, or notes:* (both).
inline constexpr std::array<std::string_view, 3> kKeyScopes = {"notes:read", "notes:write", "notes:*"};
/// True for one of kKeyScopes.
bool is_key_scope(const std::string& scope);
/// What is wrong with an API key's name, or "" when nothing is.
std::string key_name_problem(const std::string& name);
/// What is wrong with a new key body {"name", "scopes", "expires_in_days"?}, or "" when nothing is.
std::string api_key_problem(const nlohmann::json& body);

}  // namespace notes
