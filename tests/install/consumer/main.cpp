// Built against an installed fauth, through find_package(fauth) and through pkg-config.
#include <fauth/fauth.hpp>
#include <iostream>

int main() {
    fauth::AuthConfig config;
    config.tokens.secret_key = std::string(32, 'k');
    fauth::TokenCodec codec(config.tokens);
    const auto token = codec.issue(fauth::TokenType::access, "user-123");
    std::cout << codec.verify(token, fauth::TokenType::access).sub << "\n";
    return codec.verify(token, fauth::TokenType::access).sub == "user-123" ? 0 : 1;
}
