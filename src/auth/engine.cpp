#include "fauth/auth/engine.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <utility>

#include <openssl/crypto.h>

#include "fauth/core/api_key.hpp"
#include "fauth/core/clock.hpp"
#include "fauth/core/internal/digest.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/keys.hpp"
#include "fauth/core/password.hpp"
#include "fauth/core/internal/random.hpp"
#include "fauth/core/internal/worker_pool.hpp"

namespace fauth {

namespace {

constexpr const char* kResetBinding = "pwd_fp";

RevocationQuery query_of(const TokenPayload& payload) {
    return {payload.jti, payload.family, payload.sub, payload.revocation_time_us()};
}

AuthConfig validated(AuthConfig config) {
    config.validate();
    return config;
}

}  // namespace

Engine::Engine(AuthConfig config)
    : config_(validated(std::move(config))),
      codec_(config_.tokens, AlreadyValidated{}),
      store_(config_.revocation_store ? config_.revocation_store
                                      : std::make_shared<MemoryRevocationStore>(MemoryRevocationStore::Options{.clock = config_.tokens.clock})),
      throttle_(config_.throttle ? config_.throttle
                                 : std::make_shared<MemoryThrottle>(MemoryThrottle::Options{.clock = config_.tokens.clock})),
      callbacks_(std::make_unique<WorkerPool>(config_.callback_threads, config_.worker_queue_capacity + config_.max_key_fetch_waits, 0,
                                              "fauth-callback")),
      pool_(std::make_unique<WorkerPool>(config_.worker_threads, config_.worker_queue_capacity, config_.worker_nice, "fauth-password")) {}

Engine::~Engine() {
    // Continuations on the store's, the key ring's and the workers' threads point to this engine:
    // they must be done before its members go.
    wait_idle();
}

std::int64_t Engine::family_expiry() const {
    // A family has access and refresh tokens; the record must outlive the longer-lived kind.
    return record_expiry(unix_seconds(config_.tokens.clock) + std::max(config_.tokens.access_token_ttl, config_.tokens.refresh_token_ttl).count());
}

std::int64_t Engine::record_expiry(std::int64_t token_exp) const {
    // verify accepts a token until exp + leeway: a record about it must last as long.
    return token_exp + config_.tokens.leeway.count();
}

std::int64_t Engine::issue_floor(std::int64_t wanted_us) const {
    // A token issued after revoke_all returns is never covered by it, even within its microsecond,
    // and even when the store's clock, which chose the cutoff, is ahead of this engine's.
    return std::max(wanted_us, revoked_up_to_us_.load() + 1);
}

Engine::Admission Engine::admit_at_once(std::string_view token, TokenType type, std::optional<TokenPayload>& payload,
                                        std::exception_ptr& failure, PendingKey& pending) const {
    try {
        payload.emplace(codec_.verify(token, type));
    } catch (const UnknownKeyId& e) {
        if (e.ring()) {
            pending = {e.ring(), e.kid()};
            return Admission::unverified;
        }
        failure = std::make_exception_ptr(e);
        return Admission::refused;
    } catch (...) {
        failure = detail::concrete_error(std::current_exception(), "token");
        return Admission::refused;
    }
    // A trusted issuer's token: its sessions are its issuer's, and its jti and sub are unique
    // only there, so this service's revocations never apply to it.
    if (payload->external) return Admission::admitted;
    // A refresh token's use-once record is a write the store may have to wait for.
    if (type == TokenType::refresh) return Admission::verified;
    const auto revoked = store_->revoked_at_once(query_of(*payload));
    if (!revoked) return Admission::verified;
    if (*revoked) {
        failure = std::make_exception_ptr(InvalidToken("token revoked"));
        return Admission::refused;
    }
    return Admission::admitted;
}

void Engine::admit(std::string token, TokenType type, PendingKey pending, Admitted done) const {
    verify_after_fetch(std::move(pending), std::move(token), type,
                       [this, type, done = std::move(done)](TokenPayload payload, std::exception_ptr failure) {
                           if (failure) return done({}, std::move(failure));
                           check(std::move(payload), type, done);
                       });
}

void Engine::verify_later(std::string token, TokenType type, Admitted done) const {
    TokenPayload payload;
    try {
        payload = codec_.verify(token, type);
    } catch (const UnknownKeyId& e) {
        // The ring that lacks the kid: a trusted issuer's, or this service's own.
        if (!e.ring()) return done({}, std::make_exception_ptr(e));
        return verify_after_fetch({e.ring(), e.kid()}, std::move(token), type, std::move(done));
    } catch (...) {
        return done({}, detail::concrete_error(std::current_exception(), "token"));
    }
    done(std::move(payload), nullptr);
}

void Engine::verify_after_fetch(PendingKey pending, std::string token, TokenType type, Admitted done) const {
    if (key_fetch_waits_.fetch_add(1) >= config_.max_key_fetch_waits) {
        --key_fetch_waits_;
        return done({}, std::make_exception_ptr(Unavailable("too many requests wait for a key fetch")));
    }
    // The fetch settles on the key ring's thread. The token is verified there, once more (a
    // signature check, no user code), and what follows runs on a callback thread.
    pending.ring->refresh_for(std::move(pending.kid), [this, in_flight = enter(), token = std::move(token), type,
                                                       done = std::move(done)](bool) mutable {
        TokenPayload verified;
        std::exception_ptr failure;
        try {
            verified = codec_.verify(token, type);
        } catch (...) {
            failure = detail::concrete_error(std::current_exception(), "token");
        }
        --key_fetch_waits_;
        hand_over([in_flight, verified = std::move(verified), failure = std::move(failure), done = std::move(done)]() mutable {
            done(std::move(verified), std::move(failure));
        });
    });
}

void Engine::hand_over(std::function<void()> task) const {
    if (!callbacks_->try_submit(std::move(task))) {
        // Not reached (see the declaration): a refusal here would lose an answer, so it is loud.
        config_.write_log("fauth: the callback queue refused a continuation; its request is not answered");
    }
}

void Engine::check(TokenPayload payload, TokenType type, Admitted done) const {
    if (payload.external) return done(std::move(payload), nullptr);  // as in admit_at_once
    if (type == TokenType::refresh && payload.family.empty())
        return done({}, std::make_exception_ptr(InvalidToken("refresh token has no session family")));
    if (type == TokenType::refresh && unix_seconds(config_.tokens.clock) >= session_start(payload) + config_.session_lifetime.count())
        return done({}, std::make_exception_ptr(SessionExpired()));
    auto shared = std::make_shared<Admitted>(std::move(done));
    const auto query = query_of(payload);
    store_->is_revoked(query).then(
        [this, in_flight = enter(), shared, type, payload = std::move(payload)](bool revoked) mutable {
            if (revoked) return (*shared)({}, std::make_exception_ptr(InvalidToken("token revoked")));
            if (type == TokenType::refresh) return throttle_family(std::move(payload), shared);
            (*shared)(std::move(payload), nullptr);
        },
        [in_flight = enter(), shared](std::exception_ptr e) { (*shared)({}, detail::concrete_error(e, "revocation store")); });
}

void Engine::throttle_family(TokenPayload payload, std::shared_ptr<Admitted> done) const {
    // Counted after the signature is verified: only a holder of the session's tokens spends its budget.
    throttle_->hit("family:" + payload.family, config_.refresh_limits.per_family)
        .then(
            [in_flight = enter(), done, payload](const ThrottleDecision& decision) mutable {
                if (!decision.allowed) return (*done)({}, std::make_exception_ptr(Throttled(decision.retry_after)));
                (*done)(std::move(payload), nullptr);
            },
            [in_flight = enter(), done](std::exception_ptr e) { (*done)({}, detail::concrete_error(e, "refresh throttle")); });
}

Pistache::Async::Promise<TokenResponse> Engine::rotate(const TokenPayload& refresh, std::vector<std::string> scopes,
                                                       nlohmann::json extra) const {
    auto [promise, settler] = detail::Settler<TokenResponse>::make();
    // The next pair is made first: if it cannot be (bad claims), the presented token is not used up.
    TokenResponse next;
    std::int64_t next_us = 0;
    try {
        next_us = issue_floor(std::max(unix_microseconds(config_.tokens.clock), refresh.issued_at_us() + 1));
        next = renew(refresh, scopes, extra, next_us);
    } catch (...) {
        settler->reject_from(std::current_exception(), "token claims");
        return std::move(promise);
    }
    store_->use_refresh({refresh.family, refresh.sub, refresh.jti, refresh.issued_at_us(), record_expiry(refresh.exp), next_us})
        .then(
            [this, in_flight = enter(), settler = settler, next = std::move(next), refresh, scopes = std::move(scopes),
             extra = std::move(extra)](const RefreshUseResult& use) mutable {
                if (use.first_use) return settler->resolve(next);
                // The same token again soon after its first use: a second tab, or a request or a store
                // command sent again after its answer was lost. It gets the pair the first use got.
                const auto grace_us = std::chrono::duration_cast<std::chrono::microseconds>(config_.refresh_repeat_grace).count();
                if (use.repeat_of_us > 0 && grace_us > 0 && unix_microseconds(config_.tokens.clock) - use.repeat_of_us <= grace_us) {
                    try {
                        return settler->resolve(renew(refresh, std::move(scopes), std::move(extra), use.repeat_of_us));
                    } catch (...) {
                        return settler->reject_from(std::current_exception(), "token claims");
                    }
                }
                // A used refresh token came back: revoke its family, tell the logs, refuse.
                config_.report({.type = SecurityEventType::refresh_reuse,
                                .reason = "refresh token reuse detected; session family revoked",
                                .subject = refresh.sub});
                store_->revoke_family(refresh.family, family_expiry())
                    .then([in_flight, settler] { settler->reject(InvalidToken("refresh token reuse detected")); },
                          [in_flight, settler](std::exception_ptr e) { settler->reject_from(e, "revocation store"); });
            },
            [in_flight = enter(), settler = settler](std::exception_ptr e) { settler->reject_from(e, "revocation store"); });
    return std::move(promise);
}

Pistache::Async::Promise<TokenPayload> Engine::verify_refreshing(std::string token, TokenType type) const {
    auto [promise, settler] = detail::Settler<TokenPayload>::make();
    verify_later(std::move(token), type, [settler = settler](TokenPayload payload, std::exception_ptr failure) {
        if (failure) settler->reject_from(failure, "token");
        else settler->resolve(std::move(payload));
    });
    return std::move(promise);
}

std::int64_t Engine::session_start(const TokenPayload& refresh) {
    // A refresh token from an older fauth has no auth_time: its session is taken to start at its iat.
    return second_of(refresh.session_started_us());
}

TokenResponse Engine::login(std::string sub, std::vector<std::string> scopes, nlohmann::json extra, Proof proof) const {
    const auto start_us = issue_floor(unix_microseconds(config_.tokens.clock));
    return pair(std::move(sub), std::move(scopes), std::move(extra), random_id(), start_us, start_us, proof == Proof::password);
}

TokenResponse Engine::renew(const TokenPayload& refresh, std::vector<std::string> scopes, nlohmann::json extra,
                            std::int64_t issued_at_us) const {
    if (issued_at_us == 0)
        issued_at_us = issue_floor(std::max(unix_microseconds(config_.tokens.clock), refresh.issued_at_us() + 1));
    return pair(refresh.sub, std::move(scopes), std::move(extra), refresh.family, refresh.session_started_us(), issued_at_us,
                false, refresh.jti);
}

TokenResponse Engine::pair(std::string sub, std::vector<std::string> scopes, nlohmann::json extra, std::string family,
                           std::int64_t session_start_us, std::int64_t issued_from_us, bool fresh,
                           std::string_view replaces) const {
    auto access = codec_.make_payload(TokenType::access, sub, scopes, extra);
    auto refresh = codec_.make_payload(TokenType::refresh, std::move(sub), std::move(scopes), std::move(extra));
    // A family's refresh tokens are issued in strictly increasing order (the store's record is
    // the newest one used), even if the clock stepped back since the token being replaced; and
    // no token is issued at or before a revoke_all this engine has returned from. Only iat_us
    // moves: iat stays this clock's, since verify refuses an iat in its future (a cutoff from the
    // store's clock may be ahead of this one).
    for (auto* token : {&access, &refresh}) {
        if (!replaces.empty()) {
            token->jti = sha256_hex(std::string("fauth-rotation-v1:") + (token == &access ? "access:" : "refresh:") +
                                    std::string(replaces))
                             .substr(0, token->jti.size());
            // exp from the issue time, and iat its second unless that is ahead of this clock (a
            // cutoff from the store's clock): then a repeat's iat may differ, its ids and exp not.
            token->exp += second_of(issued_from_us) - token->iat;
            token->iat = std::min(token->iat, second_of(issued_from_us));
        } else if (token->iat_us >= issued_from_us) {
            continue;
        }
        token->iat_us = issued_from_us;
    }
    access.family = refresh.family = std::move(family);
    access.auth_time = refresh.auth_time = second_of(session_start_us);
    access.auth_time_us = refresh.auth_time_us = session_start_us;
    access.fresh = fresh;  // a refresh token is never fresh, nor is anything it is exchanged for
    TokenResponse response;
    response.access_token = codec_.sign(access);
    response.refresh_token = codec_.sign(refresh);
    response.expires_in = config_.tokens.access_token_ttl.count();
    response.family = access.family;
    return response;
}

Pistache::Async::Promise<void> Engine::end_session(const TokenPayload& access) const {
    // A token without an id (a trusted issuer's may have none) cannot be revoked here: its
    // session is its issuer's to end.
    if (access.external || access.jti.empty())
        return Pistache::Async::Promise<void>::rejected(InvalidToken("this token's session is its issuer's to end"));
    config_.report({.type = SecurityEventType::revoked, .reason = "logout", .subject = access.sub});
    auto [promise, settler] = detail::Settler<void>::make();
    auto on_error = [settler = settler, in_flight = enter()](std::exception_ptr e) { settler->reject_from(e, "revocation store"); };
    // The family's one entry covers the access token too; a token without a family needs its own.
    auto written = access.family.empty() ? store_->revoke_token(access.jti, record_expiry(access.exp))
                                         : store_->revoke_family(access.family, family_expiry());
    written.then([settler = settler, in_flight = enter()] { settler->resolve(); }, on_error);
    return std::move(promise);
}

Pistache::Async::Promise<void> Engine::revoke_all(std::string sub) const {
    // The store chooses the cutoff by its own clock (Redis: TIME), so that every process sharing it
    // is judged by one clock, whichever calls; but no earlier than this engine's now, nor than
    // the tokens it issued since its last cutoff (stamped one past it), so that everything this
    // engine has issued is covered even when its clock is ahead of the store's.
    const auto at_least_us = std::max(unix_microseconds(config_.tokens.clock), revoked_up_to_us_.load() + 1);
    // The record must outlive every kind of token it covers.
    const auto longest = std::max({config_.tokens.access_token_ttl, config_.tokens.refresh_token_ttl, config_.tokens.password_reset_ttl,
                                   config_.tokens.email_verification_ttl});
    config_.report({.type = SecurityEventType::revoked, .reason = "revoke_all", .subject = sub});
    auto [promise, settler] = detail::Settler<void>::make();
    auto on_error = [settler = settler, in_flight = enter()](std::exception_ptr e) { settler->reject_from(e, "revocation store"); };
    store_->revoke_subject_now(std::move(sub), at_least_us, record_expiry(unix_seconds(config_.tokens.clock) + longest.count()))
        .then(
            [this, settler = settler, in_flight = enter()](std::int64_t cutoff_us) {
                // Tokens this engine issues from now on are later than the cutoff the store used,
                // even within its microsecond, and even if this engine's clock is behind it.
                for (auto seen = revoked_up_to_us_.load(); seen < cutoff_us && !revoked_up_to_us_.compare_exchange_weak(seen, cutoff_us);) {
                }
                settler->resolve();
            },
            on_error);
    return std::move(promise);
}

void Engine::prepare_password_checks() {
    // Unknown identifiers are checked against this hash, so they cost as much as known ones; it
    // is also the first measure of how long a check takes.
    const auto start = std::chrono::steady_clock::now();
    auto dummy = std::make_shared<const std::string>(fauth::hash_password(random_bytes(24), config_.bcrypt_cost));
    password_job_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
    std::lock_guard lock(dummy_mutex_);
    dummy_hash_ = std::move(dummy);
    highest_cost_ = config_.bcrypt_cost;
}

std::shared_ptr<const std::string> Engine::dummy_hash_at(int cost) const {
    std::lock_guard lock(dummy_mutex_);
    // Made under the lock: once per cost higher than any before, and other workers wanting it
    // would only make their own.
    if (bcrypt_cost(*dummy_hash_).value_or(0) < cost) dummy_hash_ = std::make_shared<const std::string>(fauth::hash_password(random_bytes(24), cost));
    return dummy_hash_;
}

void Engine::record_password_time(std::chrono::steady_clock::duration elapsed) const {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
    const auto old = password_job_ns_.load(std::memory_order_relaxed);
    password_job_ns_.store(old + (ns - old) / 8, std::memory_order_relaxed);  // an average over the last few
}

std::shared_ptr<void> Engine::admit_password_job(std::string_view client, bool known_device, std::exception_ptr& refusal) const {
    // The wait a new job would have: the jobs ahead of it, shared among the workers. A known
    // device's job goes first, so only other known devices' jobs are ahead of it.
    const auto per_job = std::chrono::nanoseconds(std::max<std::int64_t>(1, password_job_ns_.load(std::memory_order_relaxed)));
    const auto ahead = known_device ? known_device_jobs_.load() : password_jobs_.load();
    const auto wait = per_job * static_cast<std::int64_t>(ahead) / static_cast<std::int64_t>(config_.worker_threads);
    const auto retry_after = std::chrono::ceil<std::chrono::seconds>(wait);
    if (wait >= config_.max_password_wait) {
        refusal = std::make_exception_ptr(Unavailable("password workers busy: expected wait over max_password_wait", retry_after));
        return nullptr;
    }
    // Every admitted job holds its place until its continuation has run: at most
    // worker_queue_capacity of them, however cheap a check is, so the callback queue never fills.
    if (password_jobs_.fetch_add(1) >= config_.worker_queue_capacity) {
        --password_jobs_;
        refusal = std::make_exception_ptr(Unavailable("password worker queue is full", retry_after));
        return nullptr;
    }
    std::string counted;
    if (!client.empty()) {
        std::lock_guard lock(clients_mutex_);
        auto& jobs = password_jobs_by_client_[std::string(client)];
        if (jobs >= config_.max_password_checks_per_client) {
            --password_jobs_;
            if (jobs == 0) password_jobs_by_client_.erase(std::string(client));
            refusal = std::make_exception_ptr(
                Unavailable("password workers: this client has max_password_checks_per_client checks pending", retry_after));
            return nullptr;
        }
        ++jobs;
        counted = client;
    }
    if (known_device) ++known_device_jobs_;
    // The place is given back when the job's last copy goes: after it ran, or when it was never queued.
    // (It points at the engine only so that it is not null; nothing reads through it.)
    return std::shared_ptr<void>(const_cast<Engine*>(this), [this, known_device, counted = std::move(counted)](void*) {
        --password_jobs_;
        if (known_device) --known_device_jobs_;
        if (counted.empty()) return;
        std::lock_guard lock(clients_mutex_);
        const auto it = password_jobs_by_client_.find(counted);
        if (it != password_jobs_by_client_.end() && --it->second == 0) password_jobs_by_client_.erase(it);
    });
}

void Engine::check_password(std::optional<std::string> hash, std::string password, bool rehash_wanted, std::string_view client,
                            bool known_device, std::function<void(PasswordCheck)> done,
                            std::function<void(std::exception_ptr)> refused) const {
    std::exception_ptr refusal;
    auto place = admit_password_job(client, known_device, refusal);
    if (!place) return refused(refusal);
    auto task = [this, in_flight = enter(), place, hash = std::move(hash), password = std::move(password), rehash_wanted,
                 done = std::move(done)]() mutable {
        const auto start = std::chrono::steady_clock::now();
        // Only a well-formed bcrypt hash is checked as it is; anything else costs a dummy check.
        const auto stored_cost = hash ? bcrypt_cost(*hash) : std::nullopt;
        int highest = highest_cost_.load();
        while (stored_cost && *stored_cost > highest && !highest_cost_.compare_exchange_weak(highest, *stored_cost)) {
        }
        highest = std::max(highest, stored_cost.value_or(0));
        PasswordCheck result;
        if (stored_cost) {
            result.match = verify_password(password, *hash);
            // A cheaper hash than the dearest seen is padded with a dummy check at that cost, so
            // that its user cannot be told from an unknown one by the time taken.
            if (*stored_cost < highest) verify_password(password, *dummy_hash_at(highest));
        } else {
            verify_password(password, *dummy_hash_at(highest));
        }
        record_password_time(std::chrono::steady_clock::now() - start);
        // A right password under a hash weaker than the configured cost is hashed again, while
        // the plain text is still at hand.
        const int cost = config_.bcrypt_cost;
        if (result.match && rehash_wanted && needs_rehash(*hash, cost)) {
            try {
                result.upgraded = fauth::hash_password(password, cost);
            } catch (...) {
                // keep the old hash; the login itself is unaffected
            }
        }
        OPENSSL_cleanse(password.data(), password.size());
        // What follows is your code (the rehash hook, authenticate's continuations): it runs on a
        // callback thread. The job keeps its place until then, so that the continuations waiting
        // are never more than the jobs admitted (worker_queue_capacity).
        hand_over([in_flight, place = std::move(place), result = std::move(result), done = std::move(done)]() mutable {
            place.reset();
            done(std::move(result));
        });
    };
    if (!pool_->try_submit(std::move(task), known_device ? WorkerPool::Lane::first : WorkerPool::Lane::normal))
        refused(std::make_exception_ptr(Unavailable("password worker queue is full")));
}

Pistache::Async::Promise<std::string> Engine::hash_password(std::string password) const {
    auto [promise, settler] = detail::Settler<std::string>::make();
    std::exception_ptr refusal;
    auto place = admit_password_job({}, false, refusal);
    if (!place) {
        settler->reject_from(refusal, "hash_password");
        return std::move(promise);
    }
    auto task = [this, settler = settler, in_flight = enter(), place, cost = config_.bcrypt_cost, password = std::move(password)]() mutable {
        try {
            const auto start = std::chrono::steady_clock::now();
            auto hashed = fauth::hash_password(password, cost);
            record_password_time(std::chrono::steady_clock::now() - start);
            OPENSSL_cleanse(password.data(), password.size());
            hand_over([in_flight, place, settler, hashed = std::move(hashed)]() mutable {
                place.reset();
                settler->resolve(std::move(hashed));
            });
        } catch (...) {
            OPENSSL_cleanse(password.data(), password.size());
            hand_over([in_flight, place, settler, error = std::current_exception()]() mutable {
                place.reset();
                settler->reject_from(error, "hash_password");
            });
        }
    };
    if (!pool_->try_submit(std::move(task))) settler->reject(Unavailable("password worker queue is full"));
    return std::move(promise);
}

void Engine::check_api_key(std::string_view presented, const ApiKey* stored, std::string_view owner) const {
    const bool matches = api_key_matches(presented, stored ? std::string_view(stored->hash) : std::string_view());
    if (stored == nullptr) throw InvalidApiKey("unknown");
    if (!matches) throw InvalidApiKey("mismatch");
    if (stored->revoked) throw InvalidApiKey("revoked");
    if (stored->expires_at && unix_seconds(config_.tokens.clock) >= *stored->expires_at) throw InvalidApiKey("expired");
    if (stored->owner != owner) throw InvalidApiKey("owner mismatch");
}

std::string Engine::password_reset_token(std::string sub, std::string_view password_hash) const {
    return codec_.issue(TokenType::password_reset, std::move(sub), {}, nlohmann::json{{kResetBinding, codec_.fingerprint(password_hash)}});
}

void Engine::check_reset_binding(const TokenPayload& reset, std::string_view password_hash) const {
    const auto bound = reset.extra.find(kResetBinding);
    if (bound == reset.extra.end() || !bound->is_string()) throw InvalidToken("reset token is not bound to a password");
    const auto& expected = bound->get_ref<const std::string&>();
    const auto current = codec_.fingerprint(password_hash);
    if (!equal_in_constant_time(current, expected))
        throw InvalidToken("password already changed");
}

}  // namespace fauth
