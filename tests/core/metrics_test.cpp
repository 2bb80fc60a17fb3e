// Instruments (fauth/core/metrics.hpp): off they record nothing and cost nothing; on, each
// attribute combination is one series, numbered in mixed radix (the first attribute slowest);
// fauth's own instruments (fauth/core/instruments.hpp) are listed in Id's order with valid specs.
#include "fauth/core/metrics.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "fauth/auth/principal.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/instruments.hpp"
#include "fauth/core/prometheus.hpp"
#include "support/allocation_counter.hpp"

using fauth::AttributeSpec;
using fauth::ConfigError;
using fauth::Instrument;
using fauth::InstrumentKind;
using fauth::InstrumentSpec;
namespace instruments = fauth::instruments;

namespace {

// A sink that keeps what each instrument records, as (series, value) pairs.
class RecordingSink final : public fauth::MetricsSink {
public:
    struct Storage final : fauth::InstrumentSink {
        void record(std::size_t series, double value) noexcept override {
            std::lock_guard lock(mutex);
            records.emplace_back(series, value);
        }
        std::mutex mutex;
        std::vector<std::pair<std::size_t, double>> records;
    };

    std::shared_ptr<fauth::InstrumentSink> instrument(const InstrumentSpec& spec) override {
        declared.push_back(spec.name);
        auto storage = std::make_shared<Storage>();
        storages.push_back(storage);
        return storage;
    }
    std::shared_ptr<void> observe(const InstrumentSpec& spec, fauth::GaugeObserver observer) override {
        observed.push_back(spec.name);
        observers.push_back(std::move(observer));
        return std::make_shared<int>(0);
    }

    std::vector<std::pair<std::size_t, double>> records(std::size_t i = 0) const { return storages.at(i)->records; }

    std::vector<std::string> declared;
    std::vector<std::string> observed;
    std::vector<std::shared_ptr<Storage>> storages;
    std::vector<fauth::GaugeObserver> observers;
};

using Records = std::vector<std::pair<std::size_t, double>>;

// Three attributes of 3, 2 and 4 values: 24 series.
InstrumentSpec three_attributes() {
    return {"test.mixed",
            InstrumentKind::counter,
            "{thing}",
            "Things.",
            {{"a", {"a0", "a1", "a2"}}, {"b", {"b0", "b1"}}, {"c", {"c0", "c1", "c2", "c3"}}},
            {}};
}

InstrumentSpec gauge_spec() { return {"test.gauge", InstrumentKind::gauge, "{thing}", "A gauge.", {}, {}}; }

enum class Colour { red, green, blue };

}  // namespace

TEST(Instrument, OffRecordsNothingAndSaysSo) {
    const Instrument off;
    EXPECT_FALSE(off);
    off.record(1.0);
    off.add();
    off.add(0, 1, 2);  // no sink: no check either, and nothing to crash on

    const Instrument null_sink(nullptr, three_attributes());
    EXPECT_FALSE(null_sink);
    null_sink.add(0, 0, 0);
    EXPECT_FALSE(instruments::make(nullptr, instruments::Id::authentication_attempts));
}

TEST(Instrument, RecordingAllocatesNothingOffOrOnWithThePrometheusRegistry) {
    if (!fauth::test::AllocationCounter::available()) GTEST_SKIP() << "allocations cannot be counted here";
    const Instrument off;
    const Instrument null_sink(nullptr, three_attributes());
    const auto registry = std::make_shared<fauth::PrometheusRegistry>();
    const auto attempts = instruments::make(registry, instruments::Id::authentication_attempts);
    const auto duration = instruments::make(registry, instruments::Id::authentication_duration);
    const auto sign_outs = instruments::make(registry, instruments::Id::sign_outs);
    ASSERT_TRUE(attempts);
    fauth::test::AllocationCounter counter;
    for (int i = 0; i < 100; ++i) {
        off.record(1.0);
        off.add(instruments::SchemeValue::bearer, instruments::Result::success, instruments::ErrorType::none);
        null_sink.add(0, 1, 2);
        attempts.add(instruments::SchemeValue::bearer, instruments::Result::failure,
                     instruments::error_type(fauth::ErrorKind::invalid_token));
        duration.record(0.000125, instruments::SchemeValue::bearer, instruments::Result::success);
        sign_outs.add();
        attempts.add(9, 9, 9);  // out of range: refused, also without allocating
    }
    EXPECT_EQ(counter.count(), 0u);
    EXPECT_NE(registry->exposition().find("fauth_sign_outs_total 100\n"), std::string::npos);
}

TEST(Instrument, NumbersSeriesInMixedRadixTheFirstAttributeSlowest) {
    const auto sink = std::make_shared<RecordingSink>();
    const auto spec = three_attributes();
    EXPECT_EQ(spec.series(), 24u);
    const Instrument mixed(sink, spec);
    ASSERT_TRUE(mixed);
    ASSERT_EQ(sink->declared, std::vector<std::string>{"test.mixed"});
    mixed.add(0, 0, 0);
    mixed.add(0, 0, 3);
    mixed.add(0, 1, 0);
    mixed.add(1, 0, 0);
    mixed.record(2.5, 2, 1, 3);
    mixed.record(7, 1, 1, 2);
    EXPECT_EQ(sink->records(),
              (Records{{0, 1.0}, {3, 1.0}, {4, 1.0}, {8, 1.0}, {(2 * 2 + 1) * 4 + 3, 2.5}, {(1 * 2 + 1) * 4 + 2, 7.0}}));
    EXPECT_EQ((2 * 2 + 1) * 4 + 3, 23) << "the last series";
}

TEST(Instrument, TakesEnumeratorsAsIndices) {
    const auto sink = std::make_shared<RecordingSink>();
    const Instrument colours(sink,
                             {"test.colours", InstrumentKind::counter, "{x}", "X.", {{"colour", {"red", "green", "blue"}}}, {}});
    colours.add(Colour::blue);
    colours.record(3, Colour::green);
    EXPECT_EQ(sink->records(), (Records{{2, 1.0}, {1, 3.0}}));
}

TEST(Instrument, WithoutAttributesHasOneSeries) {
    const auto sink = std::make_shared<RecordingSink>();
    const Instrument plain(sink, {"test.plain", InstrumentKind::histogram, "s", "Time.", {}, {0.1, 1}});
    EXPECT_EQ(InstrumentSpec{}.series(), 1u);
    plain.record(0.5);
    plain.add();
    plain.add(0);  // an index it does not have
    EXPECT_EQ(sink->records(), (Records{{0, 0.5}, {0, 1.0}}));
}

TEST(Instrument, AnIndexOutOfRangeOrTheWrongNumberOfThemIsNotRecorded) {
    const auto sink = std::make_shared<RecordingSink>();
    const Instrument mixed(sink, three_attributes());
    mixed.add(3, 0, 0);  // a has 3 values
    mixed.add(0, 2, 0);  // b has 2
    mixed.add(0, 0, 4);  // c has 4
    mixed.add(0, 0);
    mixed.add();
    mixed.add(0, 0, 0, 0);
    mixed.add(-1, 0, 0);  // converted to a huge index
    mixed.record(1.0, 0);
    EXPECT_TRUE(sink->records().empty());
    mixed.add(2, 1, 3);
    EXPECT_EQ(sink->records(), (Records{{23, 1.0}}));
}

TEST(Instrument, RefusesAGaugeSpecAndMoreThanFourAttributes) {
    const auto sink = std::make_shared<RecordingSink>();
    EXPECT_THROW(static_cast<void>(Instrument(sink, gauge_spec())), ConfigError);
    EXPECT_THROW(static_cast<void>(Instrument(nullptr, gauge_spec())), ConfigError) << "a mistake shows even with metrics off";
    auto five = three_attributes();
    five.attributes.push_back({"d", {"d0"}});
    EXPECT_NO_THROW(static_cast<void>(Instrument(sink, five))) << "four are allowed";
    five.attributes.push_back({"e", {"e0"}});
    EXPECT_THROW(static_cast<void>(Instrument(sink, five)), ConfigError);
    auto empty_values = three_attributes();
    empty_values.attributes[1].values.clear();
    EXPECT_THROW(static_cast<void>(Instrument(sink, empty_values)), ConfigError) << "a counter's attribute lists its values";
    EXPECT_EQ(sink->declared, std::vector<std::string>{"test.mixed"}) << "only the valid one reached the sink";
}

TEST(ObserveGauge, RegistersAGaugeAndRefusesAnythingElse) {
    const auto sink = std::make_shared<RecordingSink>();
    EXPECT_EQ(fauth::observe_gauge(nullptr, gauge_spec(), [](const fauth::GaugeEmit&) {}), nullptr) << "off: nothing";
    EXPECT_THROW(fauth::observe_gauge(sink, three_attributes(), [](const fauth::GaugeEmit&) {}), ConfigError);
    auto histogram = three_attributes();
    histogram.kind = InstrumentKind::histogram;
    EXPECT_THROW(fauth::observe_gauge(sink, histogram, [](const fauth::GaugeEmit&) {}), ConfigError);
    EXPECT_TRUE(sink->observed.empty());
    const auto registration = fauth::observe_gauge(sink, gauge_spec(), [](const fauth::GaugeEmit& emit) { emit(4, {}); });
    EXPECT_NE(registration, nullptr);
    ASSERT_EQ(sink->observed, std::vector<std::string>{"test.gauge"});
    double seen = 0;
    sink->observers.at(0)([&](double value, std::span<const std::string_view>) { seen = value; });
    EXPECT_EQ(seen, 4);
}

TEST(Instruments, AreListedInIdOrderUnderTheNamesTheirDocCommentsGive) {
    using instruments::Id;
    // instruments.hpp's comment on each Id names its instrument.
    const std::vector<std::pair<Id, std::string>> named = {
        {Id::authentication_attempts, "fauth.authentication.attempts"},
        {Id::authentication_duration, "fauth.authentication.duration"},
        {Id::authorization_refusals, "fauth.authorization.refusals"},
        {Id::sign_ins, "fauth.sign_ins"},
        {Id::sign_outs, "fauth.sign_outs"},
        {Id::refresh_attempts, "fauth.refresh.attempts"},
        {Id::refresh_rotations, "fauth.refresh.rotations"},
        {Id::refresh_reuse, "fauth.refresh.reuse_detected"},
        {Id::revocations, "fauth.revocations"},
        {Id::throttle_refusals, "fauth.throttle.refusals"},
        {Id::password_queue_depth, "fauth.password.queue.depth"},
        {Id::password_queue_wait, "fauth.password.queue.wait"},
        {Id::password_refusals, "fauth.password.refusals"},
        {Id::store_duration, "fauth.store.duration"},
        {Id::store_failures, "fauth.store.failures"},
        {Id::key_fetches, "fauth.keys.fetches"},
        {Id::key_age, "fauth.keys.age"},
    };
    const auto all = instruments::all();
    ASSERT_EQ(all.size(), named.size());
    for (std::size_t i = 0; i < named.size(); ++i) {
        EXPECT_EQ(static_cast<std::size_t>(named[i].first), i);
        EXPECT_EQ(instruments::spec(named[i].first).name, named[i].second);
        EXPECT_EQ(&instruments::spec(named[i].first), &all[i]) << named[i].second;
    }
    EXPECT_EQ(instruments::spec(Id::password_queue_depth).kind, InstrumentKind::gauge);
    EXPECT_EQ(instruments::spec(Id::key_age).kind, InstrumentKind::gauge);
    EXPECT_EQ(instruments::spec(Id::authentication_duration).kind, InstrumentKind::histogram);
    EXPECT_EQ(instruments::spec(Id::password_queue_wait).kind, InstrumentKind::histogram);
    EXPECT_EQ(instruments::spec(Id::store_duration).kind, InstrumentKind::histogram);
    EXPECT_EQ(instruments::spec(Id::sign_ins).kind, InstrumentKind::counter);
}

TEST(Instruments, EverySpecIsValidAndUsable) {
    const auto sink = std::make_shared<RecordingSink>();
    std::vector<fauth::GaugeRegistration> gauges;
    for (const auto& spec : instruments::all()) {
        SCOPED_TRACE(spec.name);
        EXPECT_EQ(spec.name.rfind("fauth.", 0), 0u);
        EXPECT_FALSE(spec.unit.empty());
        EXPECT_FALSE(spec.description.empty());
        EXPECT_LE(spec.attributes.size(), 4u);
        if (spec.kind == InstrumentKind::histogram) {
            ASSERT_FALSE(spec.buckets.empty());
            for (std::size_t i = 1; i < spec.buckets.size(); ++i) EXPECT_LT(spec.buckets[i - 1], spec.buckets[i]) << i;
            EXPECT_GT(spec.buckets.front(), 0);
            EXPECT_EQ(spec.unit, "s");
        } else {
            EXPECT_TRUE(spec.buckets.empty());
        }
        for (const auto& attribute : spec.attributes) {
            EXPECT_FALSE(attribute.key.empty());
            EXPECT_EQ(attribute.values.empty(), spec.kind == InstrumentKind::gauge) << attribute.key;
            for (std::size_t i = 0; i < attribute.values.size(); ++i)
                for (std::size_t j = i + 1; j < attribute.values.size(); ++j)
                    EXPECT_NE(attribute.values[i], attribute.values[j]) << attribute.key;
        }
        if (spec.kind == InstrumentKind::gauge) {
            EXPECT_THROW(static_cast<void>(Instrument(sink, spec)), ConfigError);
            gauges.push_back(fauth::observe_gauge(sink, spec, [](const fauth::GaugeEmit&) {}));
        } else {
            EXPECT_TRUE(Instrument(sink, spec));
        }
    }
    EXPECT_EQ(sink->observed, (std::vector<std::string>{"fauth.password.queue.depth", "fauth.keys.age"}));
}

TEST(Instruments, EnumerationsNameTheirAttributesValuesInOrder) {
    using instruments::Id;
    const auto& attempts = instruments::spec(Id::authentication_attempts);
    ASSERT_EQ(attempts.attributes.size(), 3u);
    EXPECT_EQ(attempts.attributes[0].key, "fauth.scheme");
    EXPECT_EQ(attempts.attributes[0].values, (std::vector<std::string>{"bearer", "cookie", "api_key", "dpop", "none"}));
    EXPECT_EQ(attempts.attributes[0].values[static_cast<int>(instruments::SchemeValue::none)], "none");
    EXPECT_EQ(attempts.attributes[0].values[static_cast<int>(fauth::Scheme::api_key)], "api_key");
    EXPECT_EQ(attempts.attributes[1].key, "fauth.result");
    EXPECT_EQ(attempts.attributes[1].values, (std::vector<std::string>{"success", "failure"}));
    const auto& errors = attempts.attributes[2];
    EXPECT_EQ(errors.key, "error.type");
    ASSERT_EQ(errors.values.size(), 17u);
    EXPECT_EQ(errors.values[static_cast<int>(instruments::ErrorType::none)], "");
    EXPECT_EQ(errors.values[static_cast<int>(instruments::ErrorType::not_authenticated)], "not_authenticated");
    const std::vector<std::pair<fauth::ErrorKind, std::string>> kinds = {
        {fauth::ErrorKind::invalid_token, "invalid_token"},
        {fauth::ErrorKind::token_expired, "token_expired"},
        {fauth::ErrorKind::invalid_api_key, "invalid_api_key"},
        {fauth::ErrorKind::invalid_credentials, "invalid_credentials"},
        {fauth::ErrorKind::forbidden, "forbidden"},
        {fauth::ErrorKind::bad_request, "bad_request"},
        {fauth::ErrorKind::throttled, "throttled"},
        {fauth::ErrorKind::unavailable, "unavailable"},
        {fauth::ErrorKind::internal, "internal"},
    };
    for (const auto& [kind, name] : kinds)
        EXPECT_EQ(errors.values[static_cast<std::size_t>(instruments::error_type(kind))], name);
    EXPECT_EQ(instruments::spec(Id::sign_ins).attributes[1].values, errors.values);

    const auto value = [](Id id, std::size_t attribute, auto index) {
        return instruments::spec(id).attributes.at(attribute).values.at(static_cast<std::size_t>(index));
    };
    EXPECT_EQ(value(Id::authorization_refusals, 0, instruments::RuleKind::fresh_token), "fresh_token");
    EXPECT_EQ(value(Id::authorization_refusals, 0, instruments::RuleKind::scope), "scope");
    EXPECT_EQ(value(Id::refresh_rotations, 0, instruments::RotationKind::repeat), "repeat");
    EXPECT_EQ(value(Id::revocations, 0, instruments::RevocationKind::revoke_all), "revoke_all");
    EXPECT_EQ(value(Id::revocations, 0, instruments::RevocationKind::reuse), "reuse");
    EXPECT_EQ(value(Id::throttle_refusals, 0, instruments::ThrottleBucket::refresh_family), "refresh_family");
    EXPECT_EQ(value(Id::throttle_refusals, 0, instruments::ThrottleBucket::other), "other");
    EXPECT_EQ(value(Id::store_duration, 0, instruments::StoreKind::redis), "redis");
    EXPECT_EQ(value(Id::store_duration, 1, instruments::StoreOperation::throttle_hit), "throttle_hit");
    EXPECT_EQ(value(Id::store_failures, 1, instruments::StoreOperation::use_refresh), "use_refresh");
    EXPECT_EQ(value(Id::key_fetches, 0, instruments::FetchKind::discovery), "discovery");
    EXPECT_EQ(value(Id::key_fetches, 1, instruments::Result::failure), "failure");
}

TEST(Instruments, ThrottleKeysMapToTheirBuckets) {
    using instruments::ThrottleBucket;
    using instruments::throttle_bucket;
    EXPECT_EQ(throttle_bucket("client:127.0.0.1"), ThrottleBucket::login_client);
    EXPECT_EQ(throttle_bucket("client-identifier:127.0.0.1 0123abcd"), ThrottleBucket::login_client_identifier);
    EXPECT_EQ(throttle_bucket("identifier:0123abcd"), ThrottleBucket::login_identifier);
    EXPECT_EQ(throttle_bucket("device:d-1"), ThrottleBucket::login_device);
    EXPECT_EQ(throttle_bucket("refresh-client:127.0.0.1"), ThrottleBucket::refresh_client);
    EXPECT_EQ(throttle_bucket("family:f-1"), ThrottleBucket::refresh_family);
    EXPECT_EQ(throttle_bucket(""), ThrottleBucket::other);
    EXPECT_EQ(throttle_bucket("client"), ThrottleBucket::other) << "a prefix with its colon";
    EXPECT_EQ(throttle_bucket("my-app:client:1"), ThrottleBucket::other);
    EXPECT_EQ(throttle_bucket("Client:1"), ThrottleBucket::other);
}

TEST(Instruments, StoreKindsMapByName) {
    using instruments::StoreKind;
    EXPECT_EQ(instruments::store_kind("memory"), StoreKind::memory);
    EXPECT_EQ(instruments::store_kind("redis"), StoreKind::redis);
    EXPECT_EQ(instruments::store_kind("other"), StoreKind::other);
    EXPECT_EQ(instruments::store_kind("postgres"), StoreKind::other);
    EXPECT_EQ(instruments::store_kind("Redis"), StoreKind::other);
    EXPECT_EQ(instruments::store_kind(""), StoreKind::other);
}
