/// @file
/// fauth/oidc/introspection.hpp — a trusted issuer's token introspection (RFC 7662, and RFC 9701's
/// signed answers): tokens its keys cannot verify (opaque ones) or, by choice, every token of it,
/// asked about at its introspection endpoint with this service's client credentials, on threads
/// this object owns; the endpoint's answers cached as it gave them (active until the token's exp
/// within a bound, inactive briefly) and read by each asking issuer's policy on every use, one
/// request in flight per token, and failing closed.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "fauth/core/claims.hpp"
#include "fauth/core/clock.hpp"
#include "fauth/core/config.hpp"
#include "fauth/core/outcome.hpp"
#include "fauth/core/policy.hpp"
#include "fauth/oidc/fetch.hpp"

namespace fauth::oidc {

/// How this service authenticates to the introspection endpoint (RFC 7662 section 2.1 requires
/// one; RFC 6749 section 2.3.1's two ways with a client secret).
enum class ClientAuthentication {
    /// `Authorization: Basic` with the form-encoded client id and secret (the default).
    client_secret_basic,
    /// `client_id` and `client_secret` in the request's form.
    client_secret_post,
};

/// Where and how an issuer's introspection endpoint is asked, and how long answers are kept.
struct IntrospectionOptions {
    /// The endpoint, e.g., "https://op.example.com/token/introspection". Leave it empty and set
    /// `issuer` to find it by discovery (the metadata's `introspection_endpoint`).
    std::string endpoint;
    /// The issuer, exactly as its tokens' iss: with no `endpoint`, its OpenID Connect Discovery
    /// (or RFC 8414) document is read on first need and must name this issuer.
    std::string issuer;
    /// This service's client id at the issuer (a resource server registered as a client). Required.
    std::string client_id;
    /// Its client secret. Required.
    std::string client_secret;
    /// How they are sent.
    ClientAuthentication authentication = ClientAuthentication::client_secret_basic;
    /// Ask for RFC 9701 signed answers (`Accept: application/token-introspection+jwt`) and accept
    /// only those: a JWS of the issuer's keys (the TrustedIssuer's), `typ`
    /// token-introspection+jwt, its `iss` the issuer, its `aud` this client id (RFC 9701 section 5),
    /// its claims in `token_introspection`. For issuers that offer them (the client registered
    /// with `introspection_signed_response_alg`).
    bool jwt_response = false;
    /// An active token's answer is kept until its `exp`, and at most this long (a token the
    /// issuer revokes is refused at the latest this much later).
    std::chrono::seconds max_ttl = std::chrono::minutes(5);
    /// An inactive (or otherwise refused) token's answer is kept this long (0: not kept).
    std::chrono::seconds negative_ttl = std::chrono::seconds(10);
    /// Active answers kept at most, and inactive ones at most as many again, apart (so that
    /// refused tokens never push an active token's answer out); in each, the least recently used
    /// goes first. Entries are keyed by the SHA-256 of the token (no token is kept), each the
    /// endpoint's answer, a few hundred bytes.
    std::size_t max_entries = 10000;
    /// Requests waiting for an answer at most (all tokens together); more are answered
    /// Unavailable at once. A token asked about by several requests is asked once: the others wait
    /// for that answer.
    std::size_t max_waiting = 1024;
    /// Threads asking the endpoint (each asks about one token at a time).
    std::size_t threads = 2;
    /// The Retry-After of the 503 that answers a request while the endpoint cannot be reached.
    std::chrono::seconds retry_after = std::chrono::seconds(5);
    /// How requests are made: trusted CAs, plain-http hosts, timeouts (a request that takes longer
    /// than `timeout` is answered 503), size limit.
    FetchOptions fetch;
    /// What "now" is for the cache's expiry by `exp` (the TokenConfig's clock, in tests).
    Clock clock;
    /// Where failed requests are reported (standard error when empty).
    LogSink log;
};

/// One trusted issuer's token introspection: give it to TrustedIssuer::introspection. Its threads
/// (`fauth-introspect`) are started by the constructor and joined by the destructor (which
/// cancels requests under way and answers every waiting request Unavailable). No user code
/// runs on them: the engine hands each answer to its callback threads. Thread-safe.
class Introspection {
public:
    /// Checks the options (ConfigError names what is wrong: no endpoint nor issuer, a URL that is
    /// not https:// nor loopback, no client id or secret, bad bounds, an unreadable CA file) and
    /// starts the threads. Nothing is fetched yet.
    explicit Introspection(IntrospectionOptions options);
    ~Introspection();
    Introspection(const Introspection&) = delete;
    Introspection& operator=(const Introspection&) = delete;

    /// The cached answer for `token` read for `issuer` (read_introspection: its audience, claim
    /// shape and required claims, checked on every call, so that issuers sharing this object
    /// never admit a token for one another), or nullopt when there is none (or it has expired).
    std::optional<Result<TokenPayload>> cached(std::string_view token, const IssuerPolicy& issuer);
    /// Asks about `token` for `issuer` (whose claim shape reads the answer, read_introspection,
    /// and whose keys verify RFC 9701 answers) unless the cache answers; `done` runs once: at
    /// once on this thread (from the cache, or Unavailable beyond max_waiting), or on an
    /// introspection thread. Callers waiting for one token's answer each read it with their own
    /// issuer. `issuer` must outlive the call's answer.
    void ask(std::string token, const IssuerPolicy& issuer, std::function<void(Result<TokenPayload>)> done);

    /// The options it was made with.
    const IntrospectionOptions& options() const noexcept { return options_; }
    /// Requests sent to the endpoint so far (answered or not).
    std::size_t requests() const noexcept { return requests_.load(); }
    /// Answers cached now.
    std::size_t cache_size() const;
    /// The endpoint in use: the configured one, or the one discovery found (empty until then).
    std::string endpoint() const;

private:
    using Digest = std::array<unsigned char, 32>;
    struct DigestHash {
        std::size_t operator()(const Digest& d) const noexcept;
    };
    // The endpoint's answer (the verified one's token_introspection), never read for one issuer.
    using Answer = std::shared_ptr<const nlohmann::json>;
    struct Entry {
        Digest key;
        Answer answer;
        std::chrono::steady_clock::time_point expires;
        bool active;  // in lru_[1], else in lru_[0]
    };
    struct Job {
        Digest key;
        std::string token;
        const IssuerPolicy* issuer;  // the first asker's: its keys verify a signed answer
    };
    struct Waiter {
        const IssuerPolicy* issuer;  // reads the answer for this caller
        std::function<void(Result<TokenPayload>)> done;
    };

    static Digest digest_of(std::string_view token);
    static Result<TokenPayload> read(const IssuerPolicy& issuer, const Result<Answer>& answer);
    Answer lookup(const Digest& key);  // with mutex_ held; null when none
    void run();
    Result<Answer> answer(const Job& job);
    std::optional<std::string> discover(std::string& why);
    void store(const Digest& key, const Answer& answer);  // with mutex_ held
    void log(const std::string& message) const noexcept;

    const IntrospectionOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::list<Entry> lru_[2];  // inactive and active answers, each most recently used first
    std::unordered_map<Digest, std::list<Entry>::iterator, DigestHash> cache_;
    std::unordered_map<Digest, std::vector<Waiter>, DigestHash> in_flight_;
    std::deque<Job> queue_;
    std::size_t waiting_ = 0;  // requests waiting, over every token
    bool stopping_ = false;
    std::string endpoint_;  // guarded by mutex_
    std::atomic<std::size_t> requests_{0};
    std::atomic<bool> cancel_{false};
    std::vector<std::thread> threads_;  // last: started once everything above exists
};

}  // namespace fauth::oidc
