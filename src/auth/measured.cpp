#include "fauth/auth/internal/measured.hpp"

#include <chrono>
#include <utility>

#include "fauth/core/instruments.hpp"

namespace fauth::detail {

namespace {

using instruments::StoreOperation;
using Clock = std::chrono::steady_clock;

// The duration and failure instruments of one store, and its kind's index.
struct Meters {
    Meters(const std::shared_ptr<MetricsSink>& sink, std::string_view kind)
        : duration(instruments::make(sink, instruments::Id::store_duration)),
          failures(instruments::make(sink, instruments::Id::store_failures)),
          store(instruments::store_kind(kind)) {}

    // `outcome`, its duration from `start` recorded once it has a result (and a failure
    // counted), then `also(result)`: at once when it is ready, else where it settles.
    template <class T, class Also = void (*)(const Result<T>&)>
    Outcome<T> timed(
        Outcome<T> outcome, StoreOperation operation, Clock::time_point start, Also also = [](const Result<T>&) {}) const {
        // By value: a call made directly on the store (AuthProvider::revocation_store()) is not
        // tracked by the engine, and may settle after the wrapper is gone.
        auto record = [duration = duration, failures = failures, store = store, operation, start,
                       also = std::move(also)](const Result<T>& result) {
            duration.record(std::chrono::duration<double>(Clock::now() - start).count(), store, operation);
            if (!result) failures.add(store, operation);
            also(result);
        };
        if (outcome.ready()) {
            record(outcome.result());
            return outcome;
        }
        auto [next, settle] = Outcome<T>::pending();
        std::move(outcome).then([record = std::move(record), settle = settle](Result<T> result) {
            record(result);
            settle(std::move(result));
        });
        return std::move(next);
    }

    Instrument duration;
    Instrument failures;
    instruments::StoreKind store;
};

class MeasuredStore final : public RevocationStore {
public:
    MeasuredStore(std::shared_ptr<RevocationStore> inner, const std::shared_ptr<MetricsSink>& sink)
        : inner_(std::move(inner)), meters_(sink, inner_->kind()) {}

    std::string_view kind() const noexcept override { return inner_->kind(); }
    Outcome<bool> is_revoked(const RevocationQuery& query) override {
        const auto start = Clock::now();
        return meters_.timed(inner_->is_revoked(query), StoreOperation::is_revoked, start);
    }
    Outcome<void> revoke_token(std::string jti, std::int64_t expires_at) override {
        const auto start = Clock::now();
        return meters_.timed(inner_->revoke_token(std::move(jti), expires_at), StoreOperation::revoke_token, start);
    }
    Outcome<void> revoke_family(std::string family, std::int64_t expires_at) override {
        const auto start = Clock::now();
        return meters_.timed(inner_->revoke_family(std::move(family), expires_at), StoreOperation::revoke_family, start);
    }
    Outcome<void> revoke_subject(std::string sub, std::int64_t not_before_us, std::int64_t expires_at) override {
        const auto start = Clock::now();
        return meters_.timed(inner_->revoke_subject(std::move(sub), not_before_us, expires_at), StoreOperation::revoke_subject,
                             start);
    }
    Outcome<std::int64_t> revoke_subject_now(std::string sub, std::int64_t at_least_us, std::int64_t expires_at) override {
        const auto start = Clock::now();
        return meters_.timed(inner_->revoke_subject_now(std::move(sub), at_least_us, expires_at), StoreOperation::revoke_subject,
                             start);
    }
    Outcome<RefreshUseResult> use_refresh(const RefreshUse& use) override {
        const auto start = Clock::now();
        return meters_.timed(inner_->use_refresh(use), StoreOperation::use_refresh, start);
    }
    // The session list's operations are passed on unmeasured (no StoreOperation names them yet).
    bool keeps_sessions() const noexcept override { return inner_->keeps_sessions(); }
    Outcome<void> open_session(SessionRecord record, std::int64_t kept_until) override {
        return inner_->open_session(std::move(record), kept_until);
    }
    Outcome<std::vector<SessionRecord>> sessions_of(std::string sub) override { return inner_->sessions_of(std::move(sub)); }
    Outcome<bool> end_session(std::string sub, std::string id) override {
        return inner_->end_session(std::move(sub), std::move(id));
    }
    Outcome<std::size_t> end_tagged(std::string tag) override { return inner_->end_tagged(std::move(tag)); }

private:
    std::shared_ptr<RevocationStore> inner_;
    Meters meters_;
};

class MeasuredThrottle final : public Throttle {
public:
    MeasuredThrottle(std::shared_ptr<Throttle> inner, const std::shared_ptr<MetricsSink>& sink)
        : inner_(std::move(inner)),
          meters_(sink, inner_->kind()),
          refusals_(instruments::make(sink, instruments::Id::throttle_refusals)) {}

    std::string_view kind() const noexcept override { return inner_->kind(); }
    Outcome<ThrottleDecision> hit(std::string key, RateLimit limit) override {
        const auto bucket = instruments::throttle_bucket(key);
        const auto start = Clock::now();
        return meters_.timed(inner_->hit(std::move(key), limit), StoreOperation::throttle_hit, start,
                             [refusals = refusals_, bucket](const Result<ThrottleDecision>& decision) {
                                 if (decision && !decision->allowed) refusals.add(bucket);
                             });
    }

private:
    std::shared_ptr<Throttle> inner_;
    Meters meters_;
    Instrument refusals_;
};

}  // namespace

std::shared_ptr<RevocationStore> measured(std::shared_ptr<RevocationStore> store, const std::shared_ptr<MetricsSink>& sink) {
    if (sink == nullptr) return store;
    return std::make_shared<MeasuredStore>(std::move(store), sink);
}

std::shared_ptr<Throttle> measured(std::shared_ptr<Throttle> throttle, const std::shared_ptr<MetricsSink>& sink) {
    if (sink == nullptr) return throttle;
    return std::make_shared<MeasuredThrottle>(std::move(throttle), sink);
}

}  // namespace fauth::detail
