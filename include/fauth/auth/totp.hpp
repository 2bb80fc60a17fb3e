/// @file
/// fauth/auth/totp.hpp — one-time passwords from an authenticator app (TOTP, RFC 6238, over HOTP,
/// RFC 4226), the otpauth:// URI and QR code that enrol the app, and single-use recovery codes.
/// Pure functions: no clock, no store, no HTTP. The caller keeps the secret (sealed), remembers the
/// last step it accepted (so that a code is never accepted twice) and keeps only the digests of
/// recovery codes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Time-based one-time passwords (RFC 6238), their enrolment and recovery codes.
namespace fauth::totp {

/// The HMAC the codes are computed with (RFC 6238 section 1.2). Authenticator apps all support SHA1;
/// many ignore the others.
enum class Algorithm {
    sha1,    ///< HMAC-SHA-1, the default and the one every app supports
    sha256,  ///< HMAC-SHA-256
    sha512,  ///< HMAC-SHA-512
};

/// What a secret's codes look like; the defaults are what every authenticator app expects.
struct Parameters {
    /// The HMAC.
    Algorithm algorithm = Algorithm::sha1;
    /// Digits per code: 6 to 8.
    int digits = 6;
    /// How long each code lasts (RFC 6238's X): 15 to 300 seconds.
    std::chrono::seconds period{30};
};

/// Throws fauth::ConfigError unless `parameters.digits` is 6 to 8 and `parameters.period` is 15 to
/// 300 seconds. Every function below that takes Parameters calls it first.
void validate(const Parameters& parameters);

/// A new secret: 20 random bytes (160 bits, as RFC 4226 section 4 recommends), as raw bytes.
std::string new_secret();

/// `bytes` in base32 (RFC 4648 section 6): upper case, without padding, as authenticator apps take it.
std::string to_base32(std::string_view bytes);

/// The bytes `text` encodes in base32: letters of either case, optional trailing '=' padding (the
/// right amount when any), spaces anywhere ignored. Nothing for any other character, a length no
/// base32 text has, or a tail whose unused bits are not zero (each byte string has one encoding).
std::optional<std::string> from_base32(std::string_view text);

/// The time step `unix_seconds` falls in: floor(unix_seconds / period), also before 1970.
std::int64_t step_at(std::int64_t unix_seconds, const Parameters& parameters);

/// The code of `secret` (raw bytes) at time step `step`: HOTP (RFC 4226 section 5.3, the counter
/// being the step) with the dynamic truncation, `digits` decimal digits zero-padded on the left.
std::string code_at(std::string_view secret, std::int64_t step, const Parameters& parameters);

/// The step within `window` steps of now's whose code is `code`, preferring now's step, then the
/// earlier ones (nearest first), then the later ones (nearest first). Every candidate is computed
/// and compared in constant time, whatever matches. Nothing when none matches, when `code` is not
/// exactly `digits` ASCII digits, or when `window` is outside 0 to 10. The caller refuses a step
/// not later than the last one it accepted (RFC 6238 section 5.2: a code is used once).
std::optional<std::int64_t> match(std::string_view secret, std::string_view code, std::int64_t now, const Parameters& parameters,
                                  int window = 1);

/// The otpauth:// URI that enrols `secret` (raw bytes) in an authenticator app (Google's Key Uri
/// Format): `otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30`,
/// issuer and account percent-encoded (all but RFC 3986's unreserved characters). Throws
/// fauth::ConfigError (a std::invalid_argument) when `issuer` or `account` is empty or holds a ':',
/// or the parameters are invalid.
std::string uri(std::string_view issuer, std::string_view account, std::string_view secret, const Parameters& parameters);

/// `text` (say, a uri()) as a QR code (ECC level M, the smallest version that holds it, bytes
/// mode) in a standalone SVG image: a white background, a 4-module quiet zone, one black `path` element of
/// the dark modules, the viewBox in modules (the symbol's width + 8), shape-rendering crispEdges.
/// Throws std::invalid_argument when `text` is empty or too long for a QR code.
std::string qr_svg(std::string_view text);

/// `count` new recovery codes, all different, each 16 random characters of
/// "23456789abcdefghjkmnpqrstuvwxyz" (no 0/o, 1/l/i: 31 symbols, so about 79.3 bits) grouped as
/// "xxxx-xxxx-xxxx-xxxx". Show them once; keep only their recovery_code_digest().
std::vector<std::string> new_recovery_codes(std::size_t count = 10);

/// A recovery code as typed, normalised: ASCII letters lower-cased, '-' and spaces dropped. Empty
/// when what is left is not 16 characters of the recovery code alphabet.
std::string normalise_recovery_code(std::string_view typed);

/// What to store for a recovery code and compare with: "sha256:" and the SHA-256 (lower-case hex)
/// of the normalised code. Empty for a code that does not normalise.
std::string recovery_code_digest(std::string_view typed);

}  // namespace fauth::totp
