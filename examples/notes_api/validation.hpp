// examples/notes_api/validation.hpp — what the notes API accepts in request bodies.
#pragma once

#include <cstddef>
#include <string>

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
/// What is wrong with a registration body {"email", "password"}, or "" when nothing is.
std::string registration_problem(const nlohmann::json& body);
/// What is wrong with member `name` of `body` as a new password, or "" when nothing is.
std::string password_problem(const nlohmann::json& body, const std::string& name = "password");
/// What is wrong with member `name` of `body` as an e-mail address, or "" when nothing is.
std::string email_problem(const nlohmann::json& body, const std::string& name = "email");
/// What is wrong with a note body {"title", "body"?}, or "" when nothing is.
std::string note_problem(const nlohmann::json& body);

}  // namespace notes
