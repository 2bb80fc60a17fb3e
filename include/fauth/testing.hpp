/// @file
/// fauth/testing.hpp — a kit for your own GoogleTest suites: serve your Api's routes on a free
/// loopback port in this process, call them as a given user (with a token your provider issues, so
/// roles, scopes and `fresh` are as in production), and check fauth's refusals in one line.
///
///     fauth::testing::TestServer server(api);                       // after every route is added
///     auto alice = fauth::testing::act_as(server, auth, alice_user);
///     EXPECT_EQ(alice.get("/notes").status, 200);
///     EXPECT_TRUE(fauth::testing::refused(server.client().get("/notes"), 401, "Not authenticated"));
///
/// Link fauth::testing (and GTest::gtest). Requests are plain HTTP/1.1 over loopback, one
/// connection each, so what a test sees is what a real client sees.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fauth/http.hpp"

/// A kit for your own GoogleTest suites (link fauth::testing): see fauth/testing.hpp.
namespace fauth::testing {

/// A response as a test reads it.
struct Response {
    /// The status code.
    int status = 0;
    /// Every header but Set-Cookie by lower-case name (the last line of a repeated one).
    std::map<std::string, std::string> headers;
    /// Every Set-Cookie line, in order.
    std::vector<std::string> set_cookies;
    /// The body, as sent.
    std::string body;

    /// The header `name` (any case), or "" when absent.
    std::string header(std::string_view name) const;
    /// The body parsed as JSON (a discarded value when it is not JSON).
    nlohmann::json json() const;
    /// The Set-Cookie line of cookie `name`, or "" when none sets it.
    std::string set_cookie(std::string_view name) const;
    /// The value a Set-Cookie line gives cookie `name` ("" when none sets it).
    std::string cookie_value(std::string_view name) const;
};

/// One client connection to 127.0.0.1:`port`, for tests that control every byte (a malformed
/// request, several requests on one connection). Reads time out after 15 s.
class Connection {
public:
    /// Connects; throws std::runtime_error when it cannot.
    explicit Connection(std::uint16_t port);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Sends `raw` as it is.
    void send(std::string_view raw);
    /// Reads one response: until Content-Length bytes of body have arrived, or the server closes.
    Response read_response();
    /// True when the server closes the connection within `wait_ms` (and sends nothing more).
    bool closed_by_server(int wait_ms);

private:
    bool receive();
    int fd_;
    std::string data_;
};

/// Sends `raw` (a whole request) on a new connection to 127.0.0.1:`port` and reads one response.
Response send_raw(std::uint16_t port, std::string_view raw);

/// Requests to one loopback server, each on a new connection, with the header lines the client
/// holds ("Name: value") added to every request. Cheap to copy.
class Client {
public:
    /// A client of 127.0.0.1:`port` sending `headers` with every request.
    explicit Client(std::uint16_t port, std::vector<std::string> headers = {});

    /// `method` `path` with the client's header lines, then `headers`, and `body`.
    Response request(std::string_view method, std::string_view path, const std::vector<std::string>& headers = {},
                     std::string_view body = {}) const;
    /// GET `path`.
    Response get(std::string_view path, const std::vector<std::string>& headers = {}) const;
    /// POST `path` with a JSON body.
    Response post(std::string_view path, const nlohmann::json& body, const std::vector<std::string>& headers = {}) const;
    /// POST `path` with no body.
    Response post(std::string_view path) const;
    /// PUT `path` with a JSON body.
    Response put(std::string_view path, const nlohmann::json& body, const std::vector<std::string>& headers = {}) const;
    /// DELETE `path`.
    Response del(std::string_view path, const std::vector<std::string>& headers = {}) const;

    /// This client, sending `line` ("Name: value") too with every request.
    Client with_header(std::string line) const;
    /// This client, sending `Authorization: Bearer <token>` with every request.
    Client with_bearer(std::string_view token) const;
    /// The port it calls.
    std::uint16_t port() const noexcept { return port_; }

private:
    std::uint16_t port_;
    std::vector<std::string> headers_;
};

/// `api`'s routes served on a free loopback port, in this process, until destroyed (Pistache
/// threads stopped and joined). Build it after every route is added.
class TestServer {
public:
    /// Serves `api` with `threads` reactor threads; throws std::runtime_error when no port binds.
    explicit TestServer(http::Api& api, int threads = 1);
    /// The bound port.
    std::uint16_t port() const noexcept { return server_.port(); }
    /// An anonymous client of this server.
    Client client() const { return Client(port()); }

private:
    http::Server server_;
};

/// Whether act_as's token is fresh (as after a password login) or not (as after a refresh).
enum class Freshness { fresh, not_fresh };

/// A client of `server` acting as `user`: every request carries an access token `auth` issues for
/// it as its login endpoint would (AuthProvider::sign_in: the claims set_login_claims computes,
/// fresh unless `freshness` says not). The session is real: logout and revoke_all end it.
template <class User>
Client act_as(const TestServer& server, const AuthProvider<User>& auth, const User& user,
              Freshness freshness = Freshness::fresh) {
    const auto proof = freshness == Freshness::fresh ? Engine::Proof::password : Engine::Proof::none;
    return server.client().with_bearer(auth.sign_in(user, proof).access_token);
}

/// Success when `response` is fauth's refusal with `status` and `{"detail": detail}` (and, for
/// 401, a `WWW-Authenticate` challenge: `Bearer`, or `APIKey` on a route that takes API keys only);
/// otherwise a failure saying what came instead.
::testing::AssertionResult refused(const Response& response, int status, std::string_view detail);

}  // namespace fauth::testing
