#include "fauth/core/metrics.hpp"

#include "fauth/core/errors.hpp"

namespace fauth {

std::size_t InstrumentSpec::series() const noexcept {
    std::size_t n = 1;
    for (const auto& attribute : attributes) n *= attribute.values.empty() ? 1 : attribute.values.size();
    return n;
}

Instrument::Instrument(const std::shared_ptr<MetricsSink>& sink, const InstrumentSpec& spec) {
    if (spec.kind == InstrumentKind::gauge) throw ConfigError("fauth: " + spec.name + " is a gauge: observe_gauge records it");
    if (spec.attributes.size() > 4) throw ConfigError("fauth: " + spec.name + " has more than 4 attributes");
    if (sink == nullptr) return;
    for (const auto& attribute : spec.attributes) {
        if (attribute.values.empty())
            throw ConfigError("fauth: attribute " + attribute.key + " of " + spec.name + " lists no value");
        radix_[attributes_++] = static_cast<std::uint32_t>(attribute.values.size());
    }
    sink_ = sink->instrument(spec);
}

void Instrument::record_at(double value, std::initializer_list<std::size_t> indices) const noexcept {
    if (indices.size() != attributes_) return;
    std::size_t series = 0;
    std::size_t i = 0;
    for (const auto index : indices) {
        if (index >= radix_[i]) return;
        series = series * radix_[i++] + index;
    }
    sink_->record(series, value);
}

GaugeRegistration observe_gauge(const std::shared_ptr<MetricsSink>& sink, const InstrumentSpec& spec, GaugeObserver observer) {
    if (sink == nullptr) return nullptr;
    if (spec.kind != InstrumentKind::gauge) throw ConfigError("fauth: " + spec.name + " is not a gauge");
    return sink->observe(spec, std::move(observer));
}

}  // namespace fauth
