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

}  // namespace fauth::http
