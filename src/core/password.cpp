#include "fauth/core/password.hpp"

#include <crypt.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace fauth {
namespace {

constexpr std::size_t kBcryptMaxBytes = 72;
constexpr std::size_t kBcryptHashLength = 60;  // "$2b$" + "NN$" + 22 salt + 31 hash characters
constexpr char kPrehashKey[] = "fauth-bcrypt-prehash-v1";

// The bytes bcrypt is given for `password` (see password.hpp).
std::string bcrypt_input(std::string_view password) {
    if (password.size() <= kBcryptMaxBytes && password.find('\0') == std::string_view::npos) return std::string(password);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha256(), kPrehashKey, sizeof kPrehashKey - 1, reinterpret_cast<const unsigned char*>(password.data()),
             password.size(), mac, &mac_len) == nullptr)
        throw std::runtime_error("OpenSSL HMAC failed while pre-hashing a password");
    std::string out(4 * ((mac_len + 2) / 3), '\0');
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(mac_len));
    OPENSSL_cleanse(mac, sizeof mac);
    return out;
}

// Wipes and frees crypt_data (about 32 KiB: too large for small thread stacks).
struct CryptData {
    crypt_data data{};
    ~CryptData() { OPENSSL_cleanse(&data, sizeof data); }
};

// Wipes a std::string that held secret material before it is released.
struct Wipe {
    std::string& s;
    ~Wipe() { OPENSSL_cleanse(s.data(), s.size()); }
};

bool is_bcrypt_prefix(std::string_view h) noexcept {
    return h.size() >= 7 && h[0] == '$' && h[1] == '2' && (h[2] == 'a' || h[2] == 'b' || h[2] == 'y') && h[3] == '$' &&
           h[6] == '$';
}

}  // namespace

std::optional<int> bcrypt_cost(std::string_view stored_hash) noexcept {
    if (stored_hash.size() != kBcryptHashLength || !is_bcrypt_prefix(stored_hash)) return std::nullopt;
    const char d1 = stored_hash[4], d2 = stored_hash[5];
    if (d1 < '0' || d1 > '9' || d2 < '0' || d2 > '9') return std::nullopt;
    const int cost = (d1 - '0') * 10 + (d2 - '0');
    if (cost < 4 || cost > 31) return std::nullopt;
    return cost;
}

std::string hash_password(std::string_view password, int cost) {
    if (cost < 4 || cost > 31) throw std::invalid_argument("fauth: bcrypt cost must be between 4 and 31");
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    // A null random buffer makes libxcrypt draw the salt from the system CSPRNG (getentropy).
    if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, setting, sizeof setting) == nullptr ||
        setting[0] == '*')
        throw std::runtime_error("libxcrypt: crypt_gensalt_rn failed");
    std::string input = bcrypt_input(password);
    Wipe wipe_input{input};
    auto data = std::make_unique<CryptData>();
    const char* hashed = crypt_rn(input.c_str(), setting, &data->data, sizeof data->data);
    if (hashed == nullptr || hashed[0] == '*') throw std::runtime_error("libxcrypt: crypt_rn failed");
    return std::string(hashed);
}

bool verify_password(std::string_view password, std::string_view stored_hash) noexcept {
    try {
        if (!bcrypt_cost(stored_hash) || stored_hash.size() != kBcryptHashLength) return false;
        const std::string setting(stored_hash);  // NUL-terminated, exactly as stored
        std::string input = bcrypt_input(password);
        Wipe wipe_input{input};
        auto data = std::make_unique<CryptData>();
        const char* hashed = crypt_rn(input.c_str(), setting.c_str(), &data->data, sizeof data->data);
        if (hashed == nullptr || hashed[0] == '*' || std::strlen(hashed) != stored_hash.size()) return false;
        return CRYPTO_memcmp(hashed, stored_hash.data(), stored_hash.size()) == 0;
    } catch (...) {
        return false;  // allocation failure: never a match
    }
}

bool needs_rehash(std::string_view stored_hash, int cost) noexcept {
    const auto current = bcrypt_cost(stored_hash);
    return !current || stored_hash.substr(0, 4) != "$2b$" || *current < cost;
}

}  // namespace fauth
