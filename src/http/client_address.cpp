#include "fauth/http/client_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

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

std::string throttle_client(std::string_view address, int ipv6_prefix) {
    // Pistache writes IPv6 peers in brackets.
    auto bare = address;
    if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
    if (bare.find(':') == std::string_view::npos || bare.size() >= INET6_ADDRSTRLEN) return std::string(address);
    std::array<unsigned char, 16> bytes{};
    const std::string text(bare);
    if (inet_pton(AF_INET6, text.c_str(), bytes.data()) != 1) return std::string(address);
    constexpr std::array<unsigned char, 12> v4_mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(v4_mapped.begin(), v4_mapped.end(), bytes.begin())) return std::string(address);
    const int prefix = std::clamp(ipv6_prefix, 0, 128);
    for (int bit = prefix; bit < 128; ++bit) bytes[static_cast<std::size_t>(bit / 8)] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
    std::array<char, INET6_ADDRSTRLEN> out{};
    if (inet_ntop(AF_INET6, bytes.data(), out.data(), out.size()) == nullptr) return std::string(address);
    return std::string(out.data()) + "/" + std::to_string(prefix);
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
