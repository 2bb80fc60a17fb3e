#include "args.hpp"

#include <charconv>

namespace fauth::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& options, const std::set<std::string>& repeatable,
           std::size_t max_positional) {
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const auto& a = argv[i];
        if (a == "--help" || a == "-h") {
            help_ = true;
            continue;
        }
        if (a.rfind("--", 0) == 0) {
            auto name = a.substr(2);
            std::optional<std::string> value;
            if (const auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name.resize(eq);
            }
            if (!options.count(name)) throw UsageError("unknown option --" + name);
            if (!value) {
                if (i + 1 >= argv.size()) throw UsageError("--" + name + " needs a value");
                value = argv[++i];
            }
            auto& slot = values_[name];
            if (!slot.empty() && !repeatable.count(name)) throw UsageError("--" + name + " given twice");
            slot.push_back(*value);
            continue;
        }
        if (positional_.size() >= max_positional) throw UsageError("unexpected argument '" + a + "'");
        positional_.push_back(a);
    }
}

std::optional<std::string> Args::get(const std::string& name) const {
    const auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second.front();
}

std::string Args::required(const std::string& name) const {
    auto v = get(name);
    if (!v || v->empty()) throw UsageError("--" + name + " is required");
    return *v;
}

int Args::integer(const std::string& name, int min, int max, int fallback) const {
    const auto text = get(name);
    if (!text) return fallback;
    int n = 0;
    const auto* end = text->data() + text->size();
    const auto [ptr, ec] = std::from_chars(text->data(), end, n);
    if (ec != std::errc() || ptr != end || text->empty() || n < min || n > max)
        throw UsageError("--" + name + " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                         ", not '" + *text + "'");
    return n;
}

std::vector<std::string> Args::all(const std::string& name) const {
    const auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::chrono::seconds parse_duration(const std::string& text) {
    long long n = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, n);
    if (ec != std::errc() || n <= 0 || ptr == text.data()) throw UsageError("'" + text + "' is not a duration such as 15m");
    const std::string unit(ptr, end);
    long long factor = 0;
    if (unit.empty() || unit == "s")
        factor = 1;
    else if (unit == "m")
        factor = 60;
    else if (unit == "h")
        factor = 3600;
    else if (unit == "d")
        factor = 86400;
    else
        throw UsageError("'" + text + "' is not a duration such as 15m (units s, m, h, d)");
    if (n > 10LL * 365 * 86400 / factor) throw UsageError("'" + text + "' is too long");
    return std::chrono::seconds(n * factor);
}

}  // namespace fauth::cli
