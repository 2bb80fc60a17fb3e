/// @file
/// fauth/otel/metrics.hpp — the OpenTelemetry adapter: fauth's instruments (fauth/core/instruments.hpp)
/// recorded through an OpenTelemetry Meter, so that a service that already exports OTLP (or any
/// other reader of opentelemetry-cpp's SDK) gets them beside its own. Link fauth::otel; it is built
/// when CMake finds opentelemetry-cpp (Debian 13: libopentelemetry-cpp-dev) and uses its API only:
/// the SDK, its readers and exporters are the service's choice.
///
///     auto provider = ...;  // the service's opentelemetry::sdk::metrics::MeterProvider
///     config.tokens.metrics = std::make_shared<fauth::otel::OtelMetricsSink>(*provider);
///
/// Histogram buckets: the OpenTelemetry C++ API has no way to advise them (no advisory parameters),
/// so the SDK's views choose them; without a view the SDK's default boundaries (0 to 10000) apply,
/// made for milliseconds. Give each of fauth's histograms a view with its InstrumentSpec::buckets
/// (docs/guides/metrics.md shows how).
#pragma once

#include <memory>
#include <string_view>

#include <opentelemetry/metrics/meter.h>
#include <opentelemetry/metrics/meter_provider.h>
#include <opentelemetry/nostd/shared_ptr.h>

#include "fauth/core/metrics.hpp"

/// The OpenTelemetry adapter (link fauth::otel): see fauth/otel/metrics.hpp.
namespace fauth::otel {

/// A MetricsSink that records into an OpenTelemetry Meter: a counter becomes a DoubleCounter, a
/// histogram a DoubleHistogram, a gauge an ObservableDoubleGauge, each with the spec's name, unit
/// and description; an attribute whose value is "" is left out of the series. Each series'
/// attributes are made once, when the instrument is, so recording costs the SDK's Add or Record
/// and nothing of ours; a negative value is not recorded (OpenTelemetry's counters and histograms
/// take none). Registering a name twice gives the same instrument; registering it with another
/// spec, or a name or unit OpenTelemetry refuses, throws ConfigError. Make one sink per Meter and
/// share it between engines: two sinks over one Meter would each make the instrument, and
/// opentelemetry-cpp 1.19 keeps only the last one made under a name. Thread-safe.
class OtelMetricsSink final : public MetricsSink {
public:
    /// The instrumentation scope's name when made from a MeterProvider: "fauth".
    static constexpr std::string_view meter_name = "fauth";

    /// Records into `meter`. Throws ConfigError when it is null.
    explicit OtelMetricsSink(opentelemetry::nostd::shared_ptr<opentelemetry::metrics::Meter> meter);
    /// Records into `provider`'s meter "fauth", its version fauth's.
    explicit OtelMetricsSink(opentelemetry::metrics::MeterProvider& provider);
    ~OtelMetricsSink() override;
    OtelMetricsSink(const OtelMetricsSink&) = delete;
    OtelMetricsSink& operator=(const OtelMetricsSink&) = delete;

    /// The counter or histogram `spec` in the meter (the storage keeps the meter alive).
    std::shared_ptr<InstrumentSink> instrument(const InstrumentSpec& spec) override;
    /// Adds a callback to the observable gauge `spec` that calls `observer` at each collection and
    /// writes what it emits; released, the handle removes the callback (the SDK then waits for a
    /// collection that is running it).
    std::shared_ptr<void> observe(const InstrumentSpec& spec, GaugeObserver observer) override;

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace fauth::otel
