#include <cstdlib>
#include <iostream>

#include <fauth/core/token.hpp>

#include "args.hpp"
#include "commands.hpp"

namespace fauth::cli {

int mint_command(const std::vector<std::string>& argv, Io io) {
    constexpr const char* kUsage =
        "usage: fauth mint --sub ID [--role R]... [--scope S]... [--ttl 15m] [--type access|refresh]\n"
        "                  [--iss ISSUER] [--aud AUDIENCE]\n"
        "  Prints an HS256 token signed with FAUTH_SECRET_KEY (at least 32 bytes), for local testing:\n"
        "  the same claims fauth issues (sub, exp, iat, jti, token_type, scopes if any), roles as a `roles`\n"
        "  claim. --ttl: s, m, h or d (default: 15m for access, 7d for refresh tokens).\n";
    const Args args(argv, {"sub", "role", "scope", "ttl", "type", "iss", "aud"}, {"role", "scope"}, 0);
    if (args.help()) return io.out << kUsage, 0;
    const auto sub = args.required("sub");
    const auto type_name = args.get("type").value_or("access");
    const auto type = token_type_from_string(type_name);
    if (!type || (*type != TokenType::access && *type != TokenType::refresh))
        throw UsageError("--type must be access or refresh");
    const char* secret = std::getenv("FAUTH_SECRET_KEY");
    if (secret == nullptr || *secret == '\0') {
        io.err << "fauth mint: set FAUTH_SECRET_KEY to the service's secret key\n";
        return 1;
    }
    TokenConfig config;
    config.secret_key = secret;
    if (const auto ttl = args.get("ttl")) {
        (*type == TokenType::access ? config.access_token_ttl : config.refresh_token_ttl) = parse_duration(*ttl);
    }
    config.issuer = args.get("iss");
    config.audience = args.get("aud");
    nlohmann::json extra = nlohmann::json::object();
    if (const auto roles = args.all("role"); !roles.empty()) extra["roles"] = roles;
    try {
        const TokenCodec codec(config);
        auto payload = codec.make_payload(*type, sub, args.all("scope"), extra);
        payload.family = random_token_id();
        io.out << codec.sign(payload) << "\n";
    } catch (const ConfigError& e) {
        io.err << "fauth mint: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace fauth::cli
