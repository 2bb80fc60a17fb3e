#include "fauth/http/client_address.hpp"

#include <algorithm>

#include "fauth/core/ascii.hpp"

namespace fauth::http {
namespace {

bool trusted(std::string_view address, const std::vector<std::string>& proxies) {
    return std::find(proxies.begin(), proxies.end(), address) != proxies.end();
}

}  // namespace

std::string client_address(std::string_view peer, std::optional<std::string_view> forwarded_for,
                           const std::vector<std::string>& trusted_proxies) {
    if (!forwarded_for || !trusted(peer, trusted_proxies)) return std::string(peer);
    auto list = *forwarded_for;
    while (!list.empty()) {
        const auto comma = list.rfind(',');
        const auto hop = trim_ows(comma == std::string_view::npos ? list : list.substr(comma + 1));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
        if (hop.empty()) continue;
        if (!trusted(hop, trusted_proxies)) return std::string(hop);
    }
    return std::string(peer);  // only proxies in the chain: the last proxy is the best we know
}

std::string client_address(const Pistache::Http::Request& request, const AuthConfig& config) {
    const auto peer = request.address().host();
    if (config.trusted_proxies.empty()) return peer;
    const auto raw = request.headers().tryGetRaw("X-Forwarded-For");
    if (!raw) return peer;
    const std::string forwarded = raw->value();  // by value: keep it alive while it is read
    return client_address(peer, std::string_view(forwarded), config.trusted_proxies);
}

}  // namespace fauth::http
