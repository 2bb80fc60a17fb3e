/// @file
/// fauth/core/metrics.hpp — counters, histograms and gauges, named in the OpenTelemetry style and
/// recorded into a sink you choose (fauth::PrometheusRegistry, the OpenTelemetry adapter, your
/// own). Without a sink an instrument is a null pointer: recording tests it and returns.
/// Attributes are bounded by construction: each counter's and histogram's attribute takes one of
/// the values its InstrumentSpec lists, named by index, so no user id, token or address can become
/// one. fauth's own instruments are listed in fauth/core/instruments.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace fauth {

/// What an instrument measures.
enum class InstrumentKind : std::uint8_t {
    counter,    ///< a count that only grows (Prometheus `counter`, OpenTelemetry Counter)
    histogram,  ///< a distribution of measured values, in buckets (`histogram`, Histogram)
    gauge,      ///< a value read when the sink is read (`gauge`, an observable Gauge)
};

/// How a gauge's values of one series, observed by several owners (two engines' queue depths,
/// two rings on one URL), combine into the one value exposed.
enum class GaugeMerge : std::uint8_t {
    sum,  ///< added up: counts of things (checks waiting)
    max,  ///< the largest: ages, latencies
};

/// One attribute of an instrument: its key (OpenTelemetry style, e.g. "fauth.scheme") and, for
/// counters and histograms, every value it may take. A gauge's attribute values come from its
/// observer (they are bounded by configuration: the issuers you trust, say).
struct AttributeSpec {
    /// The key, e.g. "fauth.result".
    std::string key;
    /// Its values, in the order indices name them; "" is the attribute left out (e.g.
    /// `error.type` on a success).
    std::vector<std::string> values;
};

/// What an instrument is: its name, kind, unit, meaning, attributes, and a histogram's buckets.
struct InstrumentSpec {
    /// The name, dot-separated, e.g. "fauth.authentication.duration".
    std::string name;
    /// Counter, histogram or gauge.
    InstrumentKind kind = InstrumentKind::counter;
    /// Its unit in UCUM, as OpenTelemetry writes it: "s", "By", or a count's noun in braces ("{attempt}").
    std::string unit;
    /// What it means, one sentence: the Prometheus HELP text.
    std::string description;
    /// Its attributes, at most 4.
    std::vector<AttributeSpec> attributes;
    /// A histogram's bucket upper bounds, ascending (the last bucket, +Inf, is implied).
    std::vector<double> buckets;
    /// A gauge's: how several owners' values of one series combine.
    GaugeMerge merge = GaugeMerge::sum;

    /// How many series it can have: the product of its attributes' value counts (1 without any).
    std::size_t series() const noexcept;
};

/// A sink's storage of one counter or histogram. `series` is the index of the attribute values,
/// each attribute's value index in turn, the first varying slowest (InstrumentSpec::series()
/// of them). Called on whichever thread records: it must be thread-safe, quick and not throw.
class InstrumentSink {
public:
    virtual ~InstrumentSink() = default;
    /// A counter: adds `value` (≥ 0). A histogram: records `value` once.
    virtual void record(std::size_t series, double value) noexcept = 0;
};

/// Hands a gauge's values to the sink reading it: `emit(value, attribute values)`, the attribute
/// values in the order of the spec's attributes.
using GaugeEmit = std::function<void(double value, std::span<const std::string_view> attributes)>;
/// Calls `emit` once per series of a gauge, when the sink is read (on the reading thread).
using GaugeObserver = std::function<void(const GaugeEmit& emit)>;

/// Where instruments record. Registering the same name twice gives the same storage (two
/// engines sharing a sink share their counts); registering a name with another spec throws
/// ConfigError. Thread-safe.
class MetricsSink {
public:
    virtual ~MetricsSink() = default;
    /// The storage of the counter or histogram `spec`.
    virtual std::shared_ptr<InstrumentSink> instrument(const InstrumentSpec& spec) = 0;
    /// Calls `observer` whenever the sink is read, until the returned handle is released; once
    /// it is, the observer is not running and will not run again. An observer may run under the
    /// sink's lock: it must not call the sink, nor release a registration.
    virtual std::shared_ptr<void> observe(const InstrumentSpec& spec, GaugeObserver observer) = 0;
};

/// A counter or histogram as fauth's code holds it: the sink's storage of it, or nothing when
/// metrics are off. Copyable; cheap to hold in every object that records.
class Instrument {
public:
    /// Off: records nothing.
    Instrument() = default;
    /// `spec` in `sink` (nothing when `sink` is null).
    Instrument(const std::shared_ptr<MetricsSink>& sink, const InstrumentSpec& spec);

    /// Whether a sink records it (then, and only then, is a duration worth measuring).
    explicit operator bool() const noexcept { return sink_ != nullptr; }
    /// Adds `value` (a counter) or records it (a histogram) for the attribute values of the
    /// given indices (enumerators or integers; one per attribute, in the spec's order). An index
    /// out of its range is a bug in the caller: the value is not recorded.
    template <class... Index>
    void record(double value, Index... indices) const noexcept {
        if (sink_ == nullptr) return;
        static_assert((std::is_enum_v<Index> && ...) || (std::is_integral_v<Index> && ...) || sizeof...(Index) == 0);
        record_at(value, {static_cast<std::size_t>(indices)...});
    }
    /// record(1, indices...): a counter's one more.
    template <class... Index>
    void add(Index... indices) const noexcept {
        record(1.0, indices...);
    }

private:
    void record_at(double value, std::initializer_list<std::size_t> indices) const noexcept;

    std::shared_ptr<InstrumentSink> sink_;
    std::uint32_t radix_[4] = {1, 1, 1, 1};  // each attribute's value count
    std::uint8_t attributes_ = 0;
};

/// A gauge's registration: its observer is called while this lives (released on destruction).
using GaugeRegistration = std::shared_ptr<void>;

/// Registers `observer` for the gauge `spec` in `sink`; nothing when `sink` is null.
GaugeRegistration observe_gauge(const std::shared_ptr<MetricsSink>& sink, const InstrumentSpec& spec, GaugeObserver observer);

}  // namespace fauth
