#include "validation.hpp"

#include <algorithm>

namespace notes {

std::string canonical_email(std::string_view email) {
    std::string folded(email);
    for (auto& c : folded)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');  // ASCII only, never by locale
    return folded;
}

bool is_valid_email(const std::string& email) {
    if (email.size() < 3 || email.size() > 254) return false;
    if (!std::all_of(email.begin(), email.end(), [](char c) { return c > 0x20 && c < 0x7f; })) return false;
    const auto at = email.find('@');
    if (at == std::string::npos || at == 0 || at > 64 || email.find('@', at + 1) != std::string::npos) return false;
    const auto domain = email.substr(at + 1);
    const auto dot = domain.find('.');
    return dot != std::string::npos && dot > 0 && domain.back() != '.' && domain.find("..") == std::string::npos &&
           email.front() != '.' && email[at - 1] != '.';
}

std::string email_problem(const nlohmann::json& body, const std::string& name) {
    const auto email = body.find(name);
    if (email == body.end() || !email->is_string()) return name + " is required";
    if (!is_valid_email(email->get<std::string>())) return name + " is not a valid address";
    return "";
}

std::string password_problem(const nlohmann::json& body, const std::string& name) {
    const auto password = body.find(name);
    if (password == body.end() || !password->is_string()) return name + " is required";
    const auto size = password->get_ref<const std::string&>().size();
    if (size == 0) return name + " must not be empty";
    if (size < kMinPasswordBytes) return name + " must be at least 8 characters";
    if (size > kMaxPasswordBytes) return name + " is too long";
    return "";
}

std::string registration_problem(const nlohmann::json& body) {
    if (auto problem = email_problem(body); !problem.empty()) return problem;
    return password_problem(body);
}

std::string note_problem(const nlohmann::json& body) {
    const auto title = body.find("title");
    if (title == body.end() || !title->is_string() || title->get_ref<const std::string&>().empty()) return "title is required";
    if (title->get_ref<const std::string&>().size() > 200) return "title is too long (200 bytes at most)";
    if (const auto text = body.find("body"); text != body.end() && !text->is_string()) return "body must be a string";
    return "";
}

bool is_key_scope(const std::string& scope) { return std::find(kKeyScopes.begin(), kKeyScopes.end(), scope) != kKeyScopes.end(); }

namespace {
// What a key's name must be, said by the API and notes-admin.
std::string key_name_rule() { return "name must be a string of 1 to " + std::to_string(kMaxKeyNameBytes) + " bytes"; }
}  // namespace

std::string key_name_problem(const std::string& name) {
    if (name.empty() || name.size() > kMaxKeyNameBytes) return key_name_rule();
    if (!std::all_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; }))
        return "name must not hold control characters";
    return "";
}

std::string api_key_problem(const nlohmann::json& body) {
    const auto name = body.find("name");
    if (name == body.end() || !name->is_string()) return key_name_rule();
    if (auto problem = key_name_problem(name->get_ref<const std::string&>()); !problem.empty()) return problem;
    const auto scopes = body.find("scopes");
    const auto bad_scope = [](const nlohmann::json& s) {
        return !s.is_string() || !is_key_scope(s.get_ref<const std::string&>());
    };
    if (scopes == body.end() || !scopes->is_array() || scopes->empty() || scopes->size() > kKeyScopes.size() ||
        std::any_of(scopes->begin(), scopes->end(), bad_scope))
        return "scopes must be a list of notes:read, notes:write or notes:*";
    if (const auto days = body.find("expires_in_days"); days != body.end() && !days->is_null()) {
        if (!days->is_number_integer() || days->get<std::int64_t>() < 1 || days->get<std::int64_t>() > kMaxKeyDays)
            return "expires_in_days must be a whole number from 1 to " + std::to_string(kMaxKeyDays);
    }
    return "";
}

}  // namespace notes
