/// @file
/// fauth/http/response.hpp — the one place where fauth's errors become HTTP responses, and the
/// JSON helpers every fauth route uses.
#pragma once

#include <array>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <pistache/http.h>
#include <pistache/http_header.h>

#include "fauth/core/config.hpp"
#include "fauth/core/errors.hpp"

namespace fauth::http {

/// The WWW-Authenticate response header. A typed header: Pistache 0.0.5 drops raw ones.
class WwwAuthenticate : public Pistache::Http::Header::Header {
public:
    NAME("WWW-Authenticate")
    WwwAuthenticate() = default;
    /// A header whose value is `value`, e.g. `Bearer error="invalid_token"`.
    explicit WwwAuthenticate(std::string value) : value_(std::move(value)) {}
    /// Reads a header value.
    void parse(const std::string& data) override { value_ = data; }
    /// Writes the header value.
    void write(std::ostream& os) const override { os << value_; }
    /// The header value.
    const std::string& value() const noexcept { return value_; }

private:
    std::string value_;
};

/// The `Pragma: no-cache` response header (RFC 6749 section 5.1 asks token responses for it,
/// for HTTP/1.0 caches).
class PragmaNoCache : public Pistache::Http::Header::Header {
public:
    NAME("Pragma")
    /// Reads a header value (only no-cache is ever written).
    void parse(const std::string&) override {}
    /// Writes the header value.
    void write(std::ostream& os) const override { os << "no-cache"; }
};

/// The DPoP-Nonce response header (RFC 9449 section 8.1): the nonce the client's next proof carries.
class DpopNonce : public Pistache::Http::Header::Header {
public:
    NAME("DPoP-Nonce")
    DpopNonce() = default;
    /// A header whose value is `nonce`.
    explicit DpopNonce(std::string nonce) : nonce_(std::move(nonce)) {}
    /// Reads a header value.
    void parse(const std::string& data) override { nonce_ = data; }
    /// Writes the header value.
    void write(std::ostream& os) const override { os << nonce_; }

private:
    std::string nonce_;
};

/// The Retry-After response header, in seconds.
class RetryAfter : public Pistache::Http::Header::Header {
public:
    NAME("Retry-After")
    RetryAfter() = default;
    /// Retry after `seconds`.
    explicit RetryAfter(long seconds) : seconds_(seconds) {}
    /// Reads a header value.
    void parse(const std::string& data) override { seconds_ = std::stol(data); }
    /// Writes the header value.
    void write(std::ostream& os) const override { os << seconds_; }

private:
    long seconds_ = 1;
};

/// The HTTP status for an error kind: 401, 403, 429, 503 or 500.
Pistache::Http::Code status_of(ErrorKind kind) noexcept;

/// Sends `body` as application/json with status `code`.
void send_json(Pistache::Http::ResponseWriter& writer, Pistache::Http::Code code, const nlohmann::json& body);

/// Sends `{"detail": detail}` with status `code`.
void send_detail(Pistache::Http::ResponseWriter& writer, Pistache::Http::Code code, std::string_view detail);

/// What a `WWW-Authenticate` header says (RFC 6750 section 3, RFC 9449 section 7.1, RFC 9728
/// section 5.1): the challenges of a route's schemes, and on the one whose credentials came, why.
struct Challenge {
    /// A challenge for a request that did (`token_presented`) or did not carry a token.
    Challenge(bool presented = false, std::string_view metadata = {})  // NOLINT: implicit from bool
        : token_presented(presented), resource_metadata(metadata) {}
    /// The request carried a token: the challenge of its scheme (presented_by) gets `error`.
    bool token_presented;
    /// The resource server's metadata URL (HttpConfig::resource_metadata_url), when it has one:
    /// said on the first Bearer or DPoP challenge.
    std::string_view resource_metadata;
    /// The route takes bearer tokens (or their cookie): a `Bearer` challenge leads.
    bool bearer = true;
    /// The challenges of the route's other schemes, as each writes its own (e.g., `APIKey
    /// header="X-API-Key"`, `DPoP algs="ES256"`): they follow the Bearer one, in the route's order
    /// (empty ones unused).
    std::array<std::string_view, 4> others{};
    /// The auth-scheme of the challenge that gets the error ("DPoP"); empty: the Bearer one.
    std::string_view presented_by;
    /// A DPoP server nonce to give the client (the `DPoP-Nonce` header), when the route wants them.
    std::string dpop_nonce;
    /// The scopes a refused token lacks, space-separated: a 403 then says RFC 6750's
    /// `error="insufficient_scope", scope="..."` on the presented scheme's challenge.
    std::string scope;
    /// The `acr` values a refused token's new sign-in must reach, space-separated: a 401 then says
    /// RFC 9470's `acr_values="..."` beside `error="insufficient_user_authentication"`.
    std::string acr_values;
    /// The most a new sign-in's age may be, said as RFC 9470's `max_age="..."` likewise.
    std::optional<std::chrono::seconds> max_age;
    /// Adds `challenge` to `others` (a route names each scheme once, and there are fewer kinds).
    void add(std::string_view challenge) noexcept;
    /// The header's value, e.g., `Bearer error="invalid_token", resource_metadata="https://..."`,
    /// with `error` as the error code when a token was presented (and `scope`, when set).
    std::string header_value(std::string_view error = "invalid_token") const;
};

/// Sends `error` in FAuth's wire format: `{"detail": ...}` with its status; 401s carry the
/// `WWW-Authenticate` header `challenge` describes (for FreshTokenRequired with RFC 9470's
/// `error="insufficient_user_authentication"`, for a DPoP proof `error="invalid_dpop_proof"`),
/// and so do 403s of a challenge with a `scope` (`error="insufficient_scope"`); 429s and 503s
/// carry Retry-After. An internal error is
/// logged to `log` and answered with "Internal Server Error".
void send_error(Pistache::Http::ResponseWriter& writer, const Error& error, const Challenge& challenge, const LogSink& log);
/// send_error for a failure as a value: the one place a Failure becomes an HTTP answer.
void send_failure(Pistache::Http::ResponseWriter& writer, const Failure& failure, const Challenge& challenge,
                  const LogSink& log) noexcept;

/// send_failure for a browser: the same status and headers, with a short HTML page saying the
/// failure's detail and linking to "/" instead of the JSON body.
void send_failure_page(Pistache::Http::ResponseWriter& writer, const Failure& failure, const LogSink& log) noexcept;

/// send_failure for whatever `failure` holds (failure_of): a fauth::Error keeps its status;
/// anything else is logged and answered 500 {"detail": "Internal Server Error"}, never revealing
/// its message. For exceptions your handlers throw.
void send_exception(Pistache::Http::ResponseWriter& writer, std::exception_ptr failure, const Challenge& challenge,
                    const LogSink& log) noexcept;

/// The 401 for a request that sent no bearer token: "Not authenticated", challenged as
/// `WWW-Authenticate: Bearer` (with `resource_metadata` when given).
void send_not_authenticated(Pistache::Http::ResponseWriter& writer, std::string_view resource_metadata = {});
/// The same 401 "Not authenticated", challenged as `challenge` says.
void send_not_authenticated(Pistache::Http::ResponseWriter& writer, const Challenge& challenge);

/// The 429 for a throttled request, with Retry-After `retry_after_seconds`.
void send_too_many_requests(Pistache::Http::ResponseWriter& writer, long retry_after_seconds);

}  // namespace fauth::http
