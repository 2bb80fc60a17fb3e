// fauth/auth/engine.hpp — the part of AuthProvider that does not depend on your User type,
// compiled once in fauth::auth: tokens, sessions, password checks and the first steps of the
// request pipeline. AuthProvider<User> (fauth/auth/provider.hpp) is a typed façade over it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <pistache/async.h>

#include "fauth/auth/detail/promise.hpp"
#include "fauth/auth/principal.hpp"
#include "fauth/auth/revocation.hpp"
#include "fauth/auth/throttle.hpp"
#include "fauth/auth/config.hpp"
#include "fauth/core/detail/in_flight.hpp"
#include "fauth/core/token.hpp"

namespace fauth {

class WorkerPool;

/// Tokens, sessions and password checks for one configuration, whatever the User type.
/// Thread-safe. Work it starts on its own threads (password workers, store and key fetches)
/// holds an in-flight token; wait_idle() returns when there is none.
class Engine {
public:
    /// How the first two steps of the pipeline (verify, revocation) ended on the calling thread.
    enum class Admission {
        /// Verified and not revoked: the payload may be used.
        admitted,
        /// Refused: the failure says why (InvalidToken, TokenExpired, ...).
        refused,
        /// Verified; the revocation store answers later (or, for a refresh token, the use-once
        /// record must be written): continue with check().
        verified,
        /// The token names a key the ring must fetch first: continue with admit().
        unverified,
    };
    /// A key a ring must fetch before a token can be verified (Admission::unverified).
    struct PendingKey {
        /// The ring that lacks the key: a trusted issuer's, or the configuration's own.
        std::shared_ptr<KeyRing> ring;
        /// The key id the token named.
        std::string kid;
    };
    /// Receives the outcome of admit() or check(): the payload, or why it may not be used
    /// (`failure` non-null). Runs on the calling thread when nothing had to wait, on a store's
    /// callback thread after a store's answer, and on a `fauth-callback` thread after a key fetch;
    /// the engine is kept alive meanwhile.
    using Admitted = std::function<void(TokenPayload payload, std::exception_ptr failure)>;
    /// What a password check found (check_password).
    struct PasswordCheck {
        /// The stored hash is a bcrypt hash and the password matches it.
        bool match = false;
        /// A hash of the same password at the configured cost, when a rehash was wanted and due.
        std::optional<std::string> upgraded;
    };

    /// An engine for `config` (validated; throws ConfigError). Creates the in-memory store and
    /// throttle when the configuration names none, and starts the password workers.
    explicit Engine(AuthConfig config);
    /// Waits until no work is under way on the engine's threads (wait_idle), then stops them.
    /// Never destroy it on one of its own threads.
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    /// The token codec.
    const TokenCodec& codec() const noexcept { return codec_; }
    /// The validated configuration.
    const AuthConfig& config() const noexcept { return config_; }
    /// The revocation store (the configured one, or the in-memory default).
    RevocationStore& store() const noexcept { return *store_; }
    /// Where login attempts are counted (the configured throttle, or the in-memory default).
    Throttle& throttle() const noexcept { return *throttle_; }

    /// Steps 1 and 2 (verify, signature first; then revocation) as far as they can go on this
    /// thread without waiting; sets `payload`, `failure` or `pending` as the result says. (An
    /// optional, so that an empty payload costs no allocation.)
    Admission admit_at_once(std::string_view token, TokenType type, std::optional<TokenPayload>& payload,
                            std::exception_ptr& failure, PendingKey& pending) const;
    /// Steps 1 and 2 for a token whose key `pending` names (Admission::unverified): the ring
    /// fetches it, the token is verified once more (its second and last time), and the rest runs
    /// on a `fauth-callback` thread. Unavailable at once when AuthConfig::max_key_fetch_waits
    /// requests already wait for a fetch.
    void admit(std::string token, TokenType type, PendingKey pending, Admitted done) const;
    /// Step 2 for a verified payload: the revocation store; for a refresh token also its session's
    /// lifetime (SessionExpired) and its refresh throttle (Throttled). (Its use-once record is
    /// written by rotate, once the user is loaded and the next pair made.)
    void check(TokenPayload payload, TokenType type, Admitted done) const;
    /// Step 1 alone, fetching an unknown key once (see AuthProvider::verify_refreshing).
    Pistache::Async::Promise<TokenPayload> verify_refreshing(std::string token, TokenType type) const;

    /// How a session began: whether its user just proved who they are with a password.
    enum class Proof {
        /// Started by the application itself (after registration, an e-mail link, ...).
        none,
        /// Started by a password check: the first access token is fresh (TokenPayload::fresh).
        password,
    };
    /// A new session for `sub`: an access and a refresh token sharing a new family id and the
    /// session's start (`auth_time`, now); the access token is fresh after Proof::password.
    TokenResponse login(std::string sub, std::vector<std::string> scopes, nlohmann::json extra, Proof proof = Proof::none) const;
    /// The next token pair of the session of `refresh` (an admitted refresh token): same family
    /// and session start, with `scopes` and `extra` claims as computed anew for its user; its
    /// access token is not fresh. The pair is a function of `refresh` and its issue time,
    /// `issued_at_us` (now, or later when the clock stepped back; 0: now): ids derived from
    /// `refresh`'s, so that a repeat of the same rotation makes the same pair.
    TokenResponse renew(const TokenPayload& refresh, std::vector<std::string> scopes, nlohmann::json extra,
                        std::int64_t issued_at_us = 0) const;
    /// The next pair of the session of `refresh` (admitted by check) as renew makes it, handed out
    /// only if `refresh` is used for the first time (its use-once record: a used token coming back
    /// revokes its family and rejects with InvalidToken "refresh token reuse detected"). The
    /// newest used token presented again within AuthConfig::refresh_repeat_grace of its first use
    /// (a second tab, a retried request, a store command sent again) gets the same pair as the
    /// first use instead. A pair that cannot be made (bad claims) leaves `refresh` unused.
    Pistache::Async::Promise<TokenResponse> rotate(const TokenPayload& refresh, std::vector<std::string> scopes,
                                                   nlohmann::json extra) const;
    /// When the session of `refresh` began, in whole seconds (see TokenPayload::session_started_us).
    static std::int64_t session_start(const TokenPayload& refresh);
    /// Ends the session of `access` (an admitted access token): the token and its family.
    Pistache::Async::Promise<void> end_session(const TokenPayload& access) const;
    /// Revokes every token of `sub` issued, or of a session begun, up to now, to the microsecond
    /// (TokenPayload::revocation_time_us), for as long as the longest-lived token type lasts. "Now"
    /// is the store's clock (RevocationStore::revoke_subject_now), or this engine's when later or
    /// when tokens it issued are later; tokens this engine issues after it returns are later than
    /// the cutoff the store used, even within that microsecond and on a clock behind the store's.
    Pistache::Async::Promise<void> revoke_all(std::string sub) const;

    /// Whether `presented` is the key `stored` describes (compared by hash in constant time; one
    /// SHA-256 even when `stored` is null, an unknown id), not revoked, not expired, and owned by
    /// `owner`; throws InvalidApiKey ("unknown", "mismatch", "revoked", "expired", "owner
    /// mismatch") otherwise. Revocation and expiry are told only once the key matched.
    void check_api_key(std::string_view presented, const ApiKey* stored, std::string_view owner) const;

    /// Makes check_password work for unknown users too: computes the hash they are checked against,
    /// and measures how long one check takes.
    void prepare_password_checks();
    /// Checks `password` against `hash` on a password worker and calls `done` on a
    /// `fauth-callback` thread (your code never runs on a password worker). Every check
    /// costs the same bcrypt work: an unknown user, or a hash that is not a well-formed bcrypt
    /// hash, is checked against a dummy hash; the dummy's cost is the highest seen so far (the
    /// configured one at first), and a hash cheaper than that is followed by a dummy check at it.
    /// With `rehash_wanted`, a matching password under a hash below the configured cost is hashed
    /// again. A check is admitted only while the expected wait for a worker stays within
    /// AuthConfig::max_password_wait and `client` (a client address as throttles count it; empty:
    /// not counted) has fewer than AuthConfig::max_password_checks_per_client checks waiting or
    /// running; otherwise `refused(Unavailable)` is called on this thread at once, its retry_after
    /// the expected wait. With `known_device` (the client showed the device cookie of an earlier
    /// login as this name) the check goes before every other kind, and its expected wait counts
    /// only the checks of known devices ahead of it: a flood of strangers cannot keep it out.
    void check_password(std::optional<std::string> hash, std::string password, bool rehash_wanted, std::string_view client,
                        bool known_device, std::function<void(PasswordCheck)> done,
                        std::function<void(std::exception_ptr)> refused) const;
    /// Password checks and hashes admitted and not finished yet.
    std::size_t password_checks_pending() const noexcept { return password_jobs_.load(); }
    /// A bcrypt hash of `password` at the configured cost, computed on a password worker and
    /// settled on a `fauth-callback` thread.
    Pistache::Async::Promise<std::string> hash_password(std::string password) const;

    /// A password-reset token for `sub`, bound to `password_hash` (empty when none is set).
    std::string password_reset_token(std::string sub, std::string_view password_hash) const;
    /// Whether an admitted password-reset token was made for `password_hash`; throws InvalidToken
    /// ("reset token is not bound to a password", "password already changed") otherwise.
    void check_reset_binding(const TokenPayload& reset, std::string_view password_hash) const;

    /// `promise`, as a promise whose continuations run while wait_idle() waits for them.
    template <class T>
    Pistache::Async::Promise<T> tracked(Pistache::Async::Promise<T> promise, const char* context) const {
        auto [result, settler] = detail::Settler<T>::make();
        auto on_error = [settler = settler, token = in_flight_.enter(), context](std::exception_ptr e) {
            settler->reject_from(e, context);
        };
        if constexpr (std::is_void_v<T>)
            promise.then([settler = settler, token = in_flight_.enter()] { settler->resolve(); }, on_error);
        else
            promise.then([settler = settler, token = in_flight_.enter()](const T& value) { settler->resolve(value); }, on_error);
        return std::move(result);
    }

    /// Starts an operation wait_idle() waits for.
    detail::InFlight::Token enter() const { return in_flight_.enter(); }
    /// Blocks until no work is under way on the engine's threads.
    void wait_idle() const { in_flight_.wait_idle(); }

private:
    std::int64_t family_expiry() const;
    // How long a record about a token expiring at `token_exp` must last: verify's leeway included.
    std::int64_t record_expiry(std::int64_t token_exp) const;
    // `wanted_us`, or later: after the cutoff of the last revoke_all this engine made.
    std::int64_t issue_floor(std::int64_t wanted_us) const;
    // An access and a refresh token for `sub` in session `family` (begun at `session_start_us`),
    // with the same claims, issued no earlier than `issued_from_us`.
    // With `replaces` (a rotation: the jti of the refresh token replaced), the ids are derived from
    // it and both tokens are issued exactly at `issued_from_us`, so that the pair is a function of
    // the two.
    TokenResponse pair(std::string sub, std::vector<std::string> scopes, nlohmann::json extra, std::string family,
                       std::int64_t session_start_us, std::int64_t issued_from_us, bool fresh,
                       std::string_view replaces = {}) const;
    void verify_later(std::string token, TokenType type, Admitted done) const;
    // The ring of `pending` fetches its keys; `token` is verified again where the fetch ended and
    // `done` runs on a callback thread. Refused at once beyond max_key_fetch_waits.
    void verify_after_fetch(PendingKey pending, std::string token, TokenType type, Admitted done) const;
    // Runs `task` (fauth's continuation into your code) on a callback thread. The pool's capacity
    // covers every password job admitted and every request waiting for a key fetch, and it stops
    // only once no work is in flight, so a task is never refused.
    void hand_over(std::function<void()> task) const;
    // A place on the password workers for one job of `client` (empty: not counted per client), or
    // the Unavailable that refuses it; the place is given back when the returned handle goes.
    std::shared_ptr<void> admit_password_job(std::string_view client, bool known_device, std::exception_ptr& refusal) const;
    // The dummy hash at `cost` or dearer, made on this (worker) thread when none is yet.
    std::shared_ptr<const std::string> dummy_hash_at(int cost) const;
    // Records that one bcrypt took `elapsed`, for the expected wait.
    void record_password_time(std::chrono::steady_clock::duration elapsed) const;
    void throttle_family(TokenPayload payload, std::shared_ptr<Admitted> done) const;

    AuthConfig config_;
    TokenCodec codec_;  // over config_.tokens, validated with it (not a copy)
    std::shared_ptr<RevocationStore> store_;
    std::shared_ptr<Throttle> throttle_;
    mutable std::mutex dummy_mutex_;
    mutable std::shared_ptr<const std::string> dummy_hash_;  // guarded by dummy_mutex_
    mutable std::atomic<int> highest_cost_{0};                // of every hash checked so far
    mutable std::atomic<std::size_t> password_jobs_{0};       // admitted, not finished
    mutable std::atomic<std::size_t> known_device_jobs_{0};   // of those, for known devices
    mutable std::atomic<std::int64_t> password_job_ns_{0};    // one bcrypt's time, smoothed
    mutable std::mutex clients_mutex_;
    mutable std::unordered_map<std::string, std::size_t> password_jobs_by_client_;  // none at zero
    mutable std::atomic<std::size_t> key_fetch_waits_{0};  // requests waiting for a key fetch
    // Declared before pool_, so that it outlives the password workers, which hand over to it.
    // (Both through pointers: WorkerPool is an internal type.)
    std::unique_ptr<WorkerPool> callbacks_;  // where your code continues after fauth's own threads
    std::unique_ptr<WorkerPool> pool_;       // the password workers; submitting is thread-safe
    detail::InFlight in_flight_;
    mutable std::atomic<std::int64_t> revoked_up_to_us_{0};  // the latest cutoff a revoke_all of this engine's store used
};

}  // namespace fauth
