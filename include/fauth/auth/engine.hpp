/// @file
/// fauth/auth/engine.hpp — the part of AuthProvider that does not depend on your User type,
/// compiled once in fauth::auth: tokens, sessions, password checks and the first steps of the
/// request pipeline. AuthProvider<User> (fauth/auth/provider.hpp) is a typed façade over it.
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

#include "fauth/auth/principal.hpp"
#include "fauth/auth/revocation.hpp"
#include "fauth/auth/throttle.hpp"
#include "fauth/auth/config.hpp"
#include "fauth/core/detail/in_flight.hpp"
#include "fauth/core/instruments.hpp"
#include "fauth/core/metrics.hpp"
#include "fauth/core/outcome.hpp"
#include "fauth/core/token.hpp"

namespace fauth {

class WorkerPool;

/// The instruments an engine and the endpoints over it record (fauth/core/instruments.hpp), made
/// once from TokenConfig::metrics; each is off (a null test) without it.
struct AuthInstruments {
    /// Made in `sink` (all off when null).
    explicit AuthInstruments(const std::shared_ptr<MetricsSink>& sink);
    /// fauth.authentication.attempts {fauth.scheme, fauth.result, error.type}.
    Instrument authentication_attempts;
    /// fauth.authentication.duration {fauth.scheme, fauth.result}.
    Instrument authentication_duration;
    /// fauth.authorization.refusals {fauth.rule.kind}.
    Instrument authorization_refusals;
    /// fauth.sign_ins {fauth.result, error.type}.
    Instrument sign_ins;
    /// fauth.sign_outs.
    Instrument sign_outs;
    /// fauth.refresh.attempts {fauth.result, error.type}.
    Instrument refresh_attempts;
    /// fauth.refresh.rotations {fauth.rotation.kind}.
    Instrument refresh_rotations;
    /// fauth.refresh.reuse_detected.
    Instrument refresh_reuse;
    /// fauth.revocations {fauth.revocation.kind}.
    Instrument revocations;
    /// fauth.password.queue.wait.
    Instrument password_wait;
    /// fauth.password.refusals.
    Instrument password_refusals;
};

/// Where a session is opened from, as Engine::open_session records it (SessionRecord).
struct SessionDevice {
    /// The client address, as throttles count it (throttle_client).
    std::string client;
    /// The request's User-Agent (cut to kSessionUserAgentBytes, control characters replaced).
    std::string user_agent;
    /// A name for the session (cut to kSessionLabelBytes), or empty.
    std::string label;
    /// How it began: "password", "passkey", "oidc:<provider>", "app"; empty: "password" after
    /// Engine::Proof::password or password_and_code, "passkey" after a passkey, else "app".
    std::string origin;
    /// At most kSessionTags tags (RevocationStore::end_tagged), each at most kSessionTagBytes.
    std::vector<std::string> tags;
};

/// Tokens, sessions and password checks for one configuration, whatever the User type.
/// Thread-safe. Work it starts on its own threads (password workers, store and key fetches)
/// holds an in-flight token; wait_idle() returns when there is none.
class Engine {
public:
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
    /// The second-factor operations (AuthConfig::second_factor), or null while no store is set.
    const SecondFactors* second_factors() const noexcept { return second_factors_.get(); }
    /// The passkey operations (AuthConfig::passkeys), or null while no store is set.
    const Passkeys* passkeys() const noexcept { return passkeys_.get(); }
    /// The instruments it and the endpoints over it record (off without TokenConfig::metrics).
    const AuthInstruments& instruments() const noexcept { return instruments_; }

    /// Step 1 of the pipeline: `token` verified as a `type` token (signature first). Ready,
    /// unless the token names a key its ring must fetch first: then the ring fetches it, the token
    /// is verified once more (its second and last time), and the outcome settles on a
    /// `fauth-callback` thread; Unavailable at once when AuthConfig::max_key_fetch_waits requests
    /// already wait for a fetch. A token a trusted issuer's introspection answers for
    /// (Verifier::introspected_by: an opaque one, say) is taken from its cache (ready), or asked
    /// about at its endpoint and settled on a `fauth-callback` thread, the requests waiting for
    /// an introspection counted with those waiting for a key fetch.
    Outcome<TokenPayload> verify(std::string_view token, TokenType type) const;
    /// Step 2 for a verified payload: the revocation store ("token revoked"); for a refresh token
    /// the store itself, never a process's copy of it (RevocationQuery::must_read_store), and
    /// also its session's lifetime (SessionExpired) and its refresh throttle (Throttled). A
    /// trusted issuer's token passes untouched: its sessions are its issuer's. Ready when the
    /// store and the throttle answer in this process; else settled on their callback thread.
    /// (A refresh token's use-once record is written by rotate.)
    Outcome<void> check(const TokenPayload& payload, TokenType type) const;

    /// How a session began: what its user just proved, which its tokens say (`amr`, `acr`).
    /// Every proof but none makes the first access token fresh (TokenPayload::fresh).
    enum class Proof {
        /// Started by the application itself (after registration, an e-mail link, ...): no amr, no acr.
        none,
        /// A password: amr pwd, acr kAcrOneFactor.
        password,
        /// A password and a one-time code (TOTP or a recovery code): amr mfa, otp, pwd; acr kAcrTwoFactors.
        password_and_code,
        /// A device-bound passkey with user verification: amr hwk, mfa, user; acr kAcrTwoFactors.
        passkey,
        /// A synced (backup-eligible) passkey with user verification: amr mfa, swk, user; acr kAcrTwoFactors.
        synced_passkey,
    };
    /// The `amr` a session begun by `proof` carries.
    static AuthMethods methods_of(Proof proof) noexcept;
    /// A new session for `sub`: an access and a refresh token sharing a new family id and the
    /// session's start (`auth_time`, now); the access token is fresh after any Proof but none, and both carry the proof's `amr` and `acr`. With
    /// `dpop_jkt` (the RFC 7638 thumbprint of the key a DPoP proof of the login was signed with),
    /// both tokens are bound to that key (`cnf: {"jkt": ...}`, beside any other `cnf` member
    /// `extra` names; RFC 9449 section 6) and the response's token_type is "DPoP".
    TokenResponse login(std::string sub, std::vector<std::string> scopes, nlohmann::json extra, Proof proof = Proof::none,
                        std::string_view dpop_jkt = {}) const;
    /// A new session as login makes it, recorded first in the store's session list (SessionRecord:
    /// `device`, the start, the lifetime's end; RevocationStore::open_session, which ends the
    /// subject's least recently refreshed session beyond the store's bound): the tokens are
    /// answered once the record is written; a store failure is the failure (Unavailable: 503).
    /// A store that keeps no session list (RevocationStore::keeps_sessions) records nothing.
    /// Fails with InternalError for tags beyond the bounds, or claims the codec refuses.
    Outcome<TokenResponse> open_session(std::string sub, std::vector<std::string> scopes, nlohmann::json extra, Proof proof,
                                        SessionDevice device, std::string_view dpop_jkt = {}) const;
    /// The live sessions of `sub`, the most recently refreshed first (RevocationStore::sessions_of).
    Outcome<std::vector<SessionRecord>> sessions(std::string sub) const;
    /// Ends session `id` of `sub`: true; false when it is no live session of `sub`.
    Outcome<bool> end_session(std::string sub, std::string id) const;
    /// Ends every live session of `sub` but `keep` (the caller's own, say); the number ended.
    Outcome<std::size_t> end_other_sessions(std::string sub, std::string keep) const;
    /// Ends every live session carrying `tag`, whoever's; the number ended (RevocationStore::end_tagged).
    Outcome<std::size_t> end_tagged(std::string tag) const;
    /// The next token pair of the session of `refresh` (an admitted refresh token): same family
    /// and session start, with `scopes` and `extra` claims as computed anew for its user; its
    /// access token is not fresh. A pair whose `refresh` is bound to a DPoP key (`cnf.jkt`) is
    /// bound to the same key, whatever `extra` says (the binding is the session's, not the user's),
    /// and says token_type "DPoP". The pair is a function of `refresh` and its issue time,
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
    /// `client` (the client address as throttles count it, or empty) is recorded as the session's
    /// last client (RefreshUse::client), with the time of the refresh, in the same store call.
    Outcome<TokenResponse> rotate(const TokenPayload& refresh, std::vector<std::string> scopes, nlohmann::json extra,
                                  std::string_view client = {}) const;
    /// When the session of `refresh` began, in whole seconds (see TokenPayload::session_started_us).
    static std::int64_t session_start(const TokenPayload& refresh);
    /// Ends the session of `access` (an admitted access token): the token and its family.
    Outcome<void> end_session(const TokenPayload& access) const;
    /// Revokes every token of `sub` issued, or of a session begun, up to now, to the microsecond
    /// (TokenPayload::revocation_time_us), for as long as the longest-lived token type lasts. "Now"
    /// is the store's clock (RevocationStore::revoke_subject_now), or this engine's when later or
    /// when tokens it issued are later; tokens this engine issues after it returns are later than
    /// the cutoff the store used, even within that microsecond and on a clock behind the store's.
    Outcome<void> revoke_all(std::string sub) const;

    /// Whether `presented` is the key `stored` describes (compared by hash in constant time; one
    /// SHA-256 even when `stored` is null, an unknown id), not revoked, not expired, and owned by
    /// `owner`: nothing when it is, else the InvalidApiKey failure ("unknown", "mismatch",
    /// "revoked", "expired", "owner mismatch"). Revocation and expiry are told only once the key matched.
    std::optional<Failure> check_api_key(std::string_view presented, const ApiKey* stored, std::string_view owner) const;

    /// Makes check_password work for unknown users too: computes the hash they are checked against,
    /// and measures how long one check takes.
    void prepare_password_checks();
    /// Checks `password` against `hash` on a password worker; the outcome settles on a
    /// `fauth-callback` thread (your code never runs on a password worker). Every check
    /// costs the same bcrypt work: an unknown user, or a hash that is not a well-formed bcrypt
    /// hash, is checked against a dummy hash; the dummy's cost is the highest seen so far (the
    /// configured one at first), and a hash cheaper than that is followed by a dummy check at it.
    /// With `rehash_wanted`, a matching password under a hash below the configured cost is hashed
    /// again. A check is admitted only while the expected wait for a worker stays within
    /// AuthConfig::max_password_wait and `client` (a client address as throttles count it; empty:
    /// not counted) has fewer than AuthConfig::max_password_checks_per_client checks waiting or
    /// running; otherwise the outcome is ready at once with Unavailable, its retry_after the
    /// expected wait. With `known_device` (the client showed the device cookie of an earlier
    /// login as this name) the check goes before every other kind, and its expected wait counts
    /// only the checks of known devices ahead of it: a flood of strangers cannot keep it out.
    Outcome<PasswordCheck> check_password(std::optional<std::string> hash, std::string password, bool rehash_wanted,
                                          std::string_view client, bool known_device) const;
    /// Password checks and hashes admitted and not finished yet.
    std::size_t password_checks_pending() const noexcept { return password_jobs_.load(); }
    /// A bcrypt hash of `password` at the configured cost, computed on a password worker and
    /// settled on a `fauth-callback` thread.
    Outcome<std::string> hash_password(std::string password) const;

    /// A password-reset token for `sub`, bound to `password_hash` (empty when none is set).
    std::string password_reset_token(std::string sub, std::string_view password_hash) const;
    /// Whether an admitted password-reset token was made for `password_hash`: nothing when it was,
    /// else InvalidToken ("reset token is not bound to a password", "password already changed").
    std::optional<Failure> check_reset_binding(const TokenPayload& reset, std::string_view password_hash) const;

    /// Calls `next(Result<T>)` with the result of `outcome`: now when it is ready; otherwise when it
    /// settles, and wait_idle() waits for that meanwhile (for outcomes of fauth's own threads
    /// whose continuation uses this engine).
    template <class T, class Next>
    void after(Outcome<T> outcome, Next next) const {
        if (outcome.ready()) return next(std::move(outcome.result()));
        std::move(outcome).then(
            [in_flight = enter(), next = std::move(next)](Result<T> result) mutable { next(std::move(result)); });
    }

    /// What `step(Result<T>)` makes of the result of `outcome` (an `Outcome<U>`, or a value or
    /// failure that makes one): at once when `outcome` is ready, with no allocation; otherwise an
    /// outcome settled when both have answered (wait_idle() waits for it meanwhile).
    template <class U, class T, class Step>
    Outcome<U> chain(Outcome<T> outcome, Step step) const {
        if (outcome.ready()) return made<U>(step, std::move(outcome.result()));
        auto [next, settle] = Outcome<U>::pending();
        after(std::move(outcome), [settle = settle, step = std::move(step)](Result<T> result) mutable {
            made<U>(step, std::move(result)).then([settle](Result<U> out) { settle(std::move(out)); });
        });
        return std::move(next);
    }

    /// `outcome`, with what the caller chains to it counted as work under way while it waits
    /// (wait_idle() waits for it).
    template <class T>
    Outcome<T> tracked(Outcome<T> outcome) const {
        return chain<T>(std::move(outcome), [](Result<T> result) { return result; });
    }

    /// The answer of work on a thread that is neither yours nor a callback thread (an
    /// oidc::RelyingParty's, say), settled on a `fauth-callback` thread, where your code may
    /// continue: `start(settle)` is called now and must see to it that `settle(Result<T>)` is
    /// called once, from any thread. Unavailable at once, without calling `start`, when
    /// AuthConfig::max_key_fetch_waits requests already wait (counted with those waiting for a key
    /// fetch or an introspection). wait_idle() waits for it meanwhile.
    template <class T, class Start>
    Outcome<T> off_thread(Start start) const {
        if (key_fetch_waits_.fetch_add(1) >= config_.max_key_fetch_waits) {
            --key_fetch_waits_;
            return Unavailable("too many requests wait for an identity provider").failure();
        }
        auto [outcome, settle] = Outcome<T>::pending();
        start(std::function<void(Result<T>)>([this, in_flight = enter(), settle = settle](Result<T> result) {
            --key_fetch_waits_;
            hand_over([in_flight, settle, result = std::move(result)]() mutable { settle(std::move(result)); });
        }));
        return std::move(outcome);
    }

    /// Starts an operation wait_idle() waits for.
    detail::InFlight::Token enter() const { return in_flight_.enter(); }
    /// Blocks until no work is under way on the engine's threads.
    void wait_idle() const { in_flight_.wait_idle(); }

private:
    // What `step` makes of `result`, or what it throws (a store or a throttle of yours may) as a Failure.
    template <class U, class Step, class T>
    static Outcome<U> made(Step& step, Result<T> result) {
        try {
            return Outcome<U>(step(std::move(result)));
        } catch (...) {
            return failure_of(std::current_exception(), "a store or throttle");
        }
    }
    std::int64_t family_expiry() const;
    // login, for a session begun at `start_us`.
    TokenResponse login_at(std::int64_t start_us, std::string sub, std::vector<std::string> scopes, nlohmann::json extra,
                           Proof proof, std::string_view dpop_jkt) const;
    // How long a record about a token expiring at `token_exp` must last: verify's leeway included.
    std::int64_t record_expiry(std::int64_t token_exp) const;
    // `wanted_us`, or later: after the cutoff of the last revoke_all this engine made.
    std::int64_t issue_floor(std::int64_t wanted_us) const;
    // An access and a refresh token for `sub` in session `family` (begun at `session_start_us`),
    // with the same claims, issued no earlier than `issued_from_us`.
    // With `replaces` (a rotation: the jti of the refresh token replaced), the ids are derived from
    // it and both tokens are issued exactly at `issued_from_us`, so that the pair is a function of
    // the two.
    // How the session of a pair began, as its tokens say it (amr, acr); `fresh` for the access token.
    struct Authentication {
        AuthMethods amr;
        std::string_view acr;
        bool fresh = false;
    };
    TokenResponse pair(std::string sub, std::vector<std::string> scopes, nlohmann::json extra, std::string family,
                       std::int64_t session_start_us, std::int64_t issued_from_us, const Authentication& how,
                       std::string_view replaces = {}) const;
    // `token`, verified again once `ring` has fetched its keys for `kid`; settled on a callback
    // thread. Refused at once beyond max_key_fetch_waits.
    Outcome<TokenPayload> verify_after_fetch(std::shared_ptr<KeyRing> ring, std::string kid, std::string token,
                                             TokenType type) const;
    // `token` as `issuer`'s introspection answers for it (cached, or asked; settled on a callback
    // thread), then checked as every token (times, claim checks). Refused at once beyond
    // max_key_fetch_waits.
    Outcome<TokenPayload> introspect(const IssuerPolicy& issuer, std::string_view token, TokenType type) const;
    // Runs `task` (fauth's continuation into your code) on a callback thread. The pool's capacity
    // covers every password job admitted and every request waiting for a key fetch, and it stops
    // only once no work is in flight, so a task is never refused.
    void hand_over(std::function<void()> task) const;
    // A place on the password workers for one job of `client` (empty: not counted per client), or
    // the Unavailable that refuses it; the place is given back when the returned handle goes.
    Result<std::shared_ptr<void>> admit_password_job(std::string_view client, bool known_device) const;
    // The dummy hash at `cost` or dearer, made on this (worker) thread when none is yet.
    std::shared_ptr<const std::string> dummy_hash_at(int cost) const;
    // Records that one bcrypt took `elapsed`, for the expected wait.
    void record_password_time(std::chrono::steady_clock::duration elapsed) const;
    Outcome<void> throttle_family(const std::string& family) const;

    AuthConfig config_;
    TokenCodec codec_;  // over config_.tokens, validated with it (not a copy)
    AuthInstruments instruments_;
    std::shared_ptr<RevocationStore> store_;
    std::shared_ptr<Throttle> throttle_;
    mutable std::mutex dummy_mutex_;
    mutable std::shared_ptr<const std::string> dummy_hash_;  // guarded by dummy_mutex_
    mutable std::atomic<int> highest_cost_{0};               // of every hash checked so far
    mutable std::atomic<std::size_t> password_jobs_{0};      // admitted, not finished
    mutable std::atomic<std::size_t> known_device_jobs_{0};  // of those, for known devices
    mutable std::atomic<std::int64_t> password_job_ns_{0};   // one bcrypt's time, smoothed
    mutable std::mutex clients_mutex_;
    mutable std::unordered_map<std::string, std::size_t> password_jobs_by_client_;  // none at zero
    mutable std::atomic<std::size_t> key_fetch_waits_{0};  // requests waiting for a key fetch or an introspection
    // Declared before pool_, so that it outlives the password workers, which hand over to it.
    // (Both through pointers: WorkerPool is an internal type.)
    std::unique_ptr<WorkerPool> callbacks_;                // where your code continues after fauth's own threads
    std::unique_ptr<WorkerPool> pool_;                     // the password workers; submitting is thread-safe
    std::unique_ptr<const SecondFactors> second_factors_;  // with AuthConfig::second_factor.store
    std::unique_ptr<const Passkeys> passkeys_;             // with AuthConfig::passkeys.store
    detail::InFlight in_flight_;
    GaugeRegistration queue_depth_;  // fauth.password.queue.depth, released first (it reads password_jobs_)
    mutable std::atomic<std::int64_t> revoked_up_to_us_{0};  // the latest cutoff a revoke_all of this engine's store used
};

}  // namespace fauth
