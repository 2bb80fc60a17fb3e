#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <iterator>

// The CLI reuses fauth's own strict decoder rather than a second copy of base64url.
#include <fauth/core/base64url.hpp>
#include <fauth/core/keys.hpp>
#include <fauth/core/token.hpp>

#include "args.hpp"
#include "commands.hpp"

namespace fauth::cli {
namespace {

std::string describe_seconds(std::int64_t s) {
    if (s < 120) return std::to_string(s) + "s";
    if (s < 7200) return std::to_string(s / 60) + "m";
    if (s < 172800) return std::to_string(s / 3600) + "h";
    return std::to_string(s / 86400) + "d";
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The one token on standard input (one line at a terminal, after a prompt), without surrounding
// white space; UsageError when there is none or more than one.
std::string read_token(Io io) {
    std::string text;
    if (io.interactive) {
        io.err << "Token: " << std::flush;
        std::getline(io.in, text);
    } else {
        text.assign(std::istreambuf_iterator<char>(io.in), std::istreambuf_iterator<char>());
    }
    const auto first = std::find_if_not(text.begin(), text.end(), is_space);
    const auto last = std::find_if_not(text.rbegin(), text.rend(), is_space).base();
    if (first >= last) throw UsageError("no token on standard input: pipe one in, e.g. printf '%s' \"$TOKEN\" | fauth decode");
    std::string token(first, last);
    if (std::any_of(token.begin(), token.end(), is_space)) throw UsageError("standard input holds more than one token; give one");
    return token;
}

}  // namespace

int decode_command(const std::vector<std::string>& argv, Io io) {
    constexpr const char* kUsage =
        "usage: fauth decode < TOKEN_FILE    (or: printf '%s' \"$TOKEN\" | fauth decode)\n"
        "  Reads one token from standard input (on a terminal, from a prompt), prints its header\n"
        "  and claims, says whether its signature verifies with FAUTH_SECRET_KEY (HS256/384/512)\n"
        "  and whether it has expired. Tokens are never taken from the command line, where the\n"
        "  shell history and other users (ps) could see them. Exit code 0 only when it verifies\n"
        "  and has not expired; 1 otherwise.\n";
    const Args args(argv, {}, {}, 1);
    if (args.help()) return io.out << kUsage, 0;
    if (!args.positional().empty())
        throw UsageError(
            "tokens are never read from the command line (shell history and ps show them): pipe the token to "
            "standard input, e.g. printf '%s' \"$TOKEN\" | fauth decode");
    const auto token = read_token(io);
    const auto d1 = token.find('.');
    const auto d2 = d1 == std::string::npos ? d1 : token.find('.', d1 + 1);
    if (d2 == std::string::npos || token.find('.', d2 + 1) != std::string::npos) {
        io.err << "fauth decode: not a JWS compact token (three dot-separated parts)\n";
        return 1;
    }
    std::string header_text, claims_text, signature;
    if (!base64url_decode(token.substr(0, d1), header_text) ||
        !base64url_decode(token.substr(d1 + 1, d2 - d1 - 1), claims_text) || !base64url_decode(token.substr(d2 + 1), signature)) {
        io.err << "fauth decode: a part is not base64url\n";
        return 1;
    }
    const auto header = nlohmann::json::parse(header_text, nullptr, false);
    const auto claims = nlohmann::json::parse(claims_text, nullptr, false);
    if (!header.is_object() || !claims.is_object()) {
        io.err << "fauth decode: the header or the claims are not a JSON object\n";
        return 1;
    }
    io.out << "header: " << header.dump(2) << "\nclaims: " << claims.dump(2) << "\n";

    bool ok = true;
    const char* secret = std::getenv("FAUTH_SECRET_KEY");
    const std::string alg = header.value("alg", "");
    if (secret == nullptr || *secret == '\0') {
        io.out << "signature: not checked (FAUTH_SECRET_KEY is not set)\n";
        ok = false;
    } else {
        try {
            const auto key = Key::hmac(alg, secret);
            const bool valid = key.verify(token.substr(0, d2), signature);
            io.out << "signature: " << (valid ? "valid" : "INVALID") << " (" << alg << ")\n";
            ok = ok && valid;
        } catch (const ConfigError& e) {
            io.out << "signature: cannot check: " << e.what() << "\n";
            ok = false;
        }
    }
    const auto now = unix_seconds();
    if (!claims.contains("exp") || !claims["exp"].is_number()) {
        io.out << "expiry: none (fauth refuses tokens without exp)\n";
        ok = false;
    } else {
        const auto exp = claims["exp"].get<std::int64_t>();
        if (exp > now)
            io.out << "expiry: valid for another " << describe_seconds(exp - now) << "\n";
        else
            io.out << "expiry: EXPIRED " << describe_seconds(now - exp) << " ago\n";
        ok = ok && exp > now;
    }
    return ok ? 0 : 1;
}

}  // namespace fauth::cli
