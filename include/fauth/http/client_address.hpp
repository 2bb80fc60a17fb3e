// fauth/http/client_address.hpp — who the client is, for throttling and security events: the
// socket peer, unless that peer is a trusted proxy that says otherwise in X-Forwarded-For.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pistache/http.h>

#include "fauth/auth/config.hpp"

namespace fauth::http {

/// The client of a connection from `peer`: when `peer` is in `trusted_proxies` and
/// `forwarded_for` is given, the rightmost address in it that is not a trusted proxy (addresses
/// further left are the client's own claims and could be forged); otherwise `peer`.
std::string client_address(std::string_view peer, std::optional<std::string_view> forwarded_for,
                           const std::vector<std::string>& trusted_proxies);

/// client_address for a Pistache request, with the proxies trusted in `config`.
std::string client_address(const Pistache::Http::Request& request, const AuthConfig& config);

/// The client a throttle counts for `address`: an IPv6 address as its network of
/// `ipv6_prefix` bits ("2001:db8:1:2::/64"), since one subscriber holds a whole /64; anything
/// else (IPv4, IPv4-mapped IPv6, a name) as it is.
std::string throttle_client(std::string_view address, int ipv6_prefix);

}  // namespace fauth::http
