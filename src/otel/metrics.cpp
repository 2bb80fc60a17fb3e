#include "fauth/otel/metrics.hpp"

#include <array>
#include <cstddef>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <opentelemetry/common/attribute_value.h>
#include <opentelemetry/common/key_value_iterable.h>
#include <opentelemetry/context/context.h>
#include <opentelemetry/metrics/async_instruments.h>
#include <opentelemetry/metrics/observer_result.h>
#include <opentelemetry/metrics/sync_instruments.h>
#include <opentelemetry/nostd/function_ref.h>
#include <opentelemetry/nostd/string_view.h>
#include <opentelemetry/nostd/unique_ptr.h>
#include <opentelemetry/nostd/variant.h>

#include "fauth/core/errors.hpp"

#ifndef FAUTH_OTEL_VERSION
#define FAUTH_OTEL_VERSION ""
#endif

namespace fauth::otel {

// Named, not anonymous: OtelMetricsSink::State holds its types.
namespace sink {

namespace api = opentelemetry::metrics;
namespace common = opentelemetry::common;
namespace nostd = opentelemetry::nostd;

using Callback = nostd::function_ref<bool(nostd::string_view, common::AttributeValue)>;

nostd::string_view view(std::string_view text) noexcept { return {text.data(), text.size()}; }

// OpenTelemetry's instrument name syntax: a letter, then up to 254 of [A-Za-z0-9_.-/].
bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 255) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        const bool other = (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' || c == '/';
        if (!letter && (i == 0 || !other)) return false;
    }
    return true;
}

// A unit: at most 63 ASCII characters.
bool valid_unit(std::string_view unit) {
    if (unit.size() > 63) return false;
    for (const char c : unit)
        if (static_cast<unsigned char>(c) > 127) return false;
    return true;
}

bool same(const InstrumentSpec& a, const InstrumentSpec& b) {
    if (a.name != b.name || a.kind != b.kind || a.unit != b.unit || a.description != b.description || a.buckets != b.buckets ||
        a.attributes.size() != b.attributes.size())
        return false;
    for (std::size_t i = 0; i < a.attributes.size(); ++i)
        if (a.attributes[i].key != b.attributes[i].key || a.attributes[i].values != b.attributes[i].values) return false;
    return true;
}

// One series' attributes, made when its instrument is: views into the instrument's own copy of
// its spec, the attributes whose value is "" left out.
class SeriesAttributes final : public common::KeyValueIterable {
public:
    void add(std::string_view key, std::string_view value) {
        if (!value.empty() && count_ < pairs_.size()) pairs_[count_++] = {view(key), view(value)};
    }
    bool ForEachKeyValue(Callback callback) const noexcept override {
        for (std::size_t i = 0; i < count_; ++i)
            if (!callback(pairs_[i].first, common::AttributeValue(pairs_[i].second))) return false;
        return true;
    }
    std::size_t size() const noexcept override { return count_; }

private:
    std::array<std::pair<nostd::string_view, nostd::string_view>, 4> pairs_{};
    std::size_t count_ = 0;
};

// A gauge's attributes as its observer emits them: the spec's keys beside the emitted values.
class EmittedAttributes final : public common::KeyValueIterable {
public:
    EmittedAttributes(const std::vector<AttributeSpec>& keys, std::span<const std::string_view> values) noexcept
        : keys_(keys), values_(values) {
        for (const auto value : values_)
            if (!value.empty()) ++count_;
    }
    bool ForEachKeyValue(Callback callback) const noexcept override {
        for (std::size_t i = 0; i < values_.size(); ++i)
            if (!values_[i].empty() && !callback(view(keys_[i].key), common::AttributeValue(view(values_[i])))) return false;
        return true;
    }
    std::size_t size() const noexcept override { return count_; }

private:
    const std::vector<AttributeSpec>& keys_;
    std::span<const std::string_view> values_;
    std::size_t count_ = 0;
};

// A counter's or histogram's instrument, and every series' attributes.
class Storage final : public InstrumentSink {
public:
    Storage(nostd::shared_ptr<api::Meter> meter, const InstrumentSpec& spec) : spec_(spec), meter_(std::move(meter)) {
        const auto name = view(spec_.name), description = view(spec_.description), unit = view(spec_.unit);
        if (spec_.kind == InstrumentKind::counter)
            counter_ = meter_->CreateDoubleCounter(name, description, unit);
        else
            histogram_ = meter_->CreateDoubleHistogram(name, description, unit);
        // Series `index`: each attribute's value index in turn, the first varying slowest.
        const auto count = spec_.series();
        series_.resize(count);
        for (std::size_t index = 0; index < count; ++index) {
            std::array<std::size_t, 4> value_of{};
            auto rest = index;
            for (std::size_t i = spec_.attributes.size(); i-- > 0;) {
                const auto n = spec_.attributes[i].values.size();
                if (n == 0 || i >= value_of.size()) continue;
                value_of[i] = rest % n;
                rest /= n;
            }
            for (std::size_t i = 0; i < spec_.attributes.size() && i < value_of.size(); ++i) {
                const auto& attribute = spec_.attributes[i];
                if (!attribute.values.empty()) series_[index].add(attribute.key, attribute.values[value_of[i]]);
            }
        }
    }
    Storage(const Storage&) = delete;  // the series' attributes point into this one's spec
    Storage& operator=(const Storage&) = delete;

    void record(std::size_t series, double value) noexcept override {
        // OpenTelemetry's counters and histograms take no negative value (the SDK would log each).
        if (series >= series_.size() || !(value >= 0)) return;
        if (counter_) {
            counter_->Add(value, series_[series]);
        } else if (histogram_) {
            histogram_->Record(value, series_[series], context_);
        }
    }

private:
    const InstrumentSpec spec_;  // the series' attributes are views into it
    nostd::shared_ptr<api::Meter> meter_;
    nostd::unique_ptr<api::Counter<double>> counter_;
    nostd::unique_ptr<api::Histogram<double>> histogram_;
    std::vector<SeriesAttributes> series_;
    const opentelemetry::context::Context context_;  // ABI 1's Record takes one: the empty context
};

// A gauge's registration: the observer, and whether it may still run.
struct Observation {
    InstrumentSpec spec;
    GaugeObserver observer;
    std::mutex mutex;  // held while the observer runs
    bool active = true;

    static void callback(api::ObserverResult result, void* state) noexcept {
        using Doubles = nostd::shared_ptr<api::ObserverResultT<double>>;
        auto& self = *static_cast<Observation*>(state);
        if (!nostd::holds_alternative<Doubles>(result)) return;
        auto& out = nostd::get<Doubles>(result);
        std::lock_guard lock(self.mutex);
        if (!self.active) return;
        try {
            self.observer([&](double value, std::span<const std::string_view> values) {
                if (values.size() != self.spec.attributes.size()) return;
                out->Observe(value, EmittedAttributes(self.spec.attributes, values));
            });
        } catch (...) {
            // An observer that cannot answer leaves its series out of this collection.
        }
    }
};

}  // namespace sink

namespace api = opentelemetry::metrics;
namespace nostd = opentelemetry::nostd;
using sink::Observation;
using sink::Storage;
using sink::view;

struct OtelMetricsSink::State {
    struct Entry {
        InstrumentSpec spec;
        std::shared_ptr<Storage> storage;                    // counters and histograms
        nostd::shared_ptr<api::ObservableInstrument> gauge;  // gauges
    };
    nostd::shared_ptr<api::Meter> meter;
    std::mutex mutex;
    std::map<std::string, Entry, std::less<>> entries;

    // The entry of `spec`, made when new; ConfigError for a spec that differs from the one of its name.
    Entry& declare(const InstrumentSpec& spec) {
        if (auto it = entries.find(spec.name); it != entries.end()) {
            if (!sink::same(it->second.spec, spec))
                throw ConfigError("fauth: metric " + spec.name + " is already declared with another unit, kind or attributes");
            return it->second;
        }
        if (!sink::valid_name(spec.name))
            throw ConfigError("fauth: metric name " + spec.name +
                              " is not a valid OpenTelemetry instrument name (a letter, then up to 254 of A-Za-z0-9_.-/)");
        if (!sink::valid_unit(spec.unit))
            throw ConfigError("fauth: the unit of " + spec.name +
                              " is not a valid OpenTelemetry unit (at most 63 ASCII characters)");
        if (spec.attributes.size() > 4) throw ConfigError("fauth: " + spec.name + " has more than 4 attributes");
        Entry entry;
        entry.spec = spec;
        if (spec.kind == InstrumentKind::gauge)
            entry.gauge = meter->CreateDoubleObservableGauge(view(spec.name), view(spec.description), view(spec.unit));
        else
            entry.storage = std::make_shared<Storage>(meter, spec);
        return entries.emplace(spec.name, std::move(entry)).first->second;
    }
};

OtelMetricsSink::OtelMetricsSink(nostd::shared_ptr<api::Meter> meter) : state_(std::make_shared<State>()) {
    if (meter == nullptr) throw ConfigError("fauth: OtelMetricsSink needs a meter (it was null)");
    state_->meter = std::move(meter);
}

OtelMetricsSink::OtelMetricsSink(api::MeterProvider& provider)
    : OtelMetricsSink(provider.GetMeter(view(meter_name), FAUTH_OTEL_VERSION)) {}

OtelMetricsSink::~OtelMetricsSink() = default;

std::shared_ptr<InstrumentSink> OtelMetricsSink::instrument(const InstrumentSpec& spec) {
    if (spec.kind == InstrumentKind::gauge) throw ConfigError("fauth: " + spec.name + " is a gauge: observe it");
    std::lock_guard lock(state_->mutex);
    return state_->declare(spec).storage;
}

std::shared_ptr<void> OtelMetricsSink::observe(const InstrumentSpec& spec, GaugeObserver observer) {
    if (spec.kind != InstrumentKind::gauge) throw ConfigError("fauth: " + spec.name + " is not a gauge");
    nostd::shared_ptr<api::ObservableInstrument> gauge;
    {
        std::lock_guard lock(state_->mutex);
        gauge = state_->declare(spec).gauge;
    }
    auto observation = std::make_shared<Observation>();
    observation->spec = spec;
    observation->observer = std::move(observer);
    gauge->AddCallback(&Observation::callback, observation.get());
    // Released: marked inactive (waiting for an observer that is running), then its callback
    // removed; the gauge instrument lives as long as a registration of it does.
    return std::shared_ptr<void>(nullptr, [gauge, observation](void*) {
        {
            std::lock_guard lock(observation->mutex);
            observation->active = false;
        }
        gauge->RemoveCallback(&Observation::callback, observation.get());
    });
}

}  // namespace fauth::otel
