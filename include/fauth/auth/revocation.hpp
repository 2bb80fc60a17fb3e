/// @file
/// fauth/auth/revocation.hpp — where revoked tokens, ended sessions and used refresh tokens are kept:
/// the store interface every protected request consults, and the in-memory default.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <queue>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fauth/core/config.hpp"
#include "fauth/core/outcome.hpp"

namespace fauth {

/// What is asked of a store about one token. The views are valid only during the call.
struct RevocationQuery {
    /// The token's jti.
    std::string_view jti;
    /// The token's session family, or empty.
    std::string_view family;
    /// The token's subject.
    std::string_view sub;
    /// The token's issue time in microseconds (TokenPayload::issued_at_us).
    std::int64_t issued_at_us = 0;
    /// The answer must be read from the shared store itself, not from a copy this process keeps
    /// (RedisRevocationStore's cache), since a token is about to be exchanged for new ones on its
    /// strength (Engine::check sets it for a refresh token). A store without such a copy ignores it.
    bool must_read_store = false;
};

/// One use of a refresh token, as RevocationStore::use_refresh records it. The views are valid
/// only during the call.
struct RefreshUse {
    /// The token's session family.
    std::string_view family;
    /// The token's subject.
    std::string_view sub;
    /// The token's jti.
    std::string_view jti;
    /// The token's issue time in microseconds: each refresh token of a family is issued later
    /// than the one it replaced (TokenPayload::issued_at_us).
    std::int64_t issued_at_us = 0;
    /// The token's exp: the record is useful until then.
    std::int64_t expires_at = 0;
    /// The issue time in microseconds of the pair this use is exchanged for, recorded with it, so
    /// that a repeat of this use can be given the same pair. A first use records it as its
    /// session's last refresh (SessionRecord::refreshed_us).
    std::int64_t next_issued_at_us = 0;
    /// The client address the refresh came from (as throttles count it), recorded on a first use
    /// as its session's SessionRecord::client; empty: left as it was.
    std::string_view client;
    /// Until when (seconds) the pair this use is exchanged for, with verify's leeway, is usable: a
    /// first use keeps its session's record (RevocationStore::open_session) at least that long.
    /// 0: not moved.
    std::int64_t next_expires_at = 0;
};

/// Most bytes of SessionRecord::user_agent; a longer one is cut.
inline constexpr std::size_t kSessionUserAgentBytes = 256;
/// Most bytes of SessionRecord::label; a longer one is cut.
inline constexpr std::size_t kSessionLabelBytes = 64;
/// Most bytes of SessionRecord::client; a longer one is cut.
inline constexpr std::size_t kSessionClientBytes = 128;
/// Most tags of one session (SessionRecord::tags).
inline constexpr std::size_t kSessionTags = 4;
/// Most bytes of one tag.
inline constexpr std::size_t kSessionTagBytes = 128;

/// One session (a family of tokens) as a store that keeps a session list records it: opened at
/// login (RevocationStore::open_session), moved on by each refresh, listed by
/// RevocationStore::sessions_of.
struct SessionRecord {
    /// The session's family id (TokenPayload::family).
    std::string id;
    /// Whose session it is.
    std::string sub;
    /// When it began, in microseconds since the epoch (its tokens' auth_time_us).
    std::int64_t started_us = 0;
    /// When its refresh token was last exchanged, in microseconds (started_us before the first).
    std::int64_t refreshed_us = 0;
    /// The end of the session's lifetime, in seconds (AuthConfig::session_lifetime after its start).
    std::int64_t expires_at = 0;
    /// The client address of the login, then of the last refresh, as throttles count it.
    std::string client;
    /// The User-Agent of the login: at most kSessionUserAgentBytes, control characters replaced by '?'.
    std::string user_agent;
    /// A name the application or the user gave it (at most kSessionLabelBytes), or empty.
    std::string label;
    /// How it began: "password", "oidc:<provider>", "app" (AuthProvider::login, sign_in without a device).
    std::string origin;
    /// At most kSessionTags tags of at most kSessionTagBytes each, indexed: RevocationStore::end_tagged
    /// ends every session carrying one (a back-channel logout's "oidc-sid:<hash>").
    std::vector<std::string> tags;
};

/// `record` as a store keeps it: user_agent, label and client cut to their bounds (never inside
/// a UTF-8 sequence), control characters in them replaced by '?'. Tags are not changed: see
/// session_tags_refusal.
SessionRecord bounded_session(SessionRecord record);
/// Why `tags` cannot be a session's (more than kSessionTags, an empty one, or one over
/// kSessionTagBytes), or nothing when they can.
std::optional<Failure> session_tags_refusal(const std::vector<std::string>& tags);

/// What RevocationStore::use_refresh found.
struct RefreshUseResult {
    /// The first use of the family's newest token: now recorded.
    bool first_use = false;
    /// For a repeat of the family's newest use (the same token presented again, by a second tab
    /// or a retried request): the next_issued_at_us that use recorded. 0 otherwise: with
    /// first_use false, reuse (a token used before the newest one, a revoked family, or a repeat
    /// whose record holds no time).
    std::int64_t repeat_of_us = 0;
};

/// Revocation state shared by every server that verifies tokens. Every entry carries the time
/// (seconds since the epoch) after which it is useless, and disappears by itself then. Every
/// operation answers with an Outcome, ready when the store has the answer at hand (in this
/// process), else settled later from the store's own thread; none throws: a failure is a Failure.
class RevocationStore {
public:
    virtual ~RevocationStore() = default;
    /// What kind of store it is, for metrics (the fauth.store attribute): "memory", "redis", or
    /// anything else (counted as "other").
    virtual std::string_view kind() const noexcept { return "other"; }

    /// True when the token is revoked: its jti, its family, or (through revoke_subject) every
    /// token of its subject issued before a moment.
    virtual Outcome<bool> is_revoked(const RevocationQuery& query) = 0;
    /// Revokes one token id until `expires_at`.
    virtual Outcome<void> revoke_token(std::string jti, std::int64_t expires_at) = 0;
    /// Revokes a whole session family until `expires_at`.
    virtual Outcome<void> revoke_family(std::string family, std::int64_t expires_at) = 0;
    /// Revokes every token of `sub` issued before `not_before_us` (microseconds since the epoch),
    /// until `expires_at` (seconds). A later call never moves the moment back.
    virtual Outcome<void> revoke_subject(std::string sub, std::int64_t not_before_us, std::int64_t expires_at) = 0;
    /// Revokes every token of `sub` issued up to now by the store's own clock, to the microsecond,
    /// or up to `at_least_us` when that is later, until `expires_at` (seconds); resolves to the
    /// cutoff now in force: every token of `sub` issued at or before it is revoked, later ones are
    /// not (the cutoff of this call, or a later one an earlier call left: it never moves back).
    /// A store that every process shares reads one clock for all of them (Redis: `TIME`, in the
    /// same script that writes), so that a revoke_all is judged by that clock wherever it is
    /// called. The default, for a store with no clock of its own: revoke_subject up to
    /// `at_least_us`, the caller's clock deciding.
    virtual Outcome<std::int64_t> revoke_subject_now(std::string sub, std::int64_t at_least_us, std::int64_t expires_at);
    /// Records that a refresh token of `use.family` has been used, atomically: first_use when it is
    /// newer than every token of its family used before (the first use of the family's current
    /// token); for the newest used token presented again, its recorded next_issued_at_us
    /// (repeat_of_us), whoever presents it and however often (the caller judges how late a repeat
    /// may come); nothing for an older token (reuse). One record per family, whatever the number
    /// of refreshes: it holds the newest issue time used and the time of the pair given for it.
    virtual Outcome<RefreshUseResult> use_refresh(const RefreshUse& use) = 0;

    /// True when the store keeps a list of sessions (open_session and the rest below work): the
    /// engine then records each login's session. The default, false: a store of yours written
    /// before session lists keeps working, without them.
    virtual bool keeps_sessions() const noexcept { return false; }
    /// Records a new session (at login), kept at least until `kept_until` (seconds: when its first
    /// tokens, with verify's leeway, are over; each refresh moves it on: RefreshUse::next_expires_at)
    /// and never past record.expires_at. Beyond the store's bound of sessions per subject, the
    /// least recently refreshed session of the subject is ended (its family revoked) to make room:
    /// a login is never refused for it. The default answers a Failure: no session list.
    virtual Outcome<void> open_session(SessionRecord record, std::int64_t kept_until);
    /// The live sessions of `sub` (not ended, not revoked, not past their lifetime or their last
    /// tokens, not cut off by revoke_subject), the most recently refreshed first; O(sessions of
    /// `sub`). The default answers a Failure: no session list.
    virtual Outcome<std::vector<SessionRecord>> sessions_of(std::string sub);
    /// Ends session `id` of `sub` (its family revoked): true; false when `id` is not a live session
    /// of `sub` (another user's included, which is left alone). The default answers a Failure.
    virtual Outcome<bool> end_session(std::string sub, std::string id);
    /// Ends every live session carrying `tag`, whoever's it is; the number ended. The default
    /// answers a Failure.
    virtual Outcome<std::size_t> end_tagged(std::string tag);
};

/// The default store: in this process only, thread-safe, with expired entries swept away; every
/// answer is ready (is_revoked allocates nothing). Its cap bounds what refreshes add (a new
/// session's first refresh beyond it, or beyond a subject's own bound, fails with Unavailable);
/// revocations (logout, a family, revoke_all) are never refused, since each one ends sessions that
/// logins (throttled, each a bcrypt check) created.
class MemoryRevocationStore final : public RevocationStore {
public:
    /// Limits and clock of a MemoryRevocationStore.
    struct Options {
        /// Most entries refreshes may fill the store to (about 150 bytes each).
        std::size_t max_entries = 1'000'000;
        /// Most sessions (families with a refresh record, or opened by open_session) one subject
        /// may hold at once. open_session beyond it ends the subject's least recently refreshed
        /// session; a first refresh of a family no open_session recorded beyond it fails.
        std::size_t max_sessions_per_subject = 1000;
        /// Time source for expiry and for revoke_subject_now's cutoff (the store's clock, which
        /// judges a revoke_all made by any provider sharing this store); the system clock when empty.
        Clock clock;
    };

    /// An empty store.
    explicit MemoryRevocationStore(Options options);
    MemoryRevocationStore();

    Outcome<bool> is_revoked(const RevocationQuery& query) override;
    /// "memory".
    std::string_view kind() const noexcept override { return "memory"; }
    Outcome<void> revoke_token(std::string jti, std::int64_t expires_at) override;
    Outcome<void> revoke_family(std::string family, std::int64_t expires_at) override;
    Outcome<void> revoke_subject(std::string sub, std::int64_t not_before_us, std::int64_t expires_at) override;
    /// revoke_subject up to now by Options::clock (the store's clock), or `at_least_us` if later.
    Outcome<std::int64_t> revoke_subject_now(std::string sub, std::int64_t at_least_us, std::int64_t expires_at) override;
    Outcome<RefreshUseResult> use_refresh(const RefreshUse& use) override;
    /// True.
    bool keeps_sessions() const noexcept override { return true; }
    Outcome<void> open_session(SessionRecord record, std::int64_t kept_until) override;
    Outcome<std::vector<SessionRecord>> sessions_of(std::string sub) override;
    Outcome<bool> end_session(std::string sub, std::string id) override;
    Outcome<std::size_t> end_tagged(std::string tag) override;

    /// Entries held, expired ones not yet swept included.
    std::size_t size() const;
    /// Drops every expired entry now.
    void sweep();

private:
    struct Subject {
        std::int64_t not_before_us = 0;
        std::int64_t expires_at = 0;
        std::size_t sessions = 0;       // families of this subject with a record
        std::list<std::string> recent;  // of those, the ones open_session recorded: least recently refreshed first
    };
    // What open_session recorded about a family.
    struct Session {
        SessionRecord record;
        std::int64_t kept_until = 0;                 // when its newest tokens are over
        std::list<std::string>::iterator in_recent;  // its place in its Subject::recent
    };
    // One session family: revoked, or the newest issue time of its refresh tokens used so far.
    struct Family {
        bool revoked = false;
        std::int64_t used_up_to_us = 0;
        std::int64_t given_us = 0;  // next_issued_at_us of that newest use
        std::int64_t expires_at = 0;
        std::string sub;                   // whose session count it is in (empty for a revocation alone)
        std::unique_ptr<Session> session;  // open_session's record, while the session is not ended
    };
    // When an entry of `kind` (t: token, f: family, s: subject) is due to expire, as it was when
    // last looked at; the earliest first.
    struct Expiry {
        std::int64_t at;
        char kind;
        std::string key;
        bool operator>(const Expiry& other) const noexcept { return at > other.at; }
    };
    std::int64_t now() const;
    // Drops up to `steps` entries that have expired (an entry met whose time was extended goes
    // back in the queue); true when one more entry then fits under max_entries. O(log n) a step:
    // no request ever pays for a sweep of the whole store.
    bool room_locked(std::int64_t now, int steps = 4);
    // Revokes the tokens of `sub` issued before `not_before_us` (never moving its moment back);
    // the moment now in force.
    std::int64_t revoke_subject_locked(std::string sub, std::int64_t not_before_us, std::int64_t expires_at);
    // Puts a new entry in the expiry queue.
    void track_locked(char kind, const std::string& key, std::int64_t expires_at);
    // The time entry `kind`/`key` expires now, or nothing when it is gone; erases it when it has
    // expired by `now` (a family's session count with it), answering nothing then too.
    std::optional<std::int64_t> expire_locked(char kind, const std::string& key, std::int64_t now);
    void sweep_locked(std::int64_t now);
    // Whether `family`'s recorded session is live at `now` (see sessions_of).
    bool live_locked(const Family& family, std::int64_t now) const;
    // Forgets `family`'s session record: out of its subject's list and count, and its tags.
    void drop_session_locked(Family& family);
    // Ends `family`'s session: revoked for as long as its tokens last, and its record dropped.
    void end_locked(Family& family);
    // Looked up by string_view without building a std::string (heterogeneous lookup).
    struct KeyHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view key) const noexcept { return std::hash<std::string_view>{}(key); }
    };
    template <class V>
    using Map = std::unordered_map<std::string, V, KeyHash, std::equal_to<>>;

    Options options_;
    mutable std::shared_mutex mutex_;
    Map<std::int64_t> tokens_;
    Map<Family> families_;
    Map<Subject> subjects_;
    Map<std::unordered_set<std::string>> tagged_;                                // tag -> families whose sessions carry it
    std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> expiries_;  // every entry once
};

}  // namespace fauth
