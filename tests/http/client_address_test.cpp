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

TEST(ClientAddress, ForwardedHopsAreParsedAsAddresses) {
    const std::vector<std::string> proxies{"10.0.0.5"};
    EXPECT_EQ(client_address("10.0.0.5", "198.51.100.7:51234", proxies), "198.51.100.7") << "Azure's IP:port";
    EXPECT_EQ(client_address("10.0.0.5", "198.51.100.7:51235", proxies), client_address("10.0.0.5", "198.51.100.7", proxies))
        << "a new TCP connection is not a new client";
    EXPECT_EQ(client_address("10.0.0.5", "[2001:db8::1]:443", proxies), "2001:db8::1");
    EXPECT_EQ(client_address("10.0.0.5", "[2001:db8::1]", proxies), "2001:db8::1");
    EXPECT_EQ(client_address("10.0.0.5", "2001:DB8:0::1", proxies), "2001:db8::1") << "one spelling per address";
    EXPECT_EQ(client_address("10.0.0.5", "::ffff:198.51.100.7", proxies), "198.51.100.7") << "IPv4-mapped is IPv4";
    EXPECT_EQ(client_address("10.0.0.5", "[::ffff:198.51.100.7]:80", proxies), "198.51.100.7");
    EXPECT_EQ(client_address("10.0.0.5", "6.6.6.6, 198.51.100.7:1, 10.0.0.5:8080", proxies), "198.51.100.7")
        << "a trusted proxy's hop with a port is still that proxy";
    EXPECT_EQ(client_address("[::ffff:10.0.0.5]", "198.51.100.7", proxies), "198.51.100.7")
        << "the peer compared as an address too";
}

TEST(ClientAddress, AHopThatIsNoAddressIsTheProxyNeverAClientName) {
    const std::vector<std::string> proxies{"10.0.0.5", "10.0.0.6"};
    for (const char* hop : {"unknown", "_hidden", "_SEVKISEK", "garbage", "198.51.100.7:99999", "198.51.100.7:", "198.51.100.7:x",
                            "[2001:db8::1]x", "[2001:db8::1", "2001:db8::1]", "fe80::1%eth0", "1.2.3", "256.1.1.1", "01.2.3.4",
                            "host.example.com", "\"198.51.100.7\""}) {
        EXPECT_EQ(client_address("10.0.0.5", hop, proxies), "10.0.0.5") << hop;
        EXPECT_EQ(client_address("10.0.0.5", std::string("6.6.6.6, ") + hop + ", 10.0.0.6", proxies), "10.0.0.5")
            << hop << ": nothing left of it is believed";
    }
}

TEST(ClientAddress, ParsesTheAcceptedFormsAndNothingElse) {
    using fauth::http::parse_ip_address;
    EXPECT_EQ(parse_ip_address("198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(parse_ip_address(" 198.51.100.7:0 "), "198.51.100.7");
    EXPECT_EQ(parse_ip_address("198.51.100.7:65535"), "198.51.100.7");
    EXPECT_EQ(parse_ip_address("::1"), "::1");
    EXPECT_EQ(parse_ip_address("[::1]:8080"), "::1");
    EXPECT_EQ(parse_ip_address("::FFFF:C633:6407"), "198.51.100.7") << "mapped, written in hex";
    EXPECT_EQ(parse_ip_address(""), std::nullopt);
    EXPECT_EQ(parse_ip_address("[]"), std::nullopt);
    EXPECT_EQ(parse_ip_address("[]:80"), std::nullopt);
    EXPECT_EQ(parse_ip_address("198.51.100.7:65536"), std::nullopt);
    EXPECT_EQ(parse_ip_address("198.51.100.7:+80"), std::nullopt);
    EXPECT_EQ(parse_ip_address("[198.51.100.7]"), std::nullopt) << "brackets are for IPv6";
    EXPECT_EQ(parse_ip_address(std::string(100, ':')), std::nullopt);
    EXPECT_EQ(parse_ip_address(std::string(1000, '1')), std::nullopt);
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
