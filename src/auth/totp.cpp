// TOTP (RFC 6238) over HOTP (RFC 4226), base32 (RFC 4648), otpauth:// URIs, QR codes through
// libqrencode, and recovery codes.
#include "fauth/auth/totp.hpp"

#include <cerrno>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <qrencode.h>

#include "fauth/core/errors.hpp"
#include "fauth/core/internal/ascii.hpp"
#include "fauth/core/internal/digest.hpp"
#include "fauth/core/internal/random.hpp"

namespace fauth::totp {
namespace {

constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
// Recovery codes: lower-case letters and digits but 0/o, 1/l/i, which are read one for another.
constexpr std::string_view kRecoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz";
constexpr std::size_t kRecoveryLength = 16;
constexpr int kMaxWindow = 10;

static_assert(kRecoveryAlphabet.size() == 31);

// The value of a base32 character of either case, or -1.
int base32_value(char c) noexcept {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= '2' && c <= '7') return c - '2' + 26;
    return -1;
}

const EVP_MD* digest_of(Algorithm algorithm) {
    switch (algorithm) {
        case Algorithm::sha1: return EVP_sha1();
        case Algorithm::sha256: return EVP_sha256();
        case Algorithm::sha512: return EVP_sha512();
    }
    throw ConfigError("totp: unknown algorithm");
}

std::string_view algorithm_name(Algorithm algorithm) {
    switch (algorithm) {
        case Algorithm::sha1: return "SHA1";
        case Algorithm::sha256: return "SHA256";
        case Algorithm::sha512: return "SHA512";
    }
    throw ConfigError("totp: unknown algorithm");
}

// HOTP (RFC 4226 section 5.3) of an already validated `parameters`.
std::string hotp(std::string_view secret, std::uint64_t counter, const Parameters& parameters) {
    unsigned char message[8];
    for (int i = 7; i >= 0; --i) {
        message[i] = static_cast<unsigned char>(counter & 0xff);
        counter >>= 8;
    }
    // HMAC() wants a key pointer even for an empty key.
    static constexpr unsigned char kNoKey = 0;
    const void* key = secret.empty() ? static_cast<const void*>(&kNoKey) : static_cast<const void*>(secret.data());
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_size = 0;
    if (HMAC(digest_of(parameters.algorithm), key, static_cast<int>(secret.size()), message, sizeof message, mac, &mac_size) ==
            nullptr ||
        mac_size < 20)
        throw std::runtime_error("totp: HMAC failed");
    // Dynamic truncation: the low 4 bits of the last byte say where the 31-bit value starts.
    const unsigned offset = mac[mac_size - 1] & 0x0f;
    const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                                 (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                                 (static_cast<std::uint32_t>(mac[offset + 2]) << 8) | static_cast<std::uint32_t>(mac[offset + 3]);
    OPENSSL_cleanse(mac, sizeof mac);
    std::uint32_t modulus = 1;
    for (int i = 0; i < parameters.digits; ++i) modulus *= 10;
    std::uint32_t value = binary % modulus;
    std::string code(static_cast<std::size_t>(parameters.digits), '0');
    for (auto it = code.rbegin(); it != code.rend(); ++it) {
        *it = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    return code;
}

bool unreserved(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

// `text` with every byte but RFC 3986's unreserved characters as %XX (upper-case hex).
std::string percent_encoded(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (unreserved(c)) {
            out += c;
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out += '%';
            out += kHex[byte >> 4];
            out += kHex[byte & 0x0f];
        }
    }
    return out;
}

void check_label_part(std::string_view value, std::string_view name) {
    if (value.empty()) throw ConfigError("totp::uri: the " + std::string(name) + " is empty");
    if (name == "issuer" && value.find(':') != std::string_view::npos)
        throw ConfigError("totp::uri: the " + std::string(name) + " holds a ':', which separates issuer and account");
}

// One random recovery code, ungrouped: each character drawn uniformly (bytes of 248 or more are
// drawn again, so that byte % 31 favours no symbol).
std::string random_recovery_code() {
    std::string code;
    code.reserve(kRecoveryLength);
    while (code.size() < kRecoveryLength) {
        for (const char c : random_bytes(kRecoveryLength)) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte >= 248) continue;
            code += kRecoveryAlphabet[byte % kRecoveryAlphabet.size()];
            if (code.size() == kRecoveryLength) break;
        }
    }
    return code;
}

struct QrFree {
    void operator()(QRcode* code) const noexcept { QRcode_free(code); }
};

}  // namespace

void validate(const Parameters& parameters) {
    if (parameters.digits < 6 || parameters.digits > 8)
        throw ConfigError("totp: digits must be 6 to 8, not " + std::to_string(parameters.digits));
    if (parameters.period < std::chrono::seconds(15) || parameters.period > std::chrono::seconds(300))
        throw ConfigError("totp: period must be 15 to 300 seconds, not " + std::to_string(parameters.period.count()));
    (void)digest_of(parameters.algorithm);
}

std::string new_secret() { return random_bytes(20); }

std::string to_base32(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 8 + 4) / 5);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : bytes) {
        buffer = (buffer << 8) | static_cast<unsigned char>(c);
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out += kBase32[(buffer >> bits) & 0x1f];
        }
    }
    if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 0x1f];
    return out;
}

std::optional<std::string> from_base32(std::string_view text) {
    std::string out;
    out.reserve(text.size() * 5 / 8);
    std::uint32_t buffer = 0;
    int bits = 0;
    std::size_t symbols = 0;
    std::size_t padding = 0;
    for (const char c : text) {
        if (c == ' ') continue;
        if (c == '=') {
            ++padding;
            continue;
        }
        if (padding > 0) return std::nullopt;  // data after padding
        const int value = base32_value(c);
        if (value < 0) return std::nullopt;
        ++symbols;
        buffer = (buffer << 5) | static_cast<std::uint32_t>(value);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    // A final block of 2, 4, 5 or 7 symbols encodes 1 to 4 bytes; 1, 3 or 6 encode none.
    const std::size_t tail = symbols % 8;
    if (tail == 1 || tail == 3 || tail == 6) return std::nullopt;
    if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;  // unused bits set
    if (padding > 0 && (tail == 0 || tail + padding != 8)) return std::nullopt;
    return out;
}

std::int64_t step_at(std::int64_t unix_seconds, const Parameters& parameters) {
    validate(parameters);
    const std::int64_t period = parameters.period.count();
    std::int64_t step = unix_seconds / period;
    if (unix_seconds % period < 0) --step;  // floor, not truncation, before 1970
    return step;
}

std::string code_at(std::string_view secret, std::int64_t step, const Parameters& parameters) {
    validate(parameters);
    return hotp(secret, static_cast<std::uint64_t>(step), parameters);
}

std::optional<std::int64_t> match(std::string_view secret, std::string_view code, std::int64_t now, const Parameters& parameters,
                                  int window) {
    validate(parameters);
    if (window < 0 || window > kMaxWindow) return std::nullopt;
    if (code.size() != static_cast<std::size_t>(parameters.digits)) return std::nullopt;
    for (const char c : code)
        if (c < '0' || c > '9') return std::nullopt;
    const std::int64_t current = step_at(now, parameters);
    // Candidates in order of preference: now, earlier (nearest first), later (nearest first).
    // Every one is computed and compared; the first that matches is kept without a branch on it.
    std::uint64_t found = 0;
    std::uint64_t chosen = 0;
    for (int i = 0; i <= 2 * window; ++i) {
        const std::int64_t offset = i == 0 ? 0 : (i <= window ? -i : i - window);
        const std::int64_t step = current + offset;
        const std::string candidate = hotp(secret, static_cast<std::uint64_t>(step), parameters);
        const auto equal = static_cast<std::uint64_t>(equal_in_constant_time(candidate, code));
        const std::uint64_t take = 0 - (equal & (found ^ 1));  // all ones when first match
        chosen = (chosen & ~take) | (static_cast<std::uint64_t>(step) & take);
        found |= equal;
    }
    if (found == 0) return std::nullopt;
    return static_cast<std::int64_t>(chosen);
}

std::string uri(std::string_view issuer, std::string_view account, std::string_view secret, const Parameters& parameters) {
    validate(parameters);
    check_label_part(issuer, "issuer");
    check_label_part(account, "account");
    const std::string encoded_issuer = percent_encoded(issuer);
    std::string out = "otpauth://totp/" + encoded_issuer + ":" + percent_encoded(account);
    out += "?secret=" + to_base32(secret);
    out += "&issuer=" + encoded_issuer;
    out += "&algorithm=" + std::string(algorithm_name(parameters.algorithm));
    out += "&digits=" + std::to_string(parameters.digits);
    out += "&period=" + std::to_string(parameters.period.count());
    return out;
}

std::string qr_svg(std::string_view text) {
    if (text.empty()) throw std::invalid_argument("totp::qr_svg: empty text");
    if (text.size() > 8000) throw std::invalid_argument("totp::qr_svg: text too long for a QR code");
    errno = 0;
    const std::unique_ptr<QRcode, QrFree> code(
        QRcode_encodeData(static_cast<int>(text.size()), reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M));
    if (!code) {
        if (errno == ENOMEM) throw std::bad_alloc();
        if (errno == ERANGE) throw std::invalid_argument("totp::qr_svg: text too long for a QR code");
        throw std::runtime_error("totp::qr_svg: libqrencode failed");
    }
    constexpr int kQuiet = 4;
    const int width = code->width;
    const int size = width + 2 * kQuiet;
    const std::string n = std::to_string(size);
    std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + n + " " + n + "\" width=\"" +
                      std::to_string(size * 8) + "\" height=\"" + std::to_string(size * 8) +
                      "\" shape-rendering=\"crispEdges\"><rect width=\"" + n + "\" height=\"" + n +
                      "\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
    // One subpath per horizontal run of dark modules (bit 0 of each byte: dark).
    for (int y = 0; y < width; ++y) {
        const unsigned char* row = code->data + static_cast<std::size_t>(y) * static_cast<std::size_t>(width);
        for (int x = 0; x < width;) {
            if ((row[x] & 1) == 0) {
                ++x;
                continue;
            }
            int run = 1;
            while (x + run < width && (row[x + run] & 1) != 0) ++run;
            out.push_back('M');
            out.append(std::to_string(x + kQuiet)).push_back(' ');
            out.append(std::to_string(y + kQuiet)).push_back('h');
            out.append(std::to_string(run)).append("v1h-").append(std::to_string(run)).push_back('z');
            x += run;
        }
    }
    out += "\"/></svg>\n";
    return out;
}

std::vector<std::string> new_recovery_codes(std::size_t count) {
    std::vector<std::string> codes;
    codes.reserve(count);
    while (codes.size() < count) {
        const std::string raw = random_recovery_code();
        std::string code = raw.substr(0, 4) + "-" + raw.substr(4, 4) + "-" + raw.substr(8, 4) + "-" + raw.substr(12, 4);
        bool repeated = false;
        for (const auto& other : codes) repeated = repeated || other == code;
        if (!repeated) codes.push_back(std::move(code));
    }
    return codes;
}

std::string normalise_recovery_code(std::string_view typed) {
    std::string code;
    code.reserve(kRecoveryLength);
    for (const char c : typed) {
        if (c == '-' || c == ' ') continue;
        const char lower = ascii_lower(c);
        if (kRecoveryAlphabet.find(lower) == std::string_view::npos) return {};
        if (code.size() == kRecoveryLength) return {};
        code += lower;
    }
    if (code.size() != kRecoveryLength) return {};
    return code;
}

std::string recovery_code_digest(std::string_view typed) {
    const std::string code = normalise_recovery_code(typed);
    if (code.empty()) return {};
    return "sha256:" + sha256_hex(code);
}

}  // namespace fauth::totp
