#include "fauth/http/server.hpp"

#include <gtest/gtest.h>

#include "fauth/http/api.hpp"
#include "support/http_client.hpp"

TEST(Server, PicksAFreePortAndStopsCleanly) {
    Pistache::Rest::Router router;
    fauth::http::Api api(router, "/login");
    api.get("/ping", [](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter w) {
        fauth::http::send_json(w, Pistache::Http::Code::Ok, {{"pong", true}});
    });
    fauth::http::Server server(api, {.threads = 2});
    const auto port = server.start();
    EXPECT_NE(port, 0);
    EXPECT_EQ(server.port(), port);
    EXPECT_EQ(fauth::test::get(port, "/ping").json()["pong"], true);
    server.stop();
    server.stop();  // twice is fine
    EXPECT_THROW(fauth::test::get(port, "/ping"), std::runtime_error) << "nothing listens any more";
}

TEST(Server, ABusyPortIsAClearError) {
    Pistache::Rest::Router router;
    fauth::http::Api api(router, "/login");
    fauth::http::Server first(api, {});
    const auto port = first.start();
    Pistache::Rest::Router router2;
    fauth::http::Api api2(router2, "/login");
    fauth::http::Server second(api2, {.port = port});
    try {
        second.start();
        // ReuseAddr lets Linux bind a second listener only with SO_REUSEPORT; Pistache does not set it.
        FAIL() << "bound a port that is in use";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(std::to_string(port)), std::string::npos);
    }
}
