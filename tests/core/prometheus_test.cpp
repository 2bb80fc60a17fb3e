// The built-in sink (fauth/core/prometheus.hpp): Prometheus's text exposition format to the byte
// (names, units, _total, labels and their escaping, cumulative histogram buckets), gauges observed
// at each exposition, declarations shared or refused, and exact sums under concurrent recording.
#include "fauth/core/prometheus.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fauth/core/errors.hpp"
#include "fauth/core/instruments.hpp"

using fauth::ConfigError;
using fauth::Instrument;
using fauth::InstrumentKind;
using fauth::InstrumentSpec;
using fauth::PrometheusRegistry;

namespace {

// The lines of metric family `name` in `text`: from its "# HELP" line to the next family's.
std::string family(const std::string& text, const std::string& name) {
    const auto begin = text.find("# HELP " + name + " ");
    if (begin == std::string::npos) return "(no family " + name + ")";
    const auto end = text.find("# HELP ", begin + 1);
    return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

InstrumentSpec counter_with_labels() {
    return {"test.requests",
            InstrumentKind::counter,
            "{request}",
            "Requests served.",
            {{"http.method", {"GET", "POST"}}, {"outcome", {"", "ok", "bad"}}},
            {}};
}

// The value of the line for `series` (its name and labels) in `text`, or -1 when there is none.
double value(const std::string& text, const std::string& series) {
    const auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

TEST(PrometheusRegistry, ACounterWithLabelsShowsTheSeriesRecordedLeavingEmptyValuesOut) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    const Instrument requests(registry, counter_with_labels());
    EXPECT_EQ(family(registry->exposition(), "test_requests_total"),
              "# HELP test_requests_total Requests served.\n"
              "# TYPE test_requests_total counter\n")
        << "declared, no series until one is recorded";
    requests.add(0, 0);
    requests.add(0, 0);
    requests.record(1.5, 1, 1);
    requests.add(1, 2);
    requests.record(0, 0, 2);  // zero: still not shown
    EXPECT_EQ(family(registry->exposition(), "test_requests_total"),
              "# HELP test_requests_total Requests served.\n"
              "# TYPE test_requests_total counter\n"
              "test_requests_total{http_method=\"GET\"} 2\n"
              "test_requests_total{http_method=\"POST\",outcome=\"ok\"} 1.5\n"
              "test_requests_total{http_method=\"POST\",outcome=\"bad\"} 1\n");
}

TEST(PrometheusRegistry, ACounterWithoutLabelsShowsZeroFromTheStart) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    const Instrument plain(registry, {"test.plain", InstrumentKind::counter, "{event}", "Events.", {}, {}});
    EXPECT_EQ(family(registry->exposition(), "test_plain_total"),
              "# HELP test_plain_total Events.\n# TYPE test_plain_total counter\ntest_plain_total 0\n");
    plain.add();
    plain.record(2);
    plain.record(-5);  // a counter only grows
    EXPECT_EQ(family(registry->exposition(), "test_plain_total"),
              "# HELP test_plain_total Events.\n# TYPE test_plain_total counter\ntest_plain_total 3\n");
}

TEST(PrometheusRegistry, AHistogramHasCumulativeBucketsInfSumAndCount) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    const Instrument latency(registry,
                             {"test.latency", InstrumentKind::histogram, "s", "Latency.", {}, {1e-05, 0.25, 0.5, 1, 2.5}});
    EXPECT_EQ(family(registry->exposition(), "test_latency_seconds"),
              "# HELP test_latency_seconds Latency.\n"
              "# TYPE test_latency_seconds histogram\n"
              "test_latency_seconds_bucket{le=\"1e-05\"} 0\n"
              "test_latency_seconds_bucket{le=\"0.25\"} 0\n"
              "test_latency_seconds_bucket{le=\"0.5\"} 0\n"
              "test_latency_seconds_bucket{le=\"1\"} 0\n"
              "test_latency_seconds_bucket{le=\"2.5\"} 0\n"
              "test_latency_seconds_bucket{le=\"+Inf\"} 0\n"
              "test_latency_seconds_sum 0\n"
              "test_latency_seconds_count 0\n")
        << "without labels it is shown before any value";
    latency.record(0.125);
    latency.record(0.5);  // on a bound: in that bucket (le is "less or equal")
    latency.record(0.75);
    latency.record(4);
    EXPECT_EQ(family(registry->exposition(), "test_latency_seconds"),
              "# HELP test_latency_seconds Latency.\n"
              "# TYPE test_latency_seconds histogram\n"
              "test_latency_seconds_bucket{le=\"1e-05\"} 0\n"
              "test_latency_seconds_bucket{le=\"0.25\"} 1\n"
              "test_latency_seconds_bucket{le=\"0.5\"} 2\n"
              "test_latency_seconds_bucket{le=\"1\"} 3\n"
              "test_latency_seconds_bucket{le=\"2.5\"} 3\n"
              "test_latency_seconds_bucket{le=\"+Inf\"} 4\n"
              "test_latency_seconds_sum 5.375\n"
              "test_latency_seconds_count 4\n");
}

TEST(PrometheusRegistry, AHistogramsLabelsComeBeforeLe) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    const Instrument
        sizes(registry, {"test.body.size", InstrumentKind::histogram, "By", "Body sizes.", {{"route", {"a", "b"}}}, {100, 1000}});
    sizes.record(50, 1);
    sizes.record(5000, 1);
    EXPECT_EQ(family(registry->exposition(), "test_body_size_bytes"),
              "# HELP test_body_size_bytes Body sizes.\n"
              "# TYPE test_body_size_bytes histogram\n"
              "test_body_size_bytes_bucket{route=\"b\",le=\"100\"} 1\n"
              "test_body_size_bytes_bucket{route=\"b\",le=\"1000\"} 1\n"
              "test_body_size_bytes_bucket{route=\"b\",le=\"+Inf\"} 2\n"
              "test_body_size_bytes_sum{route=\"b\"} 5050\n"
              "test_body_size_bytes_count{route=\"b\"} 2\n")
        << "route a was never recorded";
}

TEST(PrometheusRegistry, AGaugeIsObservedAtEachExpositionUntilReleased) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    const InstrumentSpec spec{"test.pool.size", InstrumentKind::gauge, "{connection}", "Open connections.", {{"pool", {}}}, {}};
    double x = 3;
    auto handle = fauth::observe_gauge(registry, spec, [&x](const fauth::GaugeEmit& emit) {
        const std::string_view first[] = {"x"};
        emit(x, first);
        const std::string_view second[] = {"y"};
        emit(4.5, second);
        const std::string_view wrong[] = {"y", "z"};
        emit(9, wrong);  // not the gauge's attributes: left out
    });
    const std::string help = "# HELP test_pool_size Open connections.\n# TYPE test_pool_size gauge\n";
    EXPECT_EQ(family(registry->exposition(), "test_pool_size"),
              help + "test_pool_size{pool=\"x\"} 3\ntest_pool_size{pool=\"y\"} 4.5\n");
    x = 7;
    EXPECT_EQ(family(registry->exposition(), "test_pool_size"),
              help + "test_pool_size{pool=\"x\"} 7\ntest_pool_size{pool=\"y\"} 4.5\n");
    handle.reset();
    EXPECT_EQ(family(registry->exposition(), "test_pool_size"), help) << "released: no series, still declared";
}

TEST(PrometheusRegistry, AnObserverThatThrowsLeavesItsSeriesOut) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    const auto handle = fauth::observe_gauge(registry, {"test.broken", InstrumentKind::gauge, "{x}", "Broken.", {}, {}},
                                             [](const fauth::GaugeEmit&) { throw std::runtime_error("down"); });
    std::string text;
    ASSERT_NO_THROW(text = registry->exposition());
    EXPECT_EQ(family(text, "test_broken"), "# HELP test_broken Broken.\n# TYPE test_broken gauge\n");
}

TEST(PrometheusRegistry, HandlesAndStorageOutliveTheRegistryHarmlessly) {
    auto registry = std::make_shared<PrometheusRegistry>();
    int calls = 0;
    auto handle = fauth::observe_gauge(registry, {"test.depth", InstrumentKind::gauge, "{x}", "Depth.", {}, {}},
                                       [&calls](const fauth::GaugeEmit& emit) {
                                           ++calls;
                                           emit(1, {});
                                       });
    const Instrument counter(registry, {"test.after", InstrumentKind::counter, "{x}", "After.", {}, {}});
    EXPECT_NE(registry->exposition().find("test_depth 1\n"), std::string::npos);
    EXPECT_EQ(calls, 1);
    registry.reset();
    counter.add();   // its storage is the instrument's too
    handle.reset();  // the registry is gone: nothing to unregister from
    EXPECT_EQ(calls, 1);
}

TEST(PrometheusRegistry, EscapesLabelValuesAndHelp) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    const Instrument odd(registry, {"test.odd",
                                    InstrumentKind::counter,
                                    "{x}",
                                    "Back\\slash, \"quotes\" and a\nnew line.",
                                    {{"value", {"a\\b\"c\nd"}}},
                                    {}});
    odd.add(0);
    EXPECT_EQ(family(registry->exposition(), "test_odd_total"),
              "# HELP test_odd_total Back\\\\slash, \"quotes\" and a\\nnew line.\n"
              "# TYPE test_odd_total counter\n"
              "test_odd_total{value=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(PrometheusRegistry, MapsNamesAndUnitsAsOpenTelemetryDoes) {
    const auto name = [](std::string dotted, std::string unit, InstrumentKind kind = InstrumentKind::counter) {
        return PrometheusRegistry::metric_name({std::move(dotted), kind, std::move(unit), "x", {}, {}});
    };
    EXPECT_EQ(name("fauth.authentication.duration", "s", InstrumentKind::histogram), "fauth_authentication_duration_seconds");
    EXPECT_EQ(name("http.body", "By"), "http_body_bytes");
    EXPECT_EQ(name("fauth.sign_ins", "{sign_in}"), "fauth_sign_ins") << "a count's noun adds nothing";
    EXPECT_EQ(name("a-b/c", "{x}"), "a_b_c");
    EXPECT_EQ(name("plain", ""), "plain");
    const auto registry = std::make_shared<PrometheusRegistry>();
    const Instrument bytes(registry, {"test.sent", InstrumentKind::counter, "By", "Sent.", {}, {}});
    const auto text = registry->exposition();
    EXPECT_NE(text.find("# TYPE test_sent_bytes_total counter\ntest_sent_bytes_total 0\n"), std::string::npos)
        << "a counter's unit, then _total";
    EXPECT_NE(text.find("# TYPE fauth_authentication_duration_seconds histogram\n"), std::string::npos);
    EXPECT_NE(text.find("# TYPE fauth_sign_ins_total counter\n"), std::string::npos);
}

TEST(PrometheusRegistry, DeclaringANameAgainWithTheSameSpecSharesItsStorage) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    const auto a = registry->instrument(counter_with_labels());
    const auto b = registry->instrument(counter_with_labels());
    EXPECT_EQ(a, b);
    const Instrument one(registry, counter_with_labels());
    const Instrument two(registry, counter_with_labels());
    one.add(0, 1);
    two.add(0, 1);
    const auto text = registry->exposition();
    EXPECT_NE(text.find("test_requests_total{http_method=\"GET\",outcome=\"ok\"} 2\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("# HELP test_requests_total"), text.rfind("# HELP test_requests_total")) << "declared once";
    // fauth's own instruments are declared at construction; an engine's are the same storage.
    const auto sign_outs = fauth::instruments::make(registry, fauth::instruments::Id::sign_outs);
    sign_outs.add();
    fauth::instruments::make(registry, fauth::instruments::Id::sign_outs).add();
    EXPECT_NE(registry->exposition().find("fauth_sign_outs_total 2\n"), std::string::npos);
}

TEST(PrometheusRegistry, DeclaringANameAgainWithAnotherSpecThrows) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    static_cast<void>(registry->instrument(counter_with_labels()));
    auto other = counter_with_labels();
    other.unit = "s";
    EXPECT_THROW(static_cast<void>(registry->instrument(other)), ConfigError);
    other = counter_with_labels();
    other.kind = InstrumentKind::histogram;
    other.buckets = {1};
    EXPECT_THROW(static_cast<void>(registry->instrument(other)), ConfigError);
    other = counter_with_labels();
    other.attributes[1].values.push_back("worse");
    EXPECT_THROW(static_cast<void>(registry->instrument(other)), ConfigError);
    other = counter_with_labels();
    other.attributes[0].key = "method";
    EXPECT_THROW(static_cast<void>(registry->instrument(other)), ConfigError);
    other = counter_with_labels();
    other.kind = InstrumentKind::gauge;
    EXPECT_THROW(static_cast<void>(registry->observe(other, [](const fauth::GaugeEmit&) {})), ConfigError);
    auto sign_outs = fauth::instruments::spec(fauth::instruments::Id::sign_outs);
    sign_outs.description = "Something else.";
    EXPECT_THROW(static_cast<void>(registry->instrument(sign_outs)), ConfigError) << "fauth's names are taken";
    EXPECT_THROW(static_cast<void>(registry->instrument(fauth::instruments::spec(fauth::instruments::Id::password_queue_depth))),
                 ConfigError)
        << "a gauge is observed, not recorded";
}

TEST(PrometheusRegistry, RefusesNamesAndLabelsPrometheusCannotTake) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    const auto spec = [](std::string name, std::string key = "") {
        InstrumentSpec s{std::move(name), InstrumentKind::counter, "{x}", "X.", {}, {}};
        if (!key.empty()) s.attributes.push_back({std::move(key), {"v"}});
        return s;
    };
    EXPECT_THROW(static_cast<void>(registry->instrument(spec("9lives"))), ConfigError);
    EXPECT_THROW(static_cast<void>(registry->instrument(spec(""))), ConfigError);
    EXPECT_THROW(static_cast<void>(registry->instrument(spec("test.le", "le"))), ConfigError);
    EXPECT_THROW(static_cast<void>(registry->instrument(spec("test.reserved", "__name"))), ConfigError);
    EXPECT_THROW(static_cast<void>(registry->instrument(spec("test.digit", "1st"))), ConfigError);
    EXPECT_NO_THROW(static_cast<void>(registry->instrument(spec("test.fine", "fauth.ok"))));
    const auto text = registry->exposition();
    EXPECT_EQ(text.find("9lives"), std::string::npos) << "refused declarations leave nothing behind";
    EXPECT_EQ(text.find("test_le"), std::string::npos);
    EXPECT_NE(text.find("# TYPE test_fine_total counter\n"), std::string::npos);
}

TEST(PrometheusRegistry, TwoNamesMappedToOneMetricNameAreRefused) {
    // "test.a_b" and "test.a.b" both become test_a_b_total: the exposition would hold that family
    // twice (two HELP and TYPE lines), which Prometheus refuses.
    const auto registry = std::make_shared<PrometheusRegistry>();
    static_cast<void>(registry->instrument({"test.a_b", InstrumentKind::counter, "{x}", "X.", {}, {}}));
    EXPECT_THROW(static_cast<void>(registry->instrument({"test.a.b", InstrumentKind::counter, "{x}", "X.", {}, {}})),
                 ConfigError);
}

TEST(PrometheusRegistry, EveryFauthInstrumentHasHelpAndTypeInAFreshRegistry) {
    const PrometheusRegistry registry;
    const auto text = registry.exposition();
    for (const auto& spec : fauth::instruments::all()) {
        const bool counter = spec.kind == InstrumentKind::counter;
        const auto name = PrometheusRegistry::metric_name(spec) + (counter ? "_total" : "");
        const auto type = counter ? "counter" : spec.kind == InstrumentKind::histogram ? "histogram" : "gauge";
        EXPECT_NE(text.find("# HELP " + name + " " + spec.description + "\n# TYPE " + name + " " + type + "\n"),
                  std::string::npos)
            << name;
        EXPECT_EQ(name.rfind("fauth_", 0), 0u);
    }
    // Counters without attributes show 0, the histogram without attributes its empty buckets;
    // nothing else has a series yet.
    EXPECT_NE(text.find("\nfauth_sign_outs_total 0\n"), std::string::npos);
    EXPECT_NE(text.find("\nfauth_refresh_reuse_detected_total 0\n"), std::string::npos);
    EXPECT_NE(text.find("\nfauth_password_refusals_total 0\n"), std::string::npos);
    EXPECT_NE(text.find("\nfauth_password_queue_wait_seconds_count 0\n"), std::string::npos);
    EXPECT_NE(text.find("\nfauth_password_queue_wait_seconds_bucket{le=\"10\"} 0\n"), std::string::npos);
    EXPECT_EQ(text.find("fauth_authentication_attempts_total{"), std::string::npos);
    EXPECT_EQ(text.find("\nfauth_password_queue_depth"), std::string::npos) << "no engine observes it";
    std::size_t families = 0;
    for (std::size_t at = text.find("# TYPE "); at != std::string::npos; at = text.find("# TYPE ", at + 1)) ++families;
    EXPECT_EQ(families, fauth::instruments::all().size());
    EXPECT_EQ(PrometheusRegistry::content_type, "text/plain; version=0.0.4; charset=utf-8");
}

TEST(PrometheusRegistry, ConcurrentRecordingSumsExactly) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    const Instrument counter(registry, {"test.concurrent", InstrumentKind::counter, "{x}", "X.", {{"k", {"a", "b"}}}, {}});
    const Instrument histogram(registry, {"test.spread", InstrumentKind::histogram, "s", "Y.", {}, {0.5}});
    constexpr int threads = 4;
    constexpr int adds = 100000;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            for (int i = 0; i < adds; ++i) {
                counter.add(t % 2);
                histogram.record(i % 2 == 0 ? 0.25 : 1.0);
            }
        });
    std::string during = registry->exposition();  // reading while they record is safe
    for (auto& w : workers) w.join();
    const auto text = registry->exposition();
    // Compared as numbers: 4e+05 is how std::to_chars writes 400000 (valid in the format).
    EXPECT_EQ(value(text, "test_concurrent_total{k=\"a\"}"), 200000) << family(text, "test_concurrent_total");
    EXPECT_EQ(value(text, "test_concurrent_total{k=\"b\"}"), 200000);
    EXPECT_EQ(value(text, "test_spread_seconds_bucket{le=\"0.5\"}"), 200000) << family(text, "test_spread_seconds");
    EXPECT_EQ(value(text, "test_spread_seconds_bucket{le=\"+Inf\"}"), 400000);
    EXPECT_EQ(value(text, "test_spread_seconds_sum"), 250000);
    EXPECT_EQ(value(text, "test_spread_seconds_count"), 400000);
    EXPECT_FALSE(during.empty());
}
