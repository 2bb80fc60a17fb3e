// Redis behind Sentinel (issue 35, first part): redis-sentinel:// URLs, a master found through the
// sentinels and confirmed by ROLE, and a store that follows a failover without a restart. Real
// processes: a master, a replica and three sentinels on loopback.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fauth/core/clock.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/internal/ascii.hpp"
#include "fauth/redis/options.hpp"
#include "fauth/redis/revocation_store.hpp"
#include "support/await.hpp"
#include "support/redis_server.hpp"

using fauth::parse_redis_url;
using fauth::test::await;
using namespace std::chrono_literals;

namespace {

// `command`'s reply on 127.0.0.1:`port` as text (status, string, error; an array's elements
// joined by spaces), or "" when the server cannot be reached.
std::string ask(std::uint16_t port, const char* command) {
    redisContext* c = redisConnect("127.0.0.1", port);
    if (c == nullptr || c->err) {
        if (c) redisFree(c);
        return {};
    }
    auto* reply = static_cast<redisReply*>(redisCommand(c, command));
    std::string text;
    if (reply != nullptr) {
        if (reply->str) text.assign(reply->str, reply->len);
        for (std::size_t i = 0; i < reply->elements; ++i)
            if (reply->element[i]->str)
                text += (text.empty() ? "" : " ") + std::string(reply->element[i]->str, reply->element[i]->len);
        freeReplyObject(reply);
    }
    redisFree(c);
    return text;
}

// `command`'s integer reply on 127.0.0.1:`port`, or -1.
long long integer(std::uint16_t port, const char* command) {
    redisContext* c = redisConnect("127.0.0.1", port);
    if (c == nullptr || c->err) {
        if (c) redisFree(c);
        return -1;
    }
    auto* reply = static_cast<redisReply*>(redisCommand(c, command));
    const long long n = reply != nullptr && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
    if (reply) freeReplyObject(reply);
    redisFree(c);
    return n;
}

// Whether a write on the master on 127.0.0.1:`port` is acknowledged by a replica within 100 ms.
bool acknowledged(std::uint16_t port) {
    redisContext* c = redisConnect("127.0.0.1", port);
    if (c == nullptr || c->err) {
        if (c) redisFree(c);
        return false;
    }
    auto* set = static_cast<redisReply*>(redisCommand(c, "SET test:probe 1"));
    auto* wait = set != nullptr ? static_cast<redisReply*>(redisCommand(c, "WAIT 1 100")) : nullptr;
    const bool held = wait != nullptr && wait->type == REDIS_REPLY_INTEGER && wait->integer >= 1;
    if (wait) freeReplyObject(wait);
    if (set) freeReplyObject(set);
    redisFree(c);
    return held;
}

// Waits until `done()` or `limit` passes; whether it came true.
template <class Done>
bool eventually(Done done, std::chrono::milliseconds limit) {
    for (const auto until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(50ms))
        if (done()) return true;
    return done();
}

// The lines a client's log sink was given.
struct Log {
    std::mutex m;
    std::vector<std::string> lines;
    fauth::LogSink sink() {
        return [this](std::string_view line) {
            std::lock_guard lock(m);
            lines.emplace_back(line);
        };
    }
    bool holds(std::string_view text) {
        std::lock_guard lock(m);
        for (const auto& line : lines)
            if (line.find(text) != std::string::npos) return true;
        return false;
    }
};

// How many of the connections on 127.0.0.1:`port` are fauth's (CLIENT SETNAME fauth).
int fauth_connections(std::uint16_t port) {
    const auto list = ask(port, "CLIENT LIST");
    int n = 0;
    for (auto at = list.find("name=fauth "); at != std::string::npos; at = list.find("name=fauth ", at + 1)) ++n;
    return n;
}

// A master, a replica and three sentinels watching them, every sentinel knowing the replica and
// the two others.
struct Replicated {
    fauth::test::RedisServer master;
    fauth::test::RedisServer replica{{"--replicaof", "127.0.0.1", std::to_string(master.port())}};
    fauth::test::RedisSentinelServer s1{master.port(), 2}, s2{master.port(), 2}, s3{master.port(), 2};

    // Whether the set-up came together (the replica in sync, the sentinels aware of each other).
    bool ready() {
        if (!eventually(
                [&] { return ask(replica.port(), "INFO replication").find("master_link_status:up") != std::string::npos; }, 10s))
            return false;
        for (const auto* s : {&s1, &s2, &s3})
            if (!eventually(
                    [&] {
                        const auto said = ask(s->port(), "SENTINEL MASTER mymaster");
                        return said.find("num-slaves 1") != std::string::npos &&
                               said.find("num-other-sentinels 2") != std::string::npos;
                    },
                    15s))
                return false;
        return true;
    }
    // The URL naming the three sentinels.
    std::string url() const {
        return "redis-sentinel://127.0.0.1:" + std::to_string(s1.port()) + ",127.0.0.1:" + std::to_string(s2.port()) +
               ",127.0.0.1:" + std::to_string(s3.port()) + "/mymaster";
    }
};

// A stand-in for a sentinel on a free loopback port, for what a real one will not do on demand:
// it names whichever port the test sets as the master "mymaster", accepts SUBSCRIBE (and announces
// a switch when the test says so) and PING, and answers anything else with an error.
class FakeSentinel {
public:
    explicit FakeSentinel(std::uint16_t master_port) : master_port_(master_port) {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::listen(listener_, 16) != 0 || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
            throw std::runtime_error("the fake sentinel cannot listen");
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~FakeSentinel() {
        stopping_ = true;
        thread_.join();
        for (const auto& [fd, buffer] : clients_) ::close(fd);
        ::close(listener_);
    }
    FakeSentinel(const FakeSentinel&) = delete;
    FakeSentinel& operator=(const FakeSentinel&) = delete;

    // Its port.
    std::uint16_t port() const { return port_; }
    // Names `port` as the master from now on.
    void name(std::uint16_t port) {
        master_port_ = port;
        ++epoch_;
    }
    // Names `port` as the master under configuration `epoch`, as a sentinel that has not heard of
    // the latest failover would (no announcement).
    void name_at(std::uint16_t port, int epoch) {
        master_port_ = port;
        epoch_ = epoch;
    }
    // Names `port` as the master from now on, and announces it to the subscribers (+switch-master).
    void announce(std::uint16_t port) {
        ++epoch_;
        announced_ = master_port_.exchange(port);
    }
    // How many connections have subscribed.
    int subscribers() const { return subscribers_; }

private:
    // The commands complete in `buffer` (RESP arrays of bulk strings), taken out of it.
    static std::vector<std::vector<std::string>> commands(std::string& buffer) {
        std::vector<std::vector<std::string>> out;
        for (;;) {
            std::size_t at = 0;
            auto line = [&]() -> std::optional<std::string> {
                const auto end = buffer.find("\r\n", at);
                if (end == std::string::npos) return std::nullopt;
                auto text = buffer.substr(at, end - at);
                at = end + 2;
                return text;
            };
            const auto head = line();
            if (!head || head->empty() || (*head)[0] != '*') return out;
            std::vector<std::string> args;
            for (int n = std::stoi(head->substr(1)); n > 0; --n) {
                const auto size = line();
                if (!size) return out;
                const auto length = static_cast<std::size_t>(std::stoul(size->substr(1)));
                if (buffer.size() < at + length + 2) return out;
                args.push_back(buffer.substr(at, length));
                at += length + 2;
            }
            buffer.erase(0, at);
            out.push_back(std::move(args));
        }
    }
    // What it answers to `args`.
    std::string answer(const std::vector<std::string>& args) const {
        auto bulk = [](const std::string& text) { return "$" + std::to_string(text.size()) + "\r\n" + text + "\r\n"; };
        const auto word = args.empty() ? std::string() : fauth::ascii_lower(args[0]);
        if (word == "sentinel" && args.size() == 3 && fauth::ascii_lower(args[1]) == "master" && args[2] == "mymaster")
            return "*8\r\n" + bulk("name") + bulk("mymaster") + bulk("ip") + bulk("127.0.0.1") + bulk("port") +
                   bulk(std::to_string(master_port_.load())) + bulk("config-epoch") + bulk(std::to_string(epoch_.load()));
        if (word == "subscribe" && args.size() == 2) return "*3\r\n" + bulk("subscribe") + bulk(args[1]) + ":1\r\n";
        if (word == "ping") return "*2\r\n" + bulk("pong") + bulk("");
        return "-ERR unknown command\r\n";
    }
    void run() {
        auto bulk = [](const std::string& text) { return "$" + std::to_string(text.size()) + "\r\n" + text + "\r\n"; };
        while (!stopping_) {
            if (const int old = announced_.exchange(0); old != 0) {
                const auto message =
                    "*3\r\n" + bulk("message") + bulk("+switch-master") +
                    bulk("mymaster 127.0.0.1 " + std::to_string(old) + " 127.0.0.1 " + std::to_string(master_port_.load()));
                for (const int fd : subscribed_) [[maybe_unused]] const auto sent = ::write(fd, message.data(), message.size());
            }
            std::vector<pollfd> fds{{listener_, POLLIN, 0}};
            for (const auto& [fd, buffer] : clients_) fds.push_back({fd, POLLIN, 0});
            if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
            if (fds[0].revents != 0)
                if (const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC); fd >= 0) clients_[fd];
            for (std::size_t i = 1; i < fds.size(); ++i) {
                if (fds[i].revents == 0) continue;
                char chunk[4096];
                const auto got = ::read(fds[i].fd, chunk, sizeof chunk);
                if (got <= 0) {
                    ::close(fds[i].fd);
                    clients_.erase(fds[i].fd);
                    subscribed_.erase(fds[i].fd);
                    subscribers_ = static_cast<int>(subscribed_.size());
                    continue;
                }
                auto& buffer = clients_[fds[i].fd];
                buffer.append(chunk, static_cast<std::size_t>(got));
                for (const auto& command : commands(buffer)) {
                    if (!command.empty() && fauth::ascii_lower(command[0]) == "subscribe") {
                        subscribed_.insert(fds[i].fd);
                        subscribers_ = static_cast<int>(subscribed_.size());
                    }
                    const auto reply = answer(command);
                    [[maybe_unused]] const auto sent = ::write(fds[i].fd, reply.data(), reply.size());
                }
            }
        }
    }

    std::atomic<std::uint16_t> master_port_;
    std::uint16_t port_ = 0;
    int listener_ = -1;
    std::map<int, std::string> clients_;  // the thread's only
    std::set<int> subscribed_;            // the thread's only
    std::atomic<int> subscribers_{0};
    std::atomic<int> announced_{0};  // the old master's port, to announce a switch from
    std::atomic<int> epoch_{0};      // the configuration epoch it names the master with
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

// A store's options behind `sentinel` alone, asking no replica to acknowledge, logging to `log`.
fauth::RedisStoreOptions behind(const FakeSentinel& sentinel, Log& log) {
    return {.url = "redis-sentinel://127.0.0.1:" + std::to_string(sentinel.port()) + "/mymaster",
            .replica_acknowledgements = 0,
            .log = log.sink()};
}

}  // namespace

TEST(RedisSentinelUrl, NamesTheSentinelsTheMasterAndTheDatabase) {
    const auto e = parse_redis_url("redis-sentinel://app:secret@10.0.0.1:26380,sentinel-b,10.0.0.3:26381/mymaster/2");
    ASSERT_EQ(e.sentinels.size(), 3u);
    EXPECT_EQ(e.sentinels[0].host, "10.0.0.1");
    EXPECT_EQ(e.sentinels[0].port, 26380);
    EXPECT_EQ(e.sentinels[1].host, "sentinel-b");
    EXPECT_EQ(e.sentinels[1].port, 26379) << "a sentinel's default port";
    EXPECT_EQ(e.sentinels[2].port, 26381);
    EXPECT_EQ(e.master_name, "mymaster");
    EXPECT_EQ(e.database, 2);
    EXPECT_EQ(e.user, "app");
    EXPECT_EQ(e.password, "secret");
    EXPECT_TRUE(parse_redis_url("redis://127.0.0.1:6379/0").sentinels.empty());
}

TEST(RedisSentinelUrl, RefusesWhatItCannotUseSayingWhyWithoutThePassword) {
    for (const char* bad : {"redis-sentinel://h:1/", "redis-sentinel://h:1", "redis-sentinel://h:0/m", "redis-sentinel://,h/m",
                            "redis-sentinel://h/m/x", "redis-sentinel://u:pw@h:99999/m"}) {
        try {
            (void)parse_redis_url(bad);
            ADD_FAILURE() << bad << " was accepted";
        } catch (const fauth::ConfigError& e) {
            EXPECT_EQ(std::string(e.what()).find("pw"), std::string::npos) << e.what();
        }
    }
}

TEST(RedisSentinel, FindsTheMasterAndFollowsAFailoverWithoutARestart) {
    Replicated r;
    ASSERT_TRUE(r.ready());
    auto& master = r.master;
    auto& replica = r.replica;
    Log log;
    fauth::RedisRevocationStore store(fauth::RedisStoreOptions{.url = r.url(), .log = log.sink()});

    const auto expires = fauth::unix_seconds() + 600;
    await(store.revoke_token("jti-before", expires));
    EXPECT_TRUE(await(store.is_revoked({.jti = "jti-before", .must_read_store = true})));
    // Behind Sentinel a revocation is answered once a replica holds it (WAIT 1): it is there
    // already when the master is lost.
    ASSERT_EQ(integer(replica.port(), "DBSIZE"), integer(master.port(), "DBSIZE"));

    master.kill_hard();
    const auto lost = std::chrono::steady_clock::now();
    // Until the sentinels promote the replica, the store fails closed: every check is Unavailable
    // (503, fail_closed) until Redis answers again, from the new master, without a restart.
    bool answered = false;
    int unavailable = 0;
    while (std::chrono::steady_clock::now() - lost < 30s) {
        const auto result = fauth::test::settle(store.is_revoked({.jti = "jti-never-revoked", .must_read_store = true}));
        if (!result.error) {
            EXPECT_FALSE(*result.value) << "a token never revoked read as revoked";
            answered = true;
            break;
        }
        try {
            std::rethrow_exception(result.error);
        } catch (const fauth::Unavailable&) {
            ++unavailable;
        }
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_GT(unavailable, 0) << "the failover took no time at all";
    ASSERT_TRUE(answered) << "no answer within 30 s of losing the master";
    EXPECT_TRUE(await(store.is_revoked({.jti = "jti-before", .must_read_store = true})))
        << "a revocation written before the failover is still there";
    const auto serving_again = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - lost);
    std::printf("served again %lld ms after the master was killed\n", static_cast<long long>(serving_again.count()));
    EXPECT_NE(ask(replica.port(), "ROLE").rfind("master", 0), std::string::npos) << "the replica was promoted";
    EXPECT_TRUE(eventually(
        [&] {
            return log.holds("redis: master 'mymaster' is now \"127.0.0.1\":" + std::to_string(replica.port()) +
                             " (+switch-master from sentinel");
        },
        5s))
        << "the sentinels' announcement was followed";
    // The new master has no replica left: a session-ending write cannot be acknowledged, so it
    // fails (503) rather than be lost in the next failover; reads and logins go on.
    try {
        await(store.revoke_token("jti-alone", expires));
        ADD_FAILURE() << "a revocation no replica holds was answered as done";
    } catch (const fauth::Unavailable& e) {
        EXPECT_NE(std::string(e.what()).find("not acknowledged by 1 replica(s) within 500 ms"), std::string::npos) << e.what();
    }
    // A replica joins the new master: revocations are answered again.
    fauth::test::RedisServer rejoined({"--replicaof", "127.0.0.1", std::to_string(replica.port())});
    ASSERT_TRUE(
        eventually([&] { return ask(rejoined.port(), "INFO replication").find("master_link_status:up") != std::string::npos; },
                   10s));
    // (After its first sync, a replica counts in WAIT once it has acknowledged something: up to a second.)
    ASSERT_TRUE(eventually([&] { return acknowledged(replica.port()); }, 5s));
    await(store.revoke_token("jti-after", expires));
    EXPECT_TRUE(await(store.is_revoked({.jti = "jti-after", .must_read_store = true})));
    EXPECT_EQ(integer(rejoined.port(), "DBSIZE"), integer(replica.port(), "DBSIZE"));
}

TEST(RedisReplicaAcknowledgement, ASessionEndingWriteWaitsForAReplicaAndFailsWithoutOne) {
    fauth::test::RedisServer master;
    fauth::test::RedisServer replica({"--replicaof", "127.0.0.1", std::to_string(master.port())});
    ASSERT_TRUE(
        eventually([&] { return ask(replica.port(), "INFO replication").find("master_link_status:up") != std::string::npos; },
                   10s));
    fauth::RedisRevocationStore store(fauth::RedisStoreOptions{.url = master.url(),
                                                               .connections = 1,
                                                               .revocation_cache_entries = 0,
                                                               .replica_acknowledgements = 1,
                                                               .replica_ack_timeout = 1000ms});
    const auto expires = fauth::unix_seconds() + 600;
    await(store.revoke_family("fam-1", expires));
    EXPECT_EQ(integer(replica.port(), "EXISTS fauth:fam:fam-1"), 1) << "held by the replica when answered";

    // A replica that cannot acknowledge: the write fails (503), it is never a silent success.
    replica.pause();
    const auto started = std::chrono::steady_clock::now();
    auto waiting = store.revoke_family("fam-2", expires);
    // Meanwhile checks are answered: a write waits for replicas on a connection of its own.
    const auto check_started = std::chrono::steady_clock::now();
    EXPECT_FALSE(await(store.is_revoked({.jti = "jti", .family = "fam-other"})));
    EXPECT_LT(std::chrono::steady_clock::now() - check_started, 500ms) << "a check waited behind the WAIT";
    try {
        await(std::move(waiting));
        ADD_FAILURE() << "a write no replica acknowledged was answered as done";
    } catch (const fauth::Unavailable& e) {
        EXPECT_NE(std::string(e.what()).find("not acknowledged by 1 replica(s) within 1000 ms"), std::string::npos) << e.what();
    }
    EXPECT_GE(std::chrono::steady_clock::now() - started, 1000ms);
    replica.resume();
    await(store.revoke_family("fam-3", expires));
    EXPECT_EQ(integer(replica.port(), "EXISTS fauth:fam:fam-3"), 1);
}

TEST(RedisReplicaAcknowledgement, RefusesAnUnusableSetting) {
    EXPECT_THROW(fauth::RedisRevocationStore(
                     fauth::RedisStoreOptions{.url = "redis://127.0.0.1:1/0", .replica_acknowledgements = -2}),
                 fauth::ConfigError);
    EXPECT_THROW(fauth::RedisRevocationStore(
                     fauth::RedisStoreOptions{.url = "redis://127.0.0.1:1/0", .replica_ack_timeout = 0ms}),
                 fauth::ConfigError);
}

// A master the sentinels have replaced but fauth can still reach (cut off from the sentinels
// only, it stays a master and keeps answering): no connection of fauth's notices anything, so
// only the sentinels' +switch-master announcement moves them, the invalidation connection's
// included. Without it, checks would go on reading the old master, which no longer sees the
// revocations other processes write to the new one.
TEST(RedisSentinel, FollowsASwitchMasterAnnouncementAwayFromAMasterStillUp) {
    fauth::test::RedisServer first, second;
    FakeSentinel sentinel(first.port());
    Log log;
    auto options = behind(sentinel, log);
    options.connections = 1;  // (each connection moves before its next command: one, here, is used)
    fauth::RedisRevocationStore store(options);
    const fauth::RevocationQuery q{.jti = "jti", .must_read_store = true};
    EXPECT_FALSE(await(store.is_revoked(q)));
    ASSERT_TRUE(eventually([&] { return fauth_connections(first.port()) >= 2 && sentinel.subscribers() == 1; }, 5s))
        << "a data connection and the invalidation connection on the master, the watcher subscribed";
    ASSERT_TRUE(eventually([&] { return log.holds("redis: following master 'mymaster' at"); }, 5s))
        << "the watcher learnt the master";

    sentinel.announce(second.port());
    const auto expires = std::to_string(fauth::unix_seconds() + 600);
    EXPECT_EQ(ask(second.port(), ("SET fauth:jti:jti 1 EXAT " + expires).c_str()), "OK");  // another process's logout
    EXPECT_TRUE(eventually(
        [&] {
            const auto read = fauth::test::settle(store.is_revoked(q));
            return !read.error && *read.value;
        },
        3s))
        << "still reading the old master";
    EXPECT_TRUE(eventually([&] { return fauth_connections(first.port()) == 0 && fauth_connections(second.port()) >= 2; }, 3s))
        << "fauth's connections: " << fauth_connections(first.port()) << " on the old master, "
        << fauth_connections(second.port()) << " on the new";
    EXPECT_TRUE(log.holds("redis: master 'mymaster' is now \"127.0.0.1\":" + std::to_string(second.port()) +
                          " (+switch-master from sentinel 127.0.0.1:" + std::to_string(sentinel.port()) + "): reconnecting"));
}

// After a failover, a sentinel that names the old master under the older configuration epoch
// (one that has not heard of the failover, or answers alone): the master it names is refused,
// and the store fails closed rather than go back to an old master that may still be up.
TEST(RedisSentinel, AMasterNamedUnderAnOlderEpochThanSeenIsNotUsed) {
    fauth::test::RedisServer first, second;
    FakeSentinel sentinel(first.port());
    Log log;
    auto options = behind(sentinel, log);
    options.connections = 1;
    options.revocation_cache_entries = 0;
    fauth::RedisRevocationStore store(options);
    ASSERT_TRUE(eventually([&] { return log.holds("redis: following master 'mymaster' at"); }, 5s));
    const fauth::RevocationQuery q{.jti = "jti", .must_read_store = true};
    sentinel.announce(second.port());  // epoch 1
    ASSERT_TRUE(eventually([&] { return log.holds("is now \"127.0.0.1\":" + std::to_string(second.port())); }, 5s));
    EXPECT_FALSE(await(store.is_revoked(q)));
    ASSERT_TRUE(eventually([&] { return fauth_connections(second.port()) >= 1; }, 5s));

    sentinel.name_at(first.port(), 0);
    EXPECT_GE(integer(second.port(), "CLIENT KILL TYPE normal"), 1);  // fauth's connection is made again
    try {
        await(store.is_revoked(q));
        ADD_FAILURE() << "an older configuration's master was used";
    } catch (const fauth::Unavailable& e) {
        EXPECT_NE(std::string(e.what()).find("under configuration epoch 0, older than the 1 already seen"), std::string::npos)
            << e.what();
    }
    EXPECT_EQ(fauth_connections(first.port()), 0);
    sentinel.name_at(second.port(), 1);
    EXPECT_FALSE(await(store.is_revoked(q)));
}

// A sentinel that names a replica (it has not heard of a failover yet, or is wrong): the node is
// asked, says it is no master, and nothing is read from it or written to it; the store fails
// closed until a master is named.
TEST(RedisSentinel, ANodeNamedMasterThatSaysItIsNoneIsNotUsed) {
    fauth::test::RedisServer master;
    fauth::test::RedisServer replica({"--replicaof", "127.0.0.1", std::to_string(master.port())});
    ASSERT_TRUE(
        eventually([&] { return ask(replica.port(), "INFO replication").find("master_link_status:up") != std::string::npos; },
                   10s));
    FakeSentinel sentinel(replica.port());
    Log log;
    auto options = behind(sentinel, log);
    options.revocation_cache_entries = 0;
    fauth::RedisRevocationStore store(options);
    EXPECT_THROW(await(store.is_revoked({.jti = "jti"})), fauth::Unavailable) << "a replica answered as the master";
    EXPECT_TRUE(log.holds("master \"127.0.0.1\":" + std::to_string(replica.port()) + " of 'mymaster' is not a master"));
    sentinel.name(master.port());
    EXPECT_FALSE(await(store.is_revoked({.jti = "jti"})));
}

// A write a demoted master refused (READONLY: it was not made) is sent once more, to the master
// the sentinels name then, instead of failing: here a sentinel that announces nothing, and a
// master turned into a replica by hand.
TEST(RedisSentinel, AWriteADemotedMasterRefusedIsSentToTheMasterNamedNow) {
    fauth::test::RedisServer first, second;
    FakeSentinel sentinel(first.port());
    Log log;
    auto options = behind(sentinel, log);
    options.connections = 1;
    options.revocation_cache_entries = 0;
    fauth::RedisRevocationStore store(options);
    // The watcher has learnt the master: no reconnection of its making comes after this.
    ASSERT_TRUE(eventually([&] { return log.holds("redis: following master 'mymaster' at"); }, 5s));
    const auto expires = fauth::unix_seconds() + 600;
    await(store.revoke_token("one", expires));
    EXPECT_EQ(integer(first.port(), "EXISTS fauth:jti:one"), 1);

    sentinel.name(second.port());
    EXPECT_EQ(ask(first.port(), ("REPLICAOF 127.0.0.1 " + std::to_string(second.port())).c_str()), "OK");
    ASSERT_TRUE(
        eventually([&] { return ask(first.port(), "INFO replication").find("master_link_status:up") != std::string::npos; },
                   10s));
    await(store.revoke_token("two", expires));  // sent on the connection to `first`, refused, sent again
    const auto stats = ask(first.port(), "INFO commandstats");
    const auto set = stats.find("cmdstat_set:");
    ASSERT_NE(set, std::string::npos) << stats;
    EXPECT_NE(stats.substr(set, stats.find('\n', set) - set).find("rejected_calls=1,"), std::string::npos)
        << "the write went to the demoted master first, and was refused there: " << stats;
    EXPECT_EQ(integer(second.port(), "EXISTS fauth:jti:two"), 1);
    EXPECT_TRUE(await(store.is_revoked({.jti = "two"})));
}
