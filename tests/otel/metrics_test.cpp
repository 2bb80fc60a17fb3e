// The OpenTelemetry adapter (fauth/otel/metrics.hpp) against opentelemetry-cpp's SDK: a MeterProvider
// with a reader of the test's own, read after known records, as an OTLP exporter would read it.
#include "fauth/otel/metrics.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <opentelemetry/sdk/metrics/aggregation/aggregation_config.h>
#include <opentelemetry/sdk/metrics/export/metric_producer.h>
#include <opentelemetry/sdk/metrics/meter_provider.h>
#include <opentelemetry/sdk/metrics/metric_reader.h>
#include <opentelemetry/sdk/metrics/view/instrument_selector_factory.h>
#include <opentelemetry/sdk/metrics/view/meter_selector_factory.h>
#include <opentelemetry/sdk/metrics/view/view_factory.h>

#include "fauth/core/errors.hpp"
#include "fauth/core/instruments.hpp"
#include "support/test_app.hpp"

namespace sdk = opentelemetry::sdk::metrics;
namespace nostd = opentelemetry::nostd;
using fauth::InstrumentKind;
using fauth::InstrumentSpec;
using fauth::otel::OtelMetricsSink;
namespace instruments = fauth::instruments;

namespace {

// A pull reader: collects when the test asks, cumulative like a Prometheus scrape.
class TestReader final : public sdk::MetricReader {
public:
    sdk::AggregationTemporality GetAggregationTemporality(sdk::InstrumentType) const noexcept override {
        return sdk::AggregationTemporality::kCumulative;
    }

private:
    bool OnForceFlush(std::chrono::microseconds) noexcept override { return true; }
    bool OnShutDown(std::chrono::microseconds) noexcept override { return true; }
};

using Attributes = std::map<std::string, std::string>;

// One point of a collection, its attributes as strings.
struct Point {
    Attributes attributes;
    sdk::PointType data;
};

// One metric of a collection.
struct Metric {
    std::string scope, scope_version, name, unit, description;
    std::vector<Point> points;

    // The point with exactly these attributes; fails the test when there is none.
    const Point* at(const Attributes& attributes) const {
        for (const auto& point : points)
            if (point.attributes == attributes) return &point;
        ADD_FAILURE() << name << " has no point with the attributes asked for (" << points.size() << " points)";
        return nullptr;
    }
    // A counter's value at these attributes (-1 when absent).
    double sum(const Attributes& attributes) const {
        const auto* point = at(attributes);
        if (point == nullptr) return -1;
        return nostd::get<double>(nostd::get<sdk::SumPointData>(point->data).value_);
    }
};

struct Fixture {
    std::shared_ptr<sdk::MeterProvider> provider = std::make_shared<sdk::MeterProvider>();
    std::shared_ptr<TestReader> reader = std::make_shared<TestReader>();
    Fixture() {
        // fauth's histograms with their own buckets: the view a service adds (docs/guides/metrics.md).
        for (const auto& spec : instruments::all()) {
            if (spec.kind != InstrumentKind::histogram) continue;
            auto buckets = std::make_shared<sdk::HistogramAggregationConfig>();
            buckets->boundaries_ = spec.buckets;
            provider->AddView(sdk::InstrumentSelectorFactory::Create(sdk::InstrumentType::kHistogram, spec.name, spec.unit),
                              sdk::MeterSelectorFactory::Create(std::string(OtelMetricsSink::meter_name), "", ""),
                              sdk::ViewFactory::Create("", "", spec.unit, sdk::AggregationType::kHistogram, buckets));
        }
        provider->AddMetricReader(reader);
    }

    // Every metric the reader collects now, by name.
    std::map<std::string, Metric> collect() {
        std::map<std::string, Metric> out;
        reader->Collect([&](sdk::ResourceMetrics& resource) {
            for (const auto& scope : resource.scope_metric_data_) {
                for (const auto& data : scope.metric_data_) {
                    auto& metric = out[data.instrument_descriptor.name_];
                    metric.scope = scope.scope_->GetName();
                    metric.scope_version = scope.scope_->GetVersion();
                    metric.name = data.instrument_descriptor.name_;
                    metric.unit = data.instrument_descriptor.unit_;
                    metric.description = data.instrument_descriptor.description_;
                    for (const auto& point : data.point_data_attr_) {
                        Point p{{}, point.point_data};
                        for (const auto& [key, value] : point.attributes) p.attributes[key] = nostd::get<std::string>(value);
                        metric.points.push_back(std::move(p));
                    }
                }
            }
            return true;
        });
        return out;
    }
};

}  // namespace

TEST(OtelMetricsSink, CountersAddUpPerSeriesAndLeaveEmptyValuesOut) {
    Fixture f;
    const auto sink = std::make_shared<OtelMetricsSink>(*f.provider);
    const auto attempts = instruments::make(sink, instruments::Id::authentication_attempts);
    using instruments::ErrorType;
    using instruments::Result;
    using instruments::SchemeValue;
    attempts.add(SchemeValue::bearer, Result::success, ErrorType::none);
    attempts.add(SchemeValue::bearer, Result::success, ErrorType::none);
    attempts.add(SchemeValue::bearer, Result::failure, instruments::error_type(fauth::ErrorKind::token_expired));
    attempts.record(3.0, SchemeValue::none, Result::failure, ErrorType::not_authenticated);
    attempts.record(-1.0, SchemeValue::bearer, Result::success, ErrorType::none);  // a counter only grows: ignored
    attempts.add(0, 0, 99);                                                        // out of range: ignored

    auto metrics = f.collect();
    ASSERT_EQ(metrics.count("fauth.authentication.attempts"), 1u);
    const auto& m = metrics["fauth.authentication.attempts"];
    EXPECT_EQ(m.scope, "fauth");
    EXPECT_FALSE(m.scope_version.empty()) << "the meter carries fauth's version";
    EXPECT_EQ(m.unit, "{attempt}");
    EXPECT_EQ(m.description, instruments::spec(instruments::Id::authentication_attempts).description);
    ASSERT_EQ(m.points.size(), 3u);
    EXPECT_EQ(m.sum({{"fauth.scheme", "bearer"}, {"fauth.result", "success"}}), 2) << "error.type \"\" is left out";
    EXPECT_EQ(m.sum({{"fauth.scheme", "bearer"}, {"fauth.result", "failure"}, {"error.type", "token_expired"}}), 1);
    EXPECT_EQ(m.sum({{"fauth.scheme", "none"}, {"fauth.result", "failure"}, {"error.type", "not_authenticated"}}), 3);
    ASSERT_NE(m.at({{"fauth.scheme", "bearer"}, {"fauth.result", "success"}}), nullptr);
    EXPECT_TRUE(
        nostd::get<sdk::SumPointData>(m.at({{"fauth.scheme", "bearer"}, {"fauth.result", "success"}})->data).is_monotonic_);

    // Cumulative: a second collection adds to the first.
    attempts.add(SchemeValue::bearer, Result::success, ErrorType::none);
    EXPECT_EQ(f.collect()["fauth.authentication.attempts"].sum({{"fauth.scheme", "bearer"}, {"fauth.result", "success"}}), 3);
}

TEST(OtelMetricsSink, ANameTwiceIsOneInstrumentAndAnotherSpecIsRefused) {
    Fixture f;
    const auto sink = std::make_shared<OtelMetricsSink>(*f.provider);
    const auto& spec = instruments::spec(instruments::Id::sign_outs);
    const auto first = sink->instrument(spec);
    EXPECT_EQ(sink->instrument(spec), first) << "two engines sharing a sink share their counts";
    first->record(0, 1);
    instruments::make(sink, instruments::Id::sign_outs).add();
    const auto metrics = f.collect();
    ASSERT_EQ(metrics.count("fauth.sign_outs"), 1u);
    EXPECT_EQ(metrics.at("fauth.sign_outs").sum({}), 2);

    auto other = spec;
    other.unit = "{logout}";
    EXPECT_THROW(sink->instrument(other), fauth::ConfigError);
    auto bad = spec;
    bad.name = "9fauth.sign_outs";
    EXPECT_THROW(sink->instrument(bad), fauth::ConfigError) << "OpenTelemetry's SDK would make it a no-op in silence";
    bad.name = "fauth.sign outs";
    EXPECT_THROW(sink->instrument(bad), fauth::ConfigError);
    EXPECT_THROW(sink->instrument(instruments::spec(instruments::Id::key_age)), fauth::ConfigError) << "a gauge is observed";
    EXPECT_THROW(sink->observe(spec, [](const fauth::GaugeEmit&) {}), fauth::ConfigError) << "a counter is not";
    EXPECT_THROW(OtelMetricsSink(nostd::shared_ptr<opentelemetry::metrics::Meter>()), fauth::ConfigError);
}

TEST(OtelMetricsSink, HistogramsCountAndSumWithTheBucketsOfTheirView) {
    Fixture f;
    const auto sink = std::make_shared<OtelMetricsSink>(*f.provider);
    const auto duration = instruments::make(sink, instruments::Id::authentication_duration);
    using instruments::Result;
    using instruments::SchemeValue;
    duration.record(0.001, SchemeValue::bearer, Result::success);
    duration.record(0.003, SchemeValue::bearer, Result::success);
    duration.record(2.0, SchemeValue::cookie, Result::failure);

    auto metrics = f.collect();
    ASSERT_EQ(metrics.count("fauth.authentication.duration"), 1u);
    const auto& m = metrics["fauth.authentication.duration"];
    EXPECT_EQ(m.unit, "s");
    ASSERT_EQ(m.points.size(), 2u);
    const auto* point = m.at({{"fauth.scheme", "bearer"}, {"fauth.result", "success"}});
    ASSERT_NE(point, nullptr);
    const auto& histogram = nostd::get<sdk::HistogramPointData>(point->data);
    EXPECT_EQ(histogram.count_, 2u);
    EXPECT_DOUBLE_EQ(nostd::get<double>(histogram.sum_), 0.004);
    const auto& buckets = instruments::spec(instruments::Id::authentication_duration).buckets;
    ASSERT_EQ(histogram.boundaries_, buckets) << "the view gives the spec's buckets";
    ASSERT_EQ(histogram.counts_.size(), buckets.size() + 1);
    for (std::size_t b = 0; b < buckets.size(); ++b) {
        // Each value in the first bucket whose bound is not below it.
        const auto expected = (b == 7 ? 1u : 0u) + (b == 9 ? 1u : 0u);  // 1e-3 is bound 7, 3e-3 falls in (2.5e-3, 5e-3]
        EXPECT_EQ(histogram.counts_[b], expected) << "bucket " << b << " (le " << buckets[b] << ")";
    }
    const auto* slow = m.at({{"fauth.scheme", "cookie"}, {"fauth.result", "failure"}});
    ASSERT_NE(slow, nullptr);
    EXPECT_EQ(nostd::get<sdk::HistogramPointData>(slow->data).count_, 1u);
    EXPECT_DOUBLE_EQ(nostd::get<double>(nostd::get<sdk::HistogramPointData>(slow->data).sum_), 2.0);
}

TEST(OtelMetricsSink, AGaugeIsObservedAtEachCollectionUntilReleased) {
    Fixture f;
    const auto sink = std::make_shared<OtelMetricsSink>(*f.provider);
    const InstrumentSpec spec{"fauth.test.age", InstrumentKind::gauge, "s", "Age.", {{"fauth.keys.url", {}}, {"x", {}}}, {}};
    int calls = 0;
    auto registration = fauth::observe_gauge(sink, spec, [&](const fauth::GaugeEmit& emit) {
        ++calls;
        const std::string_view a[] = {"https://a.example/jwks", ""};
        const std::string_view b[] = {"https://b.example/jwks", "y"};
        const std::string_view wrong[] = {"only one"};
        emit(42.0, a);
        emit(7.5, b);
        emit(1.0, wrong);  // not one value per attribute: left out
    });
    EXPECT_EQ(calls, 0) << "called when read, not before";
    auto metrics = f.collect();
    EXPECT_EQ(calls, 1);
    ASSERT_EQ(metrics.count("fauth.test.age"), 1u);
    const auto& m = metrics["fauth.test.age"];
    EXPECT_EQ(m.unit, "s");
    ASSERT_EQ(m.points.size(), 2u);
    const auto value = [](const Point* point) {
        return point == nullptr ? -1 : nostd::get<double>(nostd::get<sdk::LastValuePointData>(point->data).value_);
    };
    EXPECT_EQ(value(m.at({{"fauth.keys.url", "https://a.example/jwks"}})), 42.0) << "\"\" left out";
    EXPECT_EQ(value(m.at({{"fauth.keys.url", "https://b.example/jwks"}, {"x", "y"}})), 7.5);

    // A second registration of the same gauge adds its series; an observer that throws loses its own.
    auto second = fauth::observe_gauge(sink, spec, [](const fauth::GaugeEmit& emit) {
        const std::string_view c[] = {"https://c.example/jwks", ""};
        emit(1.0, c);
    });
    auto throwing = fauth::observe_gauge(sink, spec, [](const fauth::GaugeEmit&) { throw std::runtime_error("no answer"); });
    metrics = f.collect();
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(value(metrics["fauth.test.age"].at({{"fauth.keys.url", "https://c.example/jwks"}})), 1.0);

    registration.reset();
    second.reset();
    throwing.reset();
    f.collect();
    f.collect();
    EXPECT_EQ(calls, 2) << "released: not called again";
}

TEST(OtelMetricsSink, AGaugeRegistrationOutlivesItsSink) {
    Fixture f;
    int calls = 0;
    fauth::GaugeRegistration registration;
    {
        const auto sink = std::make_shared<OtelMetricsSink>(*f.provider);
        registration = fauth::observe_gauge(sink, instruments::spec(instruments::Id::password_queue_depth),
                                            [&](const fauth::GaugeEmit& emit) {
                                                ++calls;
                                                emit(3, {});
                                            });
    }
    auto metrics = f.collect();
    EXPECT_EQ(calls, 1);
    ASSERT_EQ(metrics.count("fauth.password.queue.depth"), 1u);
    ASSERT_EQ(metrics["fauth.password.queue.depth"].points.size(), 1u);
    registration.reset();
    f.collect();
    EXPECT_EQ(calls, 1);
}

// A service may end its MeterProvider before fauth's objects: recording and releasing are then harmless.
TEST(OtelMetricsSink, InstrumentsAndRegistrationsOutliveTheProvider) {
    auto provider = std::make_shared<sdk::MeterProvider>();
    auto reader = std::make_shared<TestReader>();
    provider->AddMetricReader(reader);
    auto sink = std::make_shared<OtelMetricsSink>(*provider);
    const auto attempts = instruments::make(sink, instruments::Id::authentication_attempts);
    const auto duration = instruments::make(sink, instruments::Id::authentication_duration);
    int calls = 0;
    auto registration =
        fauth::observe_gauge(sink, instruments::spec(instruments::Id::password_queue_depth), [&](const fauth::GaugeEmit& emit) {
            ++calls;
            emit(1, {});
        });
    reader.reset();
    provider.reset();
    sink.reset();
    attempts.add(instruments::SchemeValue::bearer, instruments::Result::success, instruments::ErrorType::none);
    duration.record(0.001, instruments::SchemeValue::bearer, instruments::Result::success);
    registration.reset();
    EXPECT_EQ(calls, 0);
}

// The adapter in place: a provider whose TokenConfig::metrics is the sink, and guarded requests.
TEST(OtelMetricsSink, AGuardedRequestIsCountedThroughTheProvidersSink) {
    Fixture f;
    auto config = fauth::test::TestApp::default_config();
    config.tokens.metrics = std::make_shared<OtelMetricsSink>(*f.provider);
    fauth::test::TestApp app(2, config);
    const auto token = app.auth().login("user-456").access_token;
    ASSERT_EQ(app.client().with_bearer(token).get("/me").status, 200);
    ASSERT_EQ(app.client().with_bearer(token).get("/me").status, 200);
    ASSERT_EQ(app.client().get("/me").status, 401);

    auto metrics = f.collect();
    ASSERT_EQ(metrics.count("fauth.authentication.attempts"), 1u);
    const auto& attempts = metrics["fauth.authentication.attempts"];
    EXPECT_EQ(attempts.sum({{"fauth.scheme", "bearer"}, {"fauth.result", "success"}}), 2);
    EXPECT_EQ(attempts.sum({{"fauth.scheme", "none"}, {"fauth.result", "failure"}, {"error.type", "not_authenticated"}}), 1);
    ASSERT_EQ(metrics.count("fauth.authentication.duration"), 1u);
    const auto* timed = metrics["fauth.authentication.duration"].at({{"fauth.scheme", "bearer"}, {"fauth.result", "success"}});
    ASSERT_NE(timed, nullptr);
    EXPECT_EQ(nostd::get<sdk::HistogramPointData>(timed->data).count_, 2u);
    ASSERT_EQ(metrics.count("fauth.password.queue.depth"), 1u) << "the engine's gauge is observed";
    ASSERT_EQ(metrics["fauth.password.queue.depth"].points.size(), 1u);
    EXPECT_EQ(nostd::get<double>(
                  nostd::get<sdk::LastValuePointData>(metrics["fauth.password.queue.depth"].points[0].data).value_),
              0.0);
}
