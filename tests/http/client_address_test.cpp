#include "fauth/http/client_address.hpp"

#include <gtest/gtest.h>

using fauth::http::client_address;

TEST(ClientAddress, IsThePeerUnlessThePeerIsATrustedProxy) {
    EXPECT_EQ(client_address("203.0.113.9", std::nullopt, {}), "203.0.113.9");
    EXPECT_EQ(client_address("203.0.113.9", "1.2.3.4", {}), "203.0.113.9") << "a spoofed header from a client is ignored";
    EXPECT_EQ(client_address("203.0.113.9", "1.2.3.4", {"10.0.0.1"}), "203.0.113.9");
}

TEST(ClientAddress, FromATrustedProxyIsTheRightmostUntrustedHop) {
    const std::vector<std::string> proxies{"10.0.0.1", "10.0.0.2"};
    EXPECT_EQ(client_address("10.0.0.1", "198.51.100.4", proxies), "198.51.100.4");
    EXPECT_EQ(client_address("10.0.0.1", "6.6.6.6, 198.51.100.4", proxies), "198.51.100.4")
        << "what the client prepended itself is not believed";
    EXPECT_EQ(client_address("10.0.0.1", "6.6.6.6,198.51.100.4 , 10.0.0.2", proxies), "198.51.100.4");
    EXPECT_EQ(client_address("10.0.0.1", "10.0.0.2", proxies), "10.0.0.1") << "only proxies: the peer";
    EXPECT_EQ(client_address("10.0.0.1", "", proxies), "10.0.0.1");
}

TEST(ThrottleClient, GroupsIPv6ByNetworkAndLeavesEverythingElseAlone) {
    using fauth::http::throttle_client;
    EXPECT_EQ(throttle_client("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64), "2001:db8:1:2::/64");
    EXPECT_EQ(throttle_client("2001:db8:1:2::1", 64), throttle_client("2001:db8:1:2:ffff::9", 64)) << "one /64, one client";
    EXPECT_NE(throttle_client("2001:db8:1:2::1", 64), throttle_client("2001:db8:1:3::1", 64));
    EXPECT_EQ(throttle_client("[2001:db8:1:2::1]", 64), "2001:db8:1:2::/64") << "Pistache's bracketed form";
    EXPECT_EQ(throttle_client("2001:db8:1:2::1", 56), "2001:db8:1::/56");
    EXPECT_EQ(throttle_client("2001:db8:1:2::1", 128), "2001:db8:1:2::1/128");
    EXPECT_EQ(throttle_client("2001:db8:1:2::1", 1), "::/1");
    EXPECT_EQ(throttle_client("203.0.113.9", 64), "203.0.113.9");
    EXPECT_EQ(throttle_client("::ffff:203.0.113.9", 64), "::ffff:203.0.113.9") << "an IPv4 client, as IPv4";
    EXPECT_EQ(throttle_client("not:an:address", 64), "not:an:address");
    EXPECT_EQ(throttle_client("", 64), "");
}
