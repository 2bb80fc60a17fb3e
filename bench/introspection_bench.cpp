// An introspected (opaque) token answered from the introspection cache, beside FauthVerify (an
// HS256 JWT verified): Engine::verify as the request pipeline calls it, with the endpoint's answer
// cached (SHA-256 of the token, the LRU lookup, the payload copied, the times checked). The
// answer comes once from a loopback endpoint this file serves (one answer, then it closes).
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <thread>

#include "common.hpp"
#include "fauth/auth/engine.hpp"
#include "fauth/oidc/introspection.hpp"
#include "fauth/oidc/issuer.hpp"

namespace {
using namespace fauth::bench;

constexpr const char* kIssuer = "https://op.bench.example";
constexpr const char* kOpaque = "yJ3c9xq0W4mPz2Lb7KfA1nRt8sVe6GhUo5iDk3ZwXcQ";  // oidc-provider's shape: 43 characters

// Serves one RFC 7662 answer on a loopback port from `server`; returns the endpoint's URL.
std::string serve_one_answer(std::thread& server) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof a;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener, 1) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &n) != 0)
        throw std::runtime_error("bench: no loopback port");
    server = std::thread([listener] {
        const int c = ::accept(listener, nullptr, nullptr);
        char buffer[4096];
        std::string request;
        while (request.find("token=") == std::string::npos) {  // the form ends the request
            const auto got = ::read(c, buffer, sizeof buffer);
            if (got <= 0) break;
            request.append(buffer, static_cast<std::size_t>(got));
        }
        const std::string body = R"({"active":true,"sub":"user-123","client_id":"bench-client","iss":")" + std::string(kIssuer) +
                                 R"(","aud":"https://api.bench.example","scope":"read write","token_type":"Bearer","iat":)" +
                                 std::to_string(kIat) + R"(,"exp":)" + std::to_string(kExp) + "}";
        const std::string response =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body;
        (void)::write(c, response.data(), response.size());
        ::close(c);
        ::close(listener);
    });
    return "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/introspect";
}

const fauth::Engine& engine() {
    static const auto instance = [] {
        auto clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(kIat)); };
        auto trusted = fauth::TrustedIssuer::standard(kIssuer, "https://api.bench.example", std::make_shared<fauth::KeyRing>());
        std::thread server;
        trusted.introspection =
            std::make_shared<fauth::oidc::Introspection>(fauth::oidc::IntrospectionOptions{.endpoint = serve_one_answer(server),
                                                                                           .client_id = "bench-client",
                                                                                           .client_secret = "bench-secret",
                                                                                           .clock = clock});
        fauth::AuthConfig config;
        config.tokens.issuers = {trusted};
        config.tokens.clock = clock;
        auto e = std::make_unique<fauth::Engine>(config);
        // The first verify asks the endpoint; wait for its answer to be cached.
        (void)e->verify(kOpaque, fauth::TokenType::access);
        for (int i = 0; i < 500 && !e->verify(kOpaque, fauth::TokenType::access).ready(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        server.join();
        return e;
    }();
    return *instance;
}

void IntrospectionCacheHit(benchmark::State& state) {
    const auto& e = engine();
    for (auto _ : state) {
        auto outcome = e.verify(kOpaque, fauth::TokenType::access);
        if (!outcome.ready() || !outcome.result()) {
            state.SkipWithError("the introspection answer is not cached");
            break;
        }
        benchmark::DoNotOptimize(outcome.result()->sub.data());
    }
}
BENCHMARK(IntrospectionCacheHit);

}  // namespace
