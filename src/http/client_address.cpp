#include "fauth/http/client_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "fauth/core/internal/ascii.hpp"

namespace fauth::http {
namespace {

// True for 1 to 5 digits naming a port (0 to 65535).
bool is_port(std::string_view text) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return !text.empty() && text.size() <= 5 && ec == std::errc() && end == text.data() + text.size() && value <= 65535;
}

// `text` as an address inet_pton reads in `family`, written back as inet_ntop writes it.
std::optional<std::string> canonical(int family, std::string_view text) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    const std::string copy(text);
    std::array<unsigned char, 16> bytes{};
    if (inet_pton(family, copy.c_str(), bytes.data()) != 1) return std::nullopt;
    constexpr std::array<unsigned char, 12> v4_mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    std::array<char, INET6_ADDRSTRLEN> out{};
    if (family == AF_INET6 && std::equal(v4_mapped.begin(), v4_mapped.end(), bytes.begin())) {
        // An IPv4 client seen through an IPv6 socket: the IPv4 address it is.
        if (inet_ntop(AF_INET, bytes.data() + 12, out.data(), out.size()) == nullptr) return std::nullopt;
    } else if (inet_ntop(family, bytes.data(), out.data(), out.size()) == nullptr) {
        return std::nullopt;
    }
    return std::string(out.data());
}

}  // namespace

std::optional<std::string> parse_ip_address(std::string_view text) {
    text = trim_ows(text);
    if (text.starts_with('[')) {
        // [v6] or [v6]:port
        const auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        const auto rest = text.substr(close + 1);
        if (!rest.empty() && !(rest.front() == ':' && is_port(rest.substr(1)))) return std::nullopt;
        return canonical(AF_INET6, text.substr(1, close - 1));
    }
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return canonical(AF_INET, text);
    if (text.find(':', colon + 1) == std::string_view::npos) {
        // One colon: IPv4 with a port (an IPv6 address has at least two).
        if (!is_port(text.substr(colon + 1))) return std::nullopt;
        return canonical(AF_INET, text.substr(0, colon));
    }
    return canonical(AF_INET6, text);
}

namespace {

// True when `address` (an address in any form parse_ip_address reads, or other text compared
// as it is) is one of `proxies`.
bool trusted(std::string_view address, const std::vector<std::string>& proxies) {
    const auto parsed = parse_ip_address(address);
    return std::any_of(proxies.begin(), proxies.end(), [&](const std::string& proxy) {
        if (proxy == address) return true;
        const auto proxy_parsed = parse_ip_address(proxy);
        return parsed && proxy_parsed && *parsed == *proxy_parsed;
    });
}

}  // namespace

bool is_trusted_proxy(std::string_view peer, const std::vector<std::string>& trusted_proxies) {
    return !trusted_proxies.empty() && trusted(peer, trusted_proxies);
}

std::string client_address(std::string_view peer, std::optional<std::string_view> forwarded_for,
                           const std::vector<std::string>& trusted_proxies) {
    if (!forwarded_for || !trusted(peer, trusted_proxies)) return std::string(peer);
    auto list = *forwarded_for;
    while (!list.empty()) {
        const auto comma = list.rfind(',');
        const auto hop = trim_ows(comma == std::string_view::npos ? list : list.substr(comma + 1));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
        if (hop.empty()) continue;
        if (trusted(hop, trusted_proxies)) continue;
        // The rightmost hop no trusted proxy wrote itself. Anything that is not an address
        // ("unknown", RFC 7239's obfuscated "_hidden", garbage) names no client: the proxy that
        // sent it is the best we know, and nothing further left can be believed.
        if (auto address = parse_ip_address(hop)) return std::move(*address);
        return std::string(peer);
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
    for (int bit = prefix; bit < 128; ++bit)
        bytes[static_cast<std::size_t>(bit / 8)] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
    std::array<char, INET6_ADDRSTRLEN> out{};
    if (inet_ntop(AF_INET6, bytes.data(), out.data(), out.size()) == nullptr) return std::string(address);
    return std::string(out.data()) + "/" + std::to_string(prefix);
}

std::string client_address(const Pistache::Http::Request& request, const HttpConfig& config) {
    const auto peer = request.address().host();
    if (config.trusted_proxies.empty()) return peer;
    const auto raw = request.headers().tryGetRaw("X-Forwarded-For");
    if (!raw) return peer;
    const std::string forwarded = raw->value();  // by value: keep it alive while it is read
    return client_address(peer, std::string_view(forwarded), config.trusted_proxies);
}

}  // namespace fauth::http
