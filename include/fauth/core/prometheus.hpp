/// @file
/// fauth/core/prometheus.hpp — the built-in metrics sink: instruments kept in atomics, read out in
/// Prometheus's text exposition format (version 0.0.4), which http::Api::serve_metrics serves.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "fauth/core/metrics.hpp"

namespace fauth {

/// A MetricsSink that keeps every counter and histogram in memory (lock-free to record, no
/// allocation) and writes them in Prometheus's text format. It declares all of fauth's
/// instruments (fauth/core/instruments.hpp) when made, so that each has its HELP and TYPE from
/// the first scrape, whichever parts of fauth are in use; a series appears once recorded.
/// Names follow OpenTelemetry's Prometheus mapping: dots become underscores, the unit a suffix
/// (`_seconds` for "s", `_bytes` for "By"; a count's "{...}" none), counters end in `_total`.
class PrometheusRegistry final : public MetricsSink {
public:
    /// The content type of exposition(): "text/plain; version=0.0.4; charset=utf-8".
    static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

    /// A registry with fauth's instruments declared.
    PrometheusRegistry();
    ~PrometheusRegistry() override;
    PrometheusRegistry(const PrometheusRegistry&) = delete;
    PrometheusRegistry& operator=(const PrometheusRegistry&) = delete;

    /// Declares `spec` (it is exposed from now on, with no series until one is recorded) and
    /// gives its storage. Throws ConfigError for a name already declared with another spec, or a
    /// name that is not a valid metric name once mapped.
    std::shared_ptr<InstrumentSink> instrument(const InstrumentSpec& spec) override;
    /// Calls `observer` at each exposition() while the returned handle lives.
    std::shared_ptr<void> observe(const InstrumentSpec& spec, GaugeObserver observer) override;

    /// Every instrument in the text exposition format: `# HELP`, `# TYPE`, then its series
    /// (histograms cumulative, with `_bucket{le="..."}`, `_sum` and `_count`). Gauges' observers
    /// run here, on this thread.
    std::string exposition() const;

    /// The Prometheus name of `spec` (e.g. "fauth_authentication_duration_seconds"), without
    /// `_total`.
    static std::string metric_name(const InstrumentSpec& spec);

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace fauth
