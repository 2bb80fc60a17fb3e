/// @file
/// fauth/http/client_address.hpp — who the client is, for throttling and security events: the
/// socket peer, unless that peer is a trusted proxy that says otherwise in X-Forwarded-For.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pistache/http.h>

#include "fauth/http/config.hpp"

namespace fauth::http {

/// An IP address as X-Forwarded-For hops and proxies write it, in one form: IPv4 ("198.51.100.7")
/// or IPv6 as inet_ntop writes it ("2001:db8::1"). Accepted: "a.b.c.d", "a.b.c.d:port", an IPv6
/// address bare ("2001:db8::1") or in brackets ("[2001:db8::1]", "[2001:db8::1]:443"); a port
/// (0 to 65535) is dropped, and an IPv4-mapped IPv6 address ("::ffff:198.51.100.7") is its IPv4
/// address. Surrounding spaces and tabs are ignored. Nothing else is an address: "unknown", RFC
/// 7239's obfuscated identifiers ("_hidden"), host names, zone ids ("fe80::1%eth0") give nullopt.
std::optional<std::string> parse_ip_address(std::string_view text);

/// True when `peer` is one of `trusted_proxies` (compared as parse_ip_address reads them).
bool is_trusted_proxy(std::string_view peer, const std::vector<std::string>& trusted_proxies);
/// The client of a connection from `peer`: when `peer` is in `trusted_proxies` and
/// `forwarded_for` is given, the rightmost hop in it that is not a trusted proxy (hops further
/// left are the client's own claims and could be forged), in parse_ip_address's form; otherwise
/// `peer`. Hops and proxies are compared as parse_ip_address reads them ("10.0.0.2:8080" is proxy
/// "10.0.0.2"). When that rightmost untrusted hop is not an address parse_ip_address accepts
/// ("unknown", "_hidden", garbage), it names no client and the answer is `peer`, the proxy's own
/// address: never the hop's text, and never a hop further left.
std::string client_address(std::string_view peer, std::optional<std::string_view> forwarded_for,
                           const std::vector<std::string>& trusted_proxies);

/// client_address for a Pistache request, with the proxies `http` trusts.
std::string client_address(const Pistache::Http::Request& request, const HttpConfig& http);

/// The client a throttle counts for `address`: an IPv6 address as its network of
/// `ipv6_prefix` bits ("2001:db8:1:2::/64"), since one subscriber holds a whole /64; anything
/// else (IPv4, IPv4-mapped IPv6, a name) as it is.
std::string throttle_client(std::string_view address, int ipv6_prefix);

}  // namespace fauth::http
