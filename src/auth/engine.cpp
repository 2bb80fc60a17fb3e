#include "fauth/auth/engine.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <utility>

#include <openssl/crypto.h>

#include "fauth/core/api_key.hpp"
#include "fauth/core/base64url.hpp"
#include "fauth/core/clock.hpp"
#include "fauth/core/dpop.hpp"
#include "fauth/core/internal/digest.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/keys.hpp"
#include "fauth/core/password.hpp"
#include "fauth/core/internal/random.hpp"
#include "fauth/core/internal/worker_pool.hpp"
#include "fauth/auth/internal/measured.hpp"

namespace fauth {

namespace {

constexpr const char* kResetBinding = "pwd_fp";

// A token id derived from `input`: the first 128 bits of its SHA-256, as base64url (the shape of
// random_token_id()).
std::string derived_id(std::string_view input) {
    const auto digest = sha256(input);
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), 16));
}

RevocationQuery query_of(const TokenPayload& payload) {
    return {payload.jti, payload.family, payload.sub, payload.revocation_time_us()};
}

// The refusal of a token whose key is still unknown after its ring was asked. When the ring is a
// trusted issuer's that has loaded no keys yet (its provider has not answered since start), the
// token is not invalid: the service is not ready for it (503, with when the ring tries again).
Failure unknown_key(const UnknownKeyId& e, const TokenConfig& tokens) {
    if (e.ring())
        for (const auto& issuer : tokens.issuers)
            if (issuer->keys() == e.ring())
                if (const auto wait = issuer->keys_pending())
                    return Unavailable("no keys loaded yet for issuer " + issuer->issuer(), *wait).failure();
    return e.failure();
}

AuthConfig validated(AuthConfig config) {
    config.validate();
    return config;
}

}  // namespace

AuthInstruments::AuthInstruments(const std::shared_ptr<MetricsSink>& sink)
    : authentication_attempts(instruments::make(sink, instruments::Id::authentication_attempts)),
      authentication_duration(instruments::make(sink, instruments::Id::authentication_duration)),
      authorization_refusals(instruments::make(sink, instruments::Id::authorization_refusals)),
      sign_ins(instruments::make(sink, instruments::Id::sign_ins)),
      sign_outs(instruments::make(sink, instruments::Id::sign_outs)),
      refresh_attempts(instruments::make(sink, instruments::Id::refresh_attempts)),
      refresh_rotations(instruments::make(sink, instruments::Id::refresh_rotations)),
      refresh_reuse(instruments::make(sink, instruments::Id::refresh_reuse)),
      revocations(instruments::make(sink, instruments::Id::revocations)),
      password_wait(instruments::make(sink, instruments::Id::password_queue_wait)),
      password_refusals(instruments::make(sink, instruments::Id::password_refusals)) {}

Engine::Engine(AuthConfig config)
    : config_(validated(std::move(config))),
      codec_(config_.tokens, AlreadyValidated{}),
      instruments_(config_.tokens.metrics),
      store_(detail::measured(config_.revocation_store ? config_.revocation_store
                                                       : std::make_shared<MemoryRevocationStore>(
                                                             MemoryRevocationStore::Options{.clock = config_.tokens.clock}),
                              config_.tokens.metrics)),
      throttle_(detail::measured(config_.throttle
                                     ? config_.throttle
                                     : std::make_shared<MemoryThrottle>(MemoryThrottle::Options{.clock = config_.tokens.clock}),
                                 config_.tokens.metrics)),
      callbacks_(std::make_unique<WorkerPool>(config_.callback_threads,
                                              config_.worker_queue_capacity + config_.max_key_fetch_waits, 0, "fauth-callback")),
      pool_(std::make_unique<WorkerPool>(config_.worker_threads, config_.worker_queue_capacity, config_.worker_nice,
                                         "fauth-password")),
      queue_depth_(observe_gauge(config_.tokens.metrics, instruments::spec(instruments::Id::password_queue_depth),
                                 [this](const GaugeEmit& emit) { emit(static_cast<double>(password_jobs_.load()), {}); })) {
    const auto& factors = config_.second_factor;
    if (factors.store)
        second_factors_ = std::make_unique<const SecondFactors>(*this, factors.sealing_secret.empty() ? config_.tokens.secret_key
                                                                                                      : factors.sealing_secret);
    const auto& passkeys = config_.passkeys;
    if (passkeys.store)
        passkeys_ =
            std::make_unique<const Passkeys>(*this, passkeys.secret.empty() ? config_.tokens.secret_key : passkeys.secret);
}

Engine::~Engine() {
    queue_depth_.reset();  // its observer reads this engine
    // Continuations on the store's, the key ring's and the workers' threads point to this engine:
    // they must be done before its members go.
    wait_idle();
}

std::int64_t Engine::family_expiry() const {
    // A family has access and refresh tokens; the record must outlive the longer-lived kind.
    return record_expiry(unix_seconds(config_.tokens.clock) +
                         std::max(config_.tokens.access_token_ttl, config_.tokens.refresh_token_ttl).count());
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

Outcome<TokenPayload> Engine::verify(std::string_view token, TokenType type) const {
    if (const IssuerPolicy* issuer = codec_.verifier().introspected_by(token)) return introspect(*issuer, token, type);
    try {
        return codec_.verify(token, type);
    } catch (const UnknownKeyId& e) {
        // The ring that lacks the kid: a trusted issuer's, or this service's own; without one
        // (a fixed key set) there is nothing to fetch.
        if (!e.ring()) return e.failure();
        return verify_after_fetch(e.ring(), e.kid(), std::string(token), type);
    } catch (const Error& e) {
        return e.failure();
    } catch (...) {
        return failure_of(std::current_exception(), "token");
    }
}

Outcome<TokenPayload> Engine::verify_after_fetch(std::shared_ptr<KeyRing> ring, std::string kid, std::string token,
                                                 TokenType type) const {
    if (key_fetch_waits_.fetch_add(1) >= config_.max_key_fetch_waits) {
        --key_fetch_waits_;
        return Unavailable("too many requests wait for a key fetch").failure();
    }
    auto [outcome, settle] = Outcome<TokenPayload>::pending();
    // The fetch settles on the key ring's thread. The token is verified there, once more (a
    // signature check, no user code), and what follows runs on a callback thread.
    ring->refresh_for(std::move(kid), [this, in_flight = enter(), settle = settle, token = std::move(token), type](bool) {
        Result<TokenPayload> verified = Failure{};
        try {
            verified = codec_.verify(token, type);
        } catch (const UnknownKeyId& e) {
            verified = unknown_key(e, config_.tokens);
        } catch (const Error& e) {
            verified = e.failure();
        } catch (...) {
            verified = failure_of(std::current_exception(), "token");
        }
        --key_fetch_waits_;
        hand_over([in_flight, settle, verified = std::move(verified)]() mutable { settle(std::move(verified)); });
    });
    return std::move(outcome);
}

Outcome<TokenPayload> Engine::introspect(const IssuerPolicy& issuer, std::string_view token, TokenType type) const {
    if (type != TokenType::access)
        return InvalidToken("a token from " + issuer.issuer() + " is an access token, never a " + std::string(to_string(type)) +
                            " token")
            .failure();
    // This service's own API key sent as a Bearer token by mistake: never handed to a third party.
    if (const auto& prefix = config_.api_keys.prefix;
        token.size() > prefix.size() && token.starts_with(prefix) && token[prefix.size()] == '_')
        return InvalidToken("a value with this service's API key prefix (" + prefix + "_) is not asked about at " +
                            issuer.issuer())
            .failure();
    // The issuer's answer, then the checks of every token on this service's clock.
    const auto admitted = [this](Result<TokenPayload> answer) -> Result<TokenPayload> {
        if (!answer) return answer;
        try {
            return codec_.verifier().admit_introspected(std::move(*answer));
        } catch (const Error& e) {
            return e.failure();
        } catch (...) {
            return failure_of(std::current_exception(), "token");
        }
    };
    try {
        if (auto cached = issuer.introspected(token)) return admitted(std::move(*cached));
    } catch (...) {
        return failure_of(std::current_exception(), "token");
    }
    if (key_fetch_waits_.fetch_add(1) >= config_.max_key_fetch_waits) {
        --key_fetch_waits_;
        return Unavailable("too many requests wait for a key fetch or an introspection").failure();
    }
    auto [outcome, settle] = Outcome<TokenPayload>::pending();
    // The answer comes on the introspection's thread (or here, when refused at once); the claim
    // checks (your code) and what follows run on a callback thread.
    issuer.introspect(std::string(token), [this, in_flight = enter(), settle = settle,
                                           admitted](Result<TokenPayload> answer) mutable {
        --key_fetch_waits_;
        hand_over([in_flight, settle, admitted, answer = std::move(answer)]() mutable { settle(admitted(std::move(answer))); });
    });
    return std::move(outcome);
}

void Engine::hand_over(std::function<void()> task) const {
    if (!callbacks_->try_submit(std::move(task))) {
        // Not reached (see the declaration): a refusal here would lose an answer, so it is loud.
        config_.write_log("fauth: the callback queue refused a continuation; its request is not answered");
    }
}

Outcome<void> Engine::check(const TokenPayload& payload, TokenType type) const {
    // A trusted issuer's token: its sessions are its issuer's, and its jti and sub are unique
    // only there, so this service's revocations never apply to it.
    if (payload.external) return {};
    if (type == TokenType::refresh && payload.family.empty())
        return InvalidToken("refresh token has no session family").failure();
    if (type == TokenType::refresh &&
        unix_seconds(config_.tokens.clock) >= session_start(payload) + config_.session_lifetime.count())
        return SessionExpired().failure();
    auto query = query_of(payload);
    // A refresh token is exchanged for new tokens on the strength of this answer (rotate, whose
    // use_refresh reads only the session's record): it must see a revoke_all or a logout made
    // elsewhere the moment it returned, so it is asked of the store itself, never of a copy a
    // process keeps (RedisRevocationStore's cache). An access token keeps the fast path.
    query.must_read_store = type == TokenType::refresh;
    auto revoked = store_->is_revoked(query);
    // A refresh token's family, for its throttle (an access token's step keeps nothing).
    std::string family = type == TokenType::refresh ? payload.family.str() : std::string();
    return chain<void>(std::move(revoked), [this, family = std::move(family)](Result<bool> answer) mutable -> Outcome<void> {
        if (!answer) return std::move(answer).failure();
        if (*answer) return InvalidToken("token revoked").failure();
        if (!family.empty()) return throttle_family(family);
        return {};
    });
}

Outcome<void> Engine::throttle_family(const std::string& family) const {
    // Counted after the signature is verified: only a holder of the session's tokens spends its budget.
    return chain<void>(throttle_->hit(instruments::throttle_key(instruments::ThrottleBucket::refresh_family, family),
                                      config_.refresh_limits.per_family),
                       [](Result<ThrottleDecision> decision) -> Result<void> {
                           if (!decision) return std::move(decision).failure();
                           if (!decision->allowed) return Throttled(decision->retry_after).failure();
                           return {};
                       });
}

Outcome<TokenResponse> Engine::rotate(const TokenPayload& refresh, std::vector<std::string> scopes, nlohmann::json extra,
                                      std::string_view client) const {
    // The next pair is made first: if it cannot be (bad claims), the presented token is not used up.
    TokenResponse next;
    std::int64_t next_us = 0;
    try {
        next_us = issue_floor(std::max(unix_microseconds(config_.tokens.clock), refresh.issued_at_us() + 1));
        next = renew(refresh, scopes, extra, next_us);
    } catch (...) {
        return failure_of(std::current_exception(), "token claims");
    }
    auto used = store_->use_refresh({refresh.family, refresh.sub, refresh.jti, refresh.issued_at_us(), record_expiry(refresh.exp),
                                     next_us, client, family_expiry()});
    return chain<TokenResponse>(
        std::move(used),
        [this, next = std::move(next), refresh, scopes = std::move(scopes),
         extra = std::move(extra)](Result<RefreshUseResult> use) mutable -> Outcome<TokenResponse> {
            if (!use) return std::move(use).failure();
            if (use->first_use) {
                instruments_.refresh_rotations.add(instruments::RotationKind::first_use);
                return std::move(next);
            }
            // The same token again soon after its first use: a second tab, or a request or a store
            // command sent again after its answer was lost. It gets the pair the first use got.
            const auto grace_us = std::chrono::duration_cast<std::chrono::microseconds>(config_.refresh_repeat_grace).count();
            if (use->repeat_of_us > 0 && grace_us > 0 &&
                unix_microseconds(config_.tokens.clock) - use->repeat_of_us <= grace_us) {
                try {
                    auto again = renew(refresh, std::move(scopes), std::move(extra), use->repeat_of_us);
                    instruments_.refresh_rotations.add(instruments::RotationKind::repeat);
                    return again;
                } catch (...) {
                    return failure_of(std::current_exception(), "token claims");
                }
            }
            // A used refresh token came back: revoke its family, tell the logs, refuse.
            config_.report({.type = SecurityEventType::refresh_reuse,
                            .reason = "refresh token reuse detected; session family revoked",
                            .subject = refresh.sub});
            instruments_.refresh_reuse.add();
            return chain<TokenResponse>(store_->revoke_family(refresh.family.str(), family_expiry()),
                                        [this](Result<void> ended) -> Result<TokenResponse> {
                                            if (!ended) return std::move(ended).failure();
                                            instruments_.revocations.add(instruments::RevocationKind::reuse);
                                            return InvalidToken("refresh token reuse detected").failure();
                                        });
        });
}

std::int64_t Engine::session_start(const TokenPayload& refresh) {
    // A refresh token from an older fauth has no auth_time: its session is taken to start at its iat.
    return second_of(refresh.session_started_us());
}

namespace {

// `extra` with the binding to the DPoP key whose thumbprint is `jkt` (RFC 9449 section 6:
// `cnf.jkt`), beside any other confirmation method its `cnf` names. An `extra` that is not an
// object is left as it is, for make_payload to refuse.
void bind_to_key(nlohmann::json& extra, std::string_view jkt) {
    if (extra.is_null()) extra = nlohmann::json::object();
    if (!extra.is_object()) return;
    auto& cnf = extra["cnf"];
    if (!cnf.is_object()) cnf = nlohmann::json::object();
    cnf["jkt"] = jkt;
}

}  // namespace

AuthMethods Engine::methods_of(Proof proof) noexcept {
    using M = AuthMethod;
    switch (proof) {
        case Proof::none: return {};
        case Proof::password: return {M::pwd};
        case Proof::password_and_code: return {M::mfa, M::otp, M::pwd};
        case Proof::passkey: return {M::hwk, M::mfa, M::user};
        case Proof::synced_passkey: return {M::mfa, M::swk, M::user};
    }
    return {};
}

TokenResponse Engine::login(std::string sub, std::vector<std::string> scopes, nlohmann::json extra, Proof proof,
                            std::string_view dpop_jkt) const {
    return login_at(issue_floor(unix_microseconds(config_.tokens.clock)), std::move(sub), std::move(scopes), std::move(extra),
                    proof, dpop_jkt);
}

TokenResponse Engine::login_at(std::int64_t start_us, std::string sub, std::vector<std::string> scopes, nlohmann::json extra,
                               Proof proof, std::string_view dpop_jkt) const {
    if (!dpop_jkt.empty()) bind_to_key(extra, dpop_jkt);
    const auto amr = methods_of(proof);
    const Authentication how{amr,
                             proof == Proof::none       ? std::string_view()
                             : proof == Proof::password ? kAcrOneFactor
                                                        : kAcrTwoFactors,
                             proof != Proof::none};
    auto response = pair(std::move(sub), std::move(scopes), std::move(extra), random_token_id(), start_us, start_us, how);
    if (!dpop_jkt.empty()) response.token_type = "DPoP";
    return response;
}

Outcome<TokenResponse> Engine::open_session(std::string sub, std::vector<std::string> scopes, nlohmann::json extra, Proof proof,
                                            SessionDevice device, std::string_view dpop_jkt) const {
    if (auto refused = session_tags_refusal(device.tags)) return std::move(*refused);
    // The session's start, as its tokens carry it (auth_time_us).
    const auto started_us = issue_floor(unix_microseconds(config_.tokens.clock));
    TokenResponse response;
    try {
        response = login_at(started_us, sub, std::move(scopes), std::move(extra), proof, dpop_jkt);
    } catch (...) {
        return failure_of(std::current_exception(), "token claims");
    }
    if (!store_->keeps_sessions()) return response;
    if (device.origin.empty())
        device.origin = proof == Proof::none                                            ? "app"
                        : proof == Proof::password || proof == Proof::password_and_code ? "password"
                                                                                        : "passkey";
    SessionRecord record{response.family,
                         std::move(sub),
                         started_us,
                         started_us,
                         second_of(started_us) + config_.session_lifetime.count(),
                         std::move(device.client),
                         std::move(device.user_agent),
                         std::move(device.label),
                         std::move(device.origin),
                         std::move(device.tags)};
    return chain<TokenResponse>(store_->open_session(std::move(record), family_expiry()),
                                [response = std::move(response)](Result<void> opened) mutable -> Result<TokenResponse> {
                                    if (!opened) return std::move(opened).failure();
                                    return std::move(response);
                                });
}

Outcome<std::vector<SessionRecord>> Engine::sessions(std::string sub) const {
    return tracked(store_->sessions_of(std::move(sub)));
}

Outcome<bool> Engine::end_session(std::string sub, std::string id) const {
    // Reported once a session was ended: an id that names none (anyone may send one) is no event.
    auto ending = store_->end_session(sub, std::move(id));
    return chain<bool>(std::move(ending), [this, sub = std::move(sub)](Result<bool> ended) -> Result<bool> {
        if (ended && *ended) {
            instruments_.revocations.add(instruments::RevocationKind::logout);
            config_.report({.type = SecurityEventType::revoked, .reason = "end_session", .subject = sub});
        }
        return ended;
    });
}

namespace {

// Several outcomes joined: the number that answered true once all have answered, or the first
// failure.
struct Join {
    explicit Join(Settle<std::size_t> s, std::size_t n) : settle(std::move(s)), waiting(n) {}
    void answer(Result<bool> ended) {
        std::unique_lock lock(mutex);
        if (!ended && !failure) failure = std::move(ended).failure();
        if (ended && *ended) ++count;
        if (--waiting > 0) return;
        Result<std::size_t> result = failure ? Result<std::size_t>(*failure) : Result<std::size_t>(count);
        lock.unlock();
        settle(std::move(result));
    }
    Settle<std::size_t> settle;
    std::mutex mutex;
    std::size_t waiting;
    std::size_t count = 0;
    std::optional<Failure> failure;
};

}  // namespace

Outcome<std::size_t> Engine::end_other_sessions(std::string sub, std::string keep) const {
    auto listed = store_->sessions_of(sub);
    return chain<std::size_t>(std::move(listed),
                              [this, sub = std::move(sub),
                               keep = std::move(keep)](Result<std::vector<SessionRecord>> sessions) -> Outcome<std::size_t> {
                                  if (!sessions) return std::move(sessions).failure();
                                  std::vector<std::string> others;
                                  for (auto& session : *sessions)
                                      if (session.id != keep) others.push_back(std::move(session.id));
                                  if (others.empty()) return std::size_t{0};
                                  // Every other one at once; the answer once all have answered.
                                  auto [outcome, settle] = Outcome<std::size_t>::pending();
                                  auto join = std::make_shared<Join>(settle, others.size());
                                  for (auto& id : others)
                                      after(end_session(sub, std::move(id)),
                                            [join](Result<bool> ended) { join->answer(std::move(ended)); });
                                  return std::move(outcome);
                              });
}

Outcome<std::size_t> Engine::end_tagged(std::string tag) const {
    config_.report({.type = SecurityEventType::revoked, .reason = "end_tagged"});
    return chain<std::size_t>(store_->end_tagged(std::move(tag)), [this](Result<std::size_t> ended) -> Result<std::size_t> {
        if (ended && *ended > 0) instruments_.revocations.add(instruments::RevocationKind::logout);
        return ended;
    });
}

TokenResponse Engine::renew(const TokenPayload& refresh, std::vector<std::string> scopes, nlohmann::json extra,
                            std::int64_t issued_at_us) const {
    if (issued_at_us == 0)
        issued_at_us = issue_floor(std::max(unix_microseconds(config_.tokens.clock), refresh.issued_at_us() + 1));
    // The session's binding comes from its refresh token, not from the claims computed anew.
    const std::string* bound = dpop_jkt(refresh);
    if (bound != nullptr) bind_to_key(extra, *bound);
    auto response = pair(refresh.sub, std::move(scopes), std::move(extra), refresh.family.str(), refresh.session_started_us(),
                         issued_at_us, Authentication{refresh.amr, refresh.acr, false}, refresh.jti);
    if (bound != nullptr) response.token_type = "DPoP";
    return response;
}

TokenResponse Engine::pair(std::string sub, std::vector<std::string> scopes, nlohmann::json extra, std::string family,
                           std::int64_t session_start_us, std::int64_t issued_from_us, const Authentication& how,
                           std::string_view replaces) const {
    auto access = codec_.make_payload(TokenType::access, sub, scopes, extra);
    auto refresh = codec_.make_payload(TokenType::refresh, std::move(sub), std::move(scopes), std::move(extra));
    // A family's refresh tokens are issued in strictly increasing order (the store's record is
    // the newest one used), even if the clock stepped back since the token being replaced; and
    // no token is issued at or before a revoke_all this engine has returned from: iat_us is
    // issued_from_us, a renewal's or a login's (pair's two callers). iat stays this clock's,
    // since verify refuses an iat in its future (a cutoff from the store's clock may be ahead of
    // this one). A login's tokens are issued when its session begins, to the microsecond, so
    // that they name no auth_time (the reader takes iat).
    for (auto* token : {&access, &refresh}) {
        if (!replaces.empty()) {
            // The ids of a repeat's pair are those of the first use's: 128 bits of a digest of the
            // presented refresh token's jti (whatever its shape), as base64url like a random id.
            token->jti = derived_id(std::string("fauth-rotation-v1:") + (token == &access ? "access:" : "refresh:") +
                                    std::string(replaces));
            // exp from the issue time, and iat its second unless that is ahead of this clock (a
            // cutoff from the store's clock): then a repeat's iat may differ, its ids and exp not.
            token->exp += second_of(issued_from_us) - token->iat;
            token->iat = std::min(token->iat, second_of(issued_from_us));
        } else {  // a login: replaces nothing, issued when its session begins
            const auto iat = std::min(token->iat, second_of(issued_from_us));
            token->exp += iat - token->iat;
            token->iat = iat;
        }
        token->iat_us = issued_from_us;
    }
    access.family = refresh.family = std::move(family);
    access.auth_time = refresh.auth_time = second_of(session_start_us);
    access.auth_time_us = refresh.auth_time_us = session_start_us;
    access.fresh = how.fresh;            // a refresh token is never fresh, nor is anything it is exchanged for
    access.amr = refresh.amr = how.amr;  // how the session began: refresh keeps it
    access.acr = refresh.acr = how.acr;
    TokenResponse response;
    response.access_token = codec_.sign(access);
    response.refresh_token = codec_.sign(refresh);
    response.expires_in = config_.tokens.access_token_ttl.count();
    response.family = access.family.str();
    return response;
}

Outcome<void> Engine::end_session(const TokenPayload& access) const {
    // A token without an id (a trusted issuer's may have none) cannot be revoked here: its
    // session is its issuer's to end.
    if (access.external || access.jti.empty()) return InvalidToken("this token's session is its issuer's to end").failure();
    config_.report({.type = SecurityEventType::revoked, .reason = "logout", .subject = access.sub});
    // The family's one entry covers the access token too; a token without a family needs its own.
    // Chained (tracked): what the caller chains to it (an answer, your continuation) runs before the engine goes.
    return chain<void>(access.family.empty() ? store_->revoke_token(access.jti.str(), record_expiry(access.exp))
                                             : store_->revoke_family(access.family.str(), family_expiry()),
                       [this](Result<void> ended) -> Result<void> {
                           if (ended) {  // counted once written
                               instruments_.sign_outs.add();
                               instruments_.revocations.add(instruments::RevocationKind::logout);
                           }
                           return ended;
                       });
}

Outcome<void> Engine::revoke_all(std::string sub) const {
    // The store chooses the cutoff by its own clock (Redis: TIME), so that every process sharing it
    // is judged by one clock, whichever calls; but no earlier than this engine's now, nor than
    // the tokens it issued since its last cutoff (stamped one past it), so that everything this
    // engine has issued is covered even when its clock is ahead of the store's.
    const auto at_least_us = std::max(unix_microseconds(config_.tokens.clock), revoked_up_to_us_.load() + 1);
    // The record must outlive every kind of token it covers.
    const auto longest =
        std::max({config_.tokens.access_token_ttl, config_.tokens.refresh_token_ttl, config_.tokens.password_reset_ttl,
                  config_.tokens.email_verification_ttl, config_.tokens.second_factor_ttl});
    config_.report({.type = SecurityEventType::revoked, .reason = "revoke_all", .subject = sub});
    auto written = store_->revoke_subject_now(std::move(sub), at_least_us,
                                              record_expiry(unix_seconds(config_.tokens.clock) + longest.count()));
    return chain<void>(std::move(written), [this](Result<std::int64_t> cutoff) -> Result<void> {
        if (!cutoff) return std::move(cutoff).failure();
        instruments_.revocations.add(instruments::RevocationKind::revoke_all);
        // Tokens this engine issues from now on are later than the cutoff the store used,
        // even within its microsecond, and even if this engine's clock is behind it.
        for (auto seen = revoked_up_to_us_.load(); seen < *cutoff && !revoked_up_to_us_.compare_exchange_weak(seen, *cutoff);) {}
        return {};
    });
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
    if (bcrypt_cost(*dummy_hash_).value_or(0) < cost)
        dummy_hash_ = std::make_shared<const std::string>(fauth::hash_password(random_bytes(24), cost));
    return dummy_hash_;
}

void Engine::record_password_time(std::chrono::steady_clock::duration elapsed) const {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
    const auto old = password_job_ns_.load(std::memory_order_relaxed);
    password_job_ns_.store(old + (ns - old) / 8, std::memory_order_relaxed);  // an average over the last few
}

Result<std::shared_ptr<void>> Engine::admit_password_job(std::string_view client, bool known_device) const {
    // The wait a new job would have: the jobs ahead of it, shared among the workers. A known
    // device's job goes first, so only other known devices' jobs are ahead of it.
    const auto per_job = std::chrono::nanoseconds(std::max<std::int64_t>(1, password_job_ns_.load(std::memory_order_relaxed)));
    const auto ahead = known_device ? known_device_jobs_.load() : password_jobs_.load();
    const auto wait = per_job * static_cast<std::int64_t>(ahead) / static_cast<std::int64_t>(config_.worker_threads);
    const auto retry_after = std::chrono::ceil<std::chrono::seconds>(wait);
    if (wait >= config_.max_password_wait) {
        instruments_.password_refusals.add();
        return Unavailable("password workers busy: expected wait over max_password_wait", retry_after).failure();
    }
    // Every admitted job holds its place until its continuation has run: at most
    // worker_queue_capacity of them, however cheap a check is, so the callback queue never fills.
    if (password_jobs_.fetch_add(1) >= config_.worker_queue_capacity) {
        --password_jobs_;
        instruments_.password_refusals.add();
        return Unavailable("password worker queue is full", retry_after).failure();
    }
    std::string counted;
    if (!client.empty()) {
        std::lock_guard lock(clients_mutex_);
        auto& jobs = password_jobs_by_client_[std::string(client)];
        if (jobs >= config_.max_password_checks_per_client) {
            --password_jobs_;
            if (jobs == 0) password_jobs_by_client_.erase(std::string(client));
            instruments_.password_refusals.add();
            return Unavailable("password workers: this client has max_password_checks_per_client checks pending", retry_after)
                .failure();
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

Outcome<Engine::PasswordCheck> Engine::check_password(std::optional<std::string> hash, std::string password, bool rehash_wanted,
                                                      std::string_view client, bool known_device) const {
    auto admitted = admit_password_job(client, known_device);
    if (!admitted) return std::move(admitted).failure();
    auto [outcome, settle] = Outcome<PasswordCheck>::pending();
    auto task = [this, in_flight = enter(), place = std::move(*admitted), hash = std::move(hash), password = std::move(password),
                 rehash_wanted, settle = settle,
                 admitted_at = instruments_.password_wait ? std::chrono::steady_clock::now()
                                                          : std::chrono::steady_clock::time_point{}]() mutable {
        const auto start = std::chrono::steady_clock::now();
        instruments_.password_wait.record(std::chrono::duration<double>(start - admitted_at).count());
        // Only a well-formed bcrypt hash is checked as it is; anything else costs a dummy check.
        const auto stored_cost = hash ? bcrypt_cost(*hash) : std::nullopt;
        int highest = highest_cost_.load();
        while (stored_cost && *stored_cost > highest && !highest_cost_.compare_exchange_weak(highest, *stored_cost)) {}
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
        hand_over([in_flight, place = std::move(place), result = std::move(result), settle]() mutable {
            place.reset();
            settle(std::move(result));
        });
    };
    if (!pool_->try_submit(std::move(task), known_device ? WorkerPool::Lane::first : WorkerPool::Lane::normal))
        return Unavailable("password worker queue is full").failure();
    return std::move(outcome);
}

Outcome<std::string> Engine::hash_password(std::string password) const {
    auto admitted = admit_password_job({}, false);
    if (!admitted) return std::move(admitted).failure();
    auto [outcome, settle] = Outcome<std::string>::pending();
    auto task = [this, settle = settle, in_flight = enter(), place = std::move(*admitted), cost = config_.bcrypt_cost,
                 password = std::move(password),
                 admitted_at = instruments_.password_wait ? std::chrono::steady_clock::now()
                                                          : std::chrono::steady_clock::time_point{}]() mutable {
        Result<std::string> hashed = Failure{};
        try {
            const auto start = std::chrono::steady_clock::now();
            instruments_.password_wait.record(std::chrono::duration<double>(start - admitted_at).count());
            hashed = fauth::hash_password(password, cost);
            record_password_time(std::chrono::steady_clock::now() - start);
        } catch (...) {
            hashed = failure_of(std::current_exception(), "hash_password");
        }
        OPENSSL_cleanse(password.data(), password.size());
        hand_over([in_flight, place, settle, hashed = std::move(hashed)]() mutable {
            place.reset();
            settle(std::move(hashed));
        });
    };
    if (!pool_->try_submit(std::move(task))) return Unavailable("password worker queue is full").failure();
    return std::move(outcome);
}

std::optional<Failure> Engine::check_api_key(std::string_view presented, const ApiKey* stored, std::string_view owner) const {
    const bool matches = api_key_matches(presented, stored ? std::string_view(stored->hash) : std::string_view());
    const char* refusal = nullptr;
    if (stored == nullptr)
        refusal = "unknown";
    else if (!matches)
        refusal = "mismatch";
    else if (stored->revoked)
        refusal = "revoked";
    else if (stored->expires_at && unix_seconds(config_.tokens.clock) >= *stored->expires_at)
        refusal = "expired";
    else if (stored->owner != owner)
        refusal = "owner mismatch";
    if (refusal == nullptr) return std::nullopt;
    return InvalidApiKey(refusal).failure();
}

std::string Engine::password_reset_token(std::string sub, std::string_view password_hash) const {
    return codec_.issue(TokenType::password_reset, std::move(sub), {},
                        nlohmann::json{{kResetBinding, codec_.fingerprint(password_hash)}});
}

std::optional<Failure> Engine::check_reset_binding(const TokenPayload& reset, std::string_view password_hash) const {
    const auto bound = reset.extra.find(kResetBinding);
    if (bound == reset.extra.end() || !bound->is_string())
        return InvalidToken("reset token is not bound to a password").failure();
    const auto& expected = bound->get_ref<const std::string&>();
    const auto current = codec_.fingerprint(password_hash);
    if (!equal_in_constant_time(current, expected)) return InvalidToken("password already changed").failure();
    return std::nullopt;
}

}  // namespace fauth
