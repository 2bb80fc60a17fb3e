#include "fauth/core/api_key.hpp"

#include "fauth/core/base64url.hpp"
#include "fauth/core/internal/digest.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/internal/random.hpp"

namespace fauth {
namespace {

constexpr std::size_t kIdBytes = 8;       // 16 hex characters
constexpr std::size_t kSecretBytes = 32;  // 256 bits
constexpr std::size_t kIdChars = kIdBytes * 2;
constexpr std::size_t kSecretChars = 43;  // base64url of 32 bytes, unpadded

bool is_lower_alnum(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_hex(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_base64url(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

void validate_api_key_prefix(std::string_view prefix) {
    bool usable = !prefix.empty() && prefix.size() <= 16;
    for (const char c : prefix) usable = usable && is_lower_alnum(c);
    if (!usable) throw ConfigError("API key prefix must be 1 to 16 lower-case letters and digits");
}

NewApiKey generate_api_key(std::string_view prefix) {
    validate_api_key_prefix(prefix);
    NewApiKey made;
    made.id = random_hex(kIdBytes);
    made.key.reserve(prefix.size() + 2 + kIdChars + kSecretChars);
    made.key.append(prefix).append("_").append(made.id).append("_");
    base64url_encode(random_bytes(kSecretBytes), made.key);
    made.hash = api_key_hash(made.key);
    return made;
}

std::optional<std::string_view> api_key_id(std::string_view key, std::string_view prefix) noexcept {
    if (key.size() != prefix.size() + 2 + kIdChars + kSecretChars || key.substr(0, prefix.size()) != prefix ||
        key[prefix.size()] != '_' || key[prefix.size() + 1 + kIdChars] != '_')
        return std::nullopt;
    const auto id = key.substr(prefix.size() + 1, kIdChars);
    for (const char c : id)
        if (!is_hex(c)) return std::nullopt;
    for (const char c : key.substr(prefix.size() + 2 + kIdChars))
        if (!is_base64url(c)) return std::nullopt;
    return id;
}

std::string api_key_hash(std::string_view key) { return sha256_hex(key); }

bool api_key_matches(std::string_view key, std::string_view stored_hash) {
    return equal_in_constant_time(api_key_hash(key), stored_hash);
}

}  // namespace fauth
