// Test helpers for DPoP (RFC 9449): a client's key and the proofs it signs (with fauth's signing
// code; tests/core/dpop_test.cpp verifies proofs made by jwcrypto), and a replay cache that
// answers later, from a thread of its own, as a Redis one would.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include <fauth/auth/replay_cache.hpp>
#include <fauth/core/base64url.hpp>
#include <fauth/core/dpop.hpp>
#include <fauth/core/keys.hpp>

namespace fauth::test {

/// A client's DPoP key (ES256), and the proofs it signs.
struct DpopHolder {
    /// The private key.
    Key key = Key::generate("ES256");
    /// Its public JWK, as a proof's header carries it.
    nlohmann::json jwk = [this] {
        auto j = key.public_jwk();
        j.erase("kid");
        j.erase("use");
        j.erase("alg");
        return j;
    }();
    /// Its RFC 7638 thumbprint: what a token bound to it holds in `cnf.jkt`.
    std::string jkt = jwk_thumbprint(jwk);
    /// Proofs made so far (each has its own jti).
    int counter = 0;

    /// A fresh proof for `method` and `url`, with `ath` for `access_token` (none when empty: a
    /// token request) and `nonce` when given.
    std::string proof(const std::string& method, const std::string& url, const std::string& access_token = {},
                      const std::string& nonce = {}) {
        const nlohmann::json header = {{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", jwk}};
        nlohmann::json claims =
            {{"jti", "jti-" + std::to_string(++counter) + "-" + jkt.substr(0, 8)},
             {"htm", method},
             {"htu", url},
             {"iat",
              std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count()}};
        if (!access_token.empty()) claims["ath"] = sha256_base64url(access_token);
        if (!nonce.empty()) claims["nonce"] = nonce;
        std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
        return input + "." + base64url_encode(key.sign(input));
    }
};

/// A replay cache that answers 5 ms later from a thread of its own (joined when it goes), so that
/// the pipelines waiting for it are tested.
class LaterReplayCache final : public ReplayCache {
public:
    ~LaterReplayCache() override {
        for (auto& t : threads_) t.join();
    }
    Outcome<void> first_use(std::string_view id, std::chrono::seconds lifetime) override {
        auto [outcome, settle] = Outcome<void>::pending();
        auto answer = memory_.first_use(id, lifetime);
        std::lock_guard lock(mutex_);
        threads_.emplace_back([settle = settle, result = std::move(answer.result())]() mutable {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            settle(std::move(result));
        });
        return std::move(outcome);
    }

private:
    MemoryReplayCache memory_;
    std::mutex mutex_;
    std::deque<std::thread> threads_;
};

}  // namespace fauth::test
