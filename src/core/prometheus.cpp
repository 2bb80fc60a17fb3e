#include "fauth/core/prometheus.hpp"

#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "fauth/core/errors.hpp"
#include "fauth/core/instruments.hpp"

namespace fauth {

namespace {

bool valid_name(std::string_view name, bool colons) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colons && c == ':');
        if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

// OpenTelemetry's mapping of a name or attribute key: anything but [a-zA-Z0-9_:] becomes '_'.
std::string mapped(std::string_view name) {
    std::string out(name);
    for (auto& c : out)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':')) c = '_';
    return out;
}

std::string unit_suffix(std::string_view unit) {
    if (unit.empty() || unit.front() == '{') return {};
    if (unit == "s") return "_seconds";
    if (unit == "ms") return "_milliseconds";
    if (unit == "By") return "_bytes";
    if (unit == "1") return "_ratio";
    return "_" + mapped(unit);
}

void append_number(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
    } else if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
    } else if (value == std::trunc(value) && std::fabs(value) < 1e15) {
        out += std::to_string(static_cast<long long>(value));  // a count as a count: 400000, not 4e+05
    } else {
        char buffer[32];
        const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
        out.append(buffer, end);
    }
}

void append_escaped(std::string& out, std::string_view text, bool quotes) {
    for (const char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '"' && quotes)
            out += "\\\"";
        else
            out += c;
    }
}

// `{key="value",...}` for the given attribute values ("" left out), plus `le` when given.
void append_labels(std::string& out, const std::vector<std::string>& keys, std::span<const std::string_view> values,
                   const std::string* le = nullptr) {
    bool first = true;
    const auto label = [&](std::string_view key, std::string_view value) {
        out += first ? '{' : ',';
        first = false;
        out += key;
        out += "=\"";
        append_escaped(out, value, true);
        out += '"';
    };
    for (std::size_t i = 0; i < keys.size() && i < values.size(); ++i)
        if (!values[i].empty()) label(keys[i], values[i]);
    if (le != nullptr) label("le", *le);
    if (!first) out += '}';
}

// One sample line: `name{labels} value`.
void append_sample(std::string& out, std::string_view name, const std::vector<std::string>& keys,
                   std::span<const std::string_view> values, double value, const std::string* le = nullptr) {
    out += name;
    append_labels(out, keys, values, le);
    out += ' ';
    append_number(out, value);
    out += '\n';
}

}  // namespace

// Named, not anonymous: PrometheusRegistry::State holds them.
namespace prometheus {

struct Storage : InstrumentSink {
    explicit Storage(const InstrumentSpec& spec)
        : series(spec.series()),
          bounds(spec.buckets),
          values(spec.kind == InstrumentKind::counter ? series : series * (bounds.size() + 1)),
          sums(spec.kind == InstrumentKind::histogram ? series : 0),
          histogram(spec.kind == InstrumentKind::histogram) {}

    void record(std::size_t index, double value) noexcept override {
        if (index >= series || std::isnan(value) || (!histogram && value < 0)) return;
        if (!histogram) {
            values[index].fetch_add(value, std::memory_order_relaxed);
            return;
        }
        std::size_t bucket = 0;
        while (bucket < bounds.size() && value > bounds[bucket]) ++bucket;
        values[index * (bounds.size() + 1) + bucket].fetch_add(1, std::memory_order_relaxed);
        sums[index].fetch_add(value, std::memory_order_relaxed);
    }

    const std::size_t series;
    const std::vector<double> bounds;
    std::vector<std::atomic<double>> values;  // a counter's per series; a histogram's bucket counts (not cumulative)
    std::vector<std::atomic<double>> sums;    // a histogram's per series
    const bool histogram;
};

struct Entry {
    InstrumentSpec spec;
    std::string name;  // mapped, with the unit, without _total
    std::vector<std::string> keys;
    std::shared_ptr<Storage> storage;  // counters and histograms
};

}  // namespace prometheus

namespace {

using prometheus::Entry;
using prometheus::Storage;

// The attribute values of series `index` of `spec`.
std::vector<std::string_view> values_of(const InstrumentSpec& spec, std::size_t index) {
    std::vector<std::string_view> out(spec.attributes.size());
    for (std::size_t i = spec.attributes.size(); i-- > 0;) {
        const auto n = spec.attributes[i].values.size();
        out[i] = spec.attributes[i].values[index % n];
        index /= n;
    }
    return out;
}

bool same(const InstrumentSpec& a, const InstrumentSpec& b) {
    if (a.name != b.name || a.kind != b.kind || a.unit != b.unit || a.description != b.description || a.buckets != b.buckets ||
        a.merge != b.merge || a.attributes.size() != b.attributes.size())
        return false;
    for (std::size_t i = 0; i < a.attributes.size(); ++i)
        if (a.attributes[i].key != b.attributes[i].key || a.attributes[i].values != b.attributes[i].values) return false;
    return true;
}

}  // namespace

struct PrometheusRegistry::State {
    struct Observation {
        const Entry* entry;
        std::uint64_t id;
        GaugeObserver observer;
    };
    mutable std::mutex mutex;  // entries' list, observations; held while observers run
    std::vector<std::unique_ptr<Entry>> entries;
    std::map<std::string, Entry*, std::less<>> by_name;
    std::map<std::string, std::string, std::less<>> mapped_names;  // Prometheus name -> the dotted name it is of
    std::vector<Observation> observations;
    std::uint64_t next_id = 0;

    Entry& declare(const InstrumentSpec& spec) {
        if (auto it = by_name.find(spec.name); it != by_name.end()) {
            if (!same(it->second->spec, spec))
                throw ConfigError("fauth: metric " + spec.name + " is already declared with another unit, kind or attributes");
            return *it->second;
        }
        auto entry = std::make_unique<Entry>();
        entry->spec = spec;
        entry->name = mapped(spec.name) + unit_suffix(spec.unit);
        if (!valid_name(entry->name, true)) throw ConfigError("fauth: metric name " + spec.name + " is not valid in Prometheus");
        const auto exposed = entry->name + (spec.kind == InstrumentKind::counter ? "_total" : "");
        if (auto clash = mapped_names.find(exposed); clash != mapped_names.end())
            throw ConfigError("fauth: metric " + spec.name + " would be exposed as " + exposed + ", as " + clash->second + " is");
        for (const auto& attribute : spec.attributes) {
            entry->keys.push_back(mapped(attribute.key));
            if (!valid_name(entry->keys.back(), false) || entry->keys.back().starts_with("__") || entry->keys.back() == "le")
                throw ConfigError("fauth: attribute " + attribute.key + " of " + spec.name + " is not a valid label name");
        }
        if (spec.kind != InstrumentKind::gauge) entry->storage = std::make_shared<Storage>(spec);
        auto* raw = entry.get();
        entries.push_back(std::move(entry));
        by_name.emplace(spec.name, raw);
        mapped_names.emplace(exposed, spec.name);
        return *raw;
    }
};

PrometheusRegistry::PrometheusRegistry() : state_(std::make_shared<State>()) {
    for (const auto& spec : instruments::all()) state_->declare(spec);
}

PrometheusRegistry::~PrometheusRegistry() = default;

std::shared_ptr<InstrumentSink> PrometheusRegistry::instrument(const InstrumentSpec& spec) {
    if (spec.kind == InstrumentKind::gauge) throw ConfigError("fauth: " + spec.name + " is a gauge: observe it");
    std::lock_guard lock(state_->mutex);
    return state_->declare(spec).storage;
}

std::shared_ptr<void> PrometheusRegistry::observe(const InstrumentSpec& spec, GaugeObserver observer) {
    // Released: forgotten under the lock, so that it is not running and will not run again.
    struct Registration {
        Registration(std::weak_ptr<State> s, std::uint64_t i) : state(std::move(s)), id(i) {}
        Registration(const Registration&) = delete;
        Registration& operator=(const Registration&) = delete;
        ~Registration() {
            if (auto held_state = state.lock()) {
                std::lock_guard held(held_state->mutex);
                std::erase_if(held_state->observations, [this](const State::Observation& o) { return o.id == id; });
            }
        }
        std::weak_ptr<State> state;
        std::uint64_t id;
    };
    std::uint64_t id = 0;
    {
        std::lock_guard lock(state_->mutex);
        id = state_->next_id++;
    }
    // Made before the observer is listed, outside the lock: if listing it throws, the lock is
    // released first and the handle then forgets nothing; no observer outlives a failed call.
    auto handle = std::make_shared<Registration>(state_, id);
    {
        std::lock_guard lock(state_->mutex);
        const auto& entry = state_->declare(spec);
        state_->observations.push_back({&entry, id, std::move(observer)});
    }
    return handle;
}

std::string PrometheusRegistry::metric_name(const InstrumentSpec& spec) { return mapped(spec.name) + unit_suffix(spec.unit); }

std::string PrometheusRegistry::exposition() const {
    std::string out;
    std::lock_guard lock(state_->mutex);
    for (const auto& entry : state_->entries) {
        const auto& spec = entry->spec;
        const bool counter = spec.kind == InstrumentKind::counter;
        const auto name = entry->name + (counter ? "_total" : "");
        out += "# HELP " + name + ' ';
        append_escaped(out, spec.description, false);
        out += "\n# TYPE " + name + ' ';
        out += counter ? "counter" : spec.kind == InstrumentKind::histogram ? "histogram" : "gauge";
        out += '\n';
        if (spec.kind == InstrumentKind::gauge) {
            // Several owners may observe the same series (two engines' queue depths): their
            // values combine as the spec says, so that each series is written once.
            std::map<std::vector<std::string>, double> series;
            for (const auto& observation : state_->observations) {
                if (observation.entry != entry.get()) continue;
                std::map<std::vector<std::string>, double> seen;
                try {
                    observation.observer([&](double value, std::span<const std::string_view> values) {
                        if (values.size() != entry->keys.size() || std::isnan(value)) return;
                        seen[std::vector<std::string>(values.begin(), values.end())] += value;
                    });
                } catch (...) {
                    continue;  // an observer that cannot answer leaves its series out of this scrape
                }
                for (const auto& [values, value] : seen) {
                    const auto [at, first] = series.emplace(values, value);
                    if (!first) at->second = spec.merge == GaugeMerge::max ? std::max(at->second, value) : at->second + value;
                }
            }
            for (const auto& [values, value] : series) {
                const std::vector<std::string_view> views(values.begin(), values.end());
                append_sample(out, name, entry->keys, views, value);
            }
            continue;
        }
        const auto& storage = *entry->storage;
        for (std::size_t series = 0; series < storage.series; ++series) {
            const auto values = values_of(spec, series);
            if (counter) {
                const double value = storage.values[series].load(std::memory_order_relaxed);
                if (value == 0 && !spec.attributes.empty()) continue;  // a series appears once recorded
                append_sample(out, name, entry->keys, values, value);
                continue;
            }
            const auto buckets = storage.bounds.size() + 1;
            double cumulative = 0;
            std::vector<double> counts(buckets);
            for (std::size_t b = 0; b < buckets; ++b)
                counts[b] = storage.values[series * buckets + b].load(std::memory_order_relaxed);
            double total = 0;
            for (const auto c : counts) total += c;
            if (total == 0 && !spec.attributes.empty()) continue;
            for (std::size_t b = 0; b < buckets; ++b) {
                cumulative += counts[b];
                std::string le;
                append_number(le, b < storage.bounds.size() ? storage.bounds[b] : INFINITY);
                append_sample(out, name + "_bucket", entry->keys, values, cumulative, &le);
            }
            append_sample(out, name + "_sum", entry->keys, values, storage.sums[series].load(std::memory_order_relaxed));
            append_sample(out, name + "_count", entry->keys, values, total);
        }
    }
    return out;
}

}  // namespace fauth
