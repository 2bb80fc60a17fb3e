/// @file
/// fauth/oidc/fetch.hpp — the one way fauth reads a document from another server (a JWK Set, an
/// OpenID Provider's metadata, an introspection answer): an HTTPS GET (or form POST) with libcurl, verified against the system's trust
/// store (and a CA file of yours), bounded in time and size, never redirected to another origin.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace fauth::oidc {

/// How fauth fetches from an identity provider.
struct FetchOptions {
    /// A PEM file of CA certificates trusted besides the system's store (empty: the system's only).
    std::string ca_file;
    /// Hosts that may be fetched over plain http:// although they are not loopback addresses
    /// (named one by one: there is no switch that allows every host). Loopback addresses
    /// (127.0.0.0/8, ::1, localhost) may always use http://.
    std::vector<std::string> http_hosts;
    /// How long connecting may take.
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(3);
    /// How long a whole fetch (redirects included) may take.
    std::chrono::milliseconds timeout = std::chrono::seconds(5);
    /// The largest document accepted, in bytes.
    std::size_t max_bytes = 1024 * 1024;
    /// Redirects followed within the same origin (scheme, host and port); one to another origin
    /// fails the fetch.
    int max_redirects = 3;
};

/// What a fetch brought back. `error` is empty when the server answered (whatever the status).
struct FetchResult {
    /// The HTTP status of the last answer, 0 when there was none.
    long status = 0;
    /// Its body.
    std::string body;
    /// `Cache-Control: max-age` of the answer, when it had one (and no `no-store`/`no-cache`).
    std::optional<std::chrono::seconds> max_age;
    /// The answer's Content-Type, as sent (empty when it had none).
    std::string content_type;
    /// Why no usable answer came: refused URL, TLS failure, timeout, too large, cross-origin redirect.
    std::string error;

    /// True for a 200 answer.
    bool ok() const noexcept { return error.empty() && status == 200; }
    /// A line for the logs: the error, or the status.
    std::string describe() const;
};

/// Throws ConfigError unless `options` are usable: positive timeouts and size, redirects not
/// negative, a CA file that can be read.
void check_fetch_options(const FetchOptions& options);

/// Throws ConfigError unless `url` may be fetched under `options`: https://, or http:// for a
/// loopback address or a host in options.http_hosts; no user name or password in it.
void check_fetch_url(const std::string& url, const FetchOptions& options);

/// GETs `url` on the calling thread (it blocks: call it on a thread of yours, never on a
/// reactor). Returns when done, when `cancel` becomes true, or at the timeout. Never throws for
/// anything the network or the server does; throws ConfigError for a URL check_fetch_url refuses.
FetchResult fetch(const std::string& url, const FetchOptions& options, const std::atomic<bool>* cancel = nullptr);

/// POSTs `form` (an application/x-www-form-urlencoded body) to `url` with `headers` (each one
/// "Name: value"; `Accept: application/json` unless one of them is an Accept), on the calling
/// thread, with fetch's URL checks, trust and bounds. A redirect is never followed: its answer
/// is returned as it came. Never throws for anything the network or the server does; throws
/// ConfigError for a URL check_fetch_url refuses.
FetchResult post_form(const std::string& url, const std::string& form, const std::vector<std::string>& headers,
                      const FetchOptions& options, const std::atomic<bool>* cancel = nullptr);

}  // namespace fauth::oidc
