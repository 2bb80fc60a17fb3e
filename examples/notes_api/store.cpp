#include "store.hpp"

#include <sqlite3.h>

#include <chrono>

#include <fauth/core/api_key.hpp>
#include <fauth/core/token.hpp>
#include <nlohmann/json.hpp>

#include "validation.hpp"

namespace notes {
namespace {

// Each entry migrates the schema from version i to i + 1; never edit one that has shipped.
const char* const kMigrations[] = {
    R"sql(
    CREATE TABLE users (
        id              TEXT PRIMARY KEY,
        email           TEXT NOT NULL UNIQUE COLLATE NOCASE,
        hashed_password TEXT NOT NULL,
        is_active       INTEGER NOT NULL DEFAULT 1,
        roles           TEXT NOT NULL DEFAULT '[]',
        created_at      INTEGER NOT NULL
    );
    CREATE TABLE notes (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        owner_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        title      TEXT NOT NULL,
        body       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX notes_by_owner ON notes(owner_id, id);
    )sql",
    // Version 2: e-mail verification. Users that existed before it keep logging in.
    R"sql(
    ALTER TABLE users ADD COLUMN is_verified INTEGER NOT NULL DEFAULT 1;
    )sql",
    // Version 3: API keys, by their lookup part; only the SHA-256 of a key is kept.
    R"sql(
    CREATE TABLE api_keys (
        id           TEXT PRIMARY KEY,
        hash         TEXT NOT NULL,
        owner_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name         TEXT NOT NULL,
        scopes       TEXT NOT NULL DEFAULT '[]',
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER,
        last_used_at INTEGER,
        revoked      INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX api_keys_by_owner ON api_keys(owner_id, created_at);
    )sql",
    // Version 4: accounts signed in through an OpenID provider, by the provider's issuer and
    // subject (never by e-mail address alone: another provider may claim the same one).
    R"sql(
    CREATE TABLE identities (
        issuer     TEXT NOT NULL,
        subject    TEXT NOT NULL,
        user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        provider   TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (issuer, subject)
    );
    CREATE INDEX identities_by_user ON identities(user_id);
    )sql",
    // Version 5: second factors and passkeys. A TOTP secret is kept sealed (fauth seals it under
    // the server's key, bound to the user), recovery codes as digests; a passkey by its credential
    // id, with its COSE public key, its signature counter and its flags (WebAuthn's UV, BE and BS
    // bits of the registration's authenticator data: 0x04, 0x08, 0x10).
    R"sql(
    CREATE TABLE totp_factors (
        sub           TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        sealed_secret BLOB NOT NULL,
        algorithm     TEXT NOT NULL,
        digits        INTEGER NOT NULL,
        period        INTEGER NOT NULL,
        confirmed     INTEGER NOT NULL DEFAULT 0,
        last_step     INTEGER NOT NULL DEFAULT -1,
        created_at    INTEGER NOT NULL
    );
    CREATE TABLE recovery_codes (
        sub    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        digest TEXT NOT NULL,
        PRIMARY KEY (sub, digest)
    );
    CREATE TABLE passkeys (
        id           BLOB PRIMARY KEY,
        sub          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        user_handle  BLOB NOT NULL,
        public_key   BLOB NOT NULL,
        algorithm    INTEGER NOT NULL,
        sign_count   INTEGER NOT NULL,
        flags        INTEGER NOT NULL,
        aaguid       BLOB NOT NULL,
        attestation  TEXT NOT NULL,
        name         TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX passkeys_by_user ON passkeys(sub, created_at);
    )sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

std::int64_t now_seconds() { return fauth::unix_seconds(); }

std::string roles_text(const std::vector<std::string>& roles) { return nlohmann::json(roles).dump(); }

std::vector<std::string> roles_of(const std::string& text) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    std::vector<std::string> roles;
    if (j.is_array())
        for (const auto& r : j)
            if (r.is_string()) roles.push_back(r.get<std::string>());
    return roles;
}

}  // namespace

// One prepared statement, finalized when it goes out of scope.
class Store::Statement {
public:
    Statement(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
            throw StoreError(std::string("SQLite: cannot prepare: ") + sqlite3_errmsg(db));
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int i, const std::string& v) {
        check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
        return *this;
    }
    Statement& bind(int i, std::int64_t v) {
        check(sqlite3_bind_int64(stmt_, i, v));
        return *this;
    }
    /// Binds bytes as a BLOB (credential ids, keys, sealed secrets), never as text.
    Statement& bind_blob(int i, const std::string& v) {
        check(sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
        return *this;
    }
    /// True while there is a row; throws on errors (a UNIQUE violation as DuplicateEmail).
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        if (sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_UNIQUE) throw DuplicateEmail();
        throw StoreError(std::string("SQLite: ") + sqlite3_errmsg(db_));
    }
    std::string text(int col) const {
        const auto* p = sqlite3_column_text(stmt_, col);
        return p == nullptr
                   ? std::string()
                   : std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
    }
    std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
    std::string blob(int col) const {
        const auto* p = sqlite3_column_blob(stmt_, col);
        return p == nullptr
                   ? std::string()
                   : std::string(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
    }
    bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    int changes() const { return sqlite3_changes(db_); }

private:
    void check(int rc) {
        if (rc != SQLITE_OK) throw StoreError(std::string("SQLite: cannot bind: ") + sqlite3_errmsg(db_));
    }
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

namespace {

// The user in the six columns from `first` on, in kUserColumns's order.
User read_user(const auto& s, int first = 0) {
    return User{s.text(first),
                s.text(first + 1),
                s.text(first + 2),
                s.integer(first + 3) != 0,
                roles_of(s.text(first + 4)),
                s.integer(first + 5) != 0};
}

Note read_note(const auto& s) { return Note{s.integer(0), s.text(1), s.text(2), s.text(3), s.integer(4), s.integer(5)}; }

std::optional<std::int64_t> optional_integer(const auto& s, int col) {
    if (s.is_null(col)) return std::nullopt;
    return s.integer(col);
}

fauth::ApiKey read_key(const auto& s) {
    fauth::ApiKey key;
    key.id = s.text(0);
    key.hash = s.text(1);
    key.owner = s.text(2);
    key.name = s.text(3);
    key.scopes = roles_of(s.text(4));
    key.created_at = s.integer(5);
    key.expires_at = optional_integer(s, 6);
    key.last_used_at = optional_integer(s, 7);
    key.revoked = s.integer(8) != 0;
    return key;
}

constexpr const char* kKeyColumns =
    "SELECT k.id, k.hash, k.owner_id, k.name, k.scopes, k.created_at, k.expires_at, k.last_used_at, k.revoked";

constexpr const char* kUserColumns = "SELECT id, email, hashed_password, is_active, roles, is_verified FROM users ";
constexpr const char* kNoteColumns = "SELECT id, owner_id, title, body, created_at, updated_at FROM notes ";

}  // namespace

Store::Store(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
        SQLITE_OK) {
        const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw StoreError("cannot open database '" + path + "': " + why);
    }
    sqlite3_busy_timeout(db_, 5000);  // wait for another writer instead of failing at once
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA foreign_keys = ON");
    exec("PRAGMA synchronous = NORMAL");
    migrate();
}

Store::~Store() { sqlite3_close(db_); }

void Store::exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        const std::string why = error != nullptr ? error : "unknown error";
        sqlite3_free(error);
        throw StoreError("SQLite: " + why);
    }
}

void Store::migrate() {
    std::lock_guard lock(mutex_);
    exec("BEGIN IMMEDIATE");  // one process migrates; the others wait, then see the new version
    try {
        Statement version(db_, "PRAGMA user_version");
        version.step();
        const auto current = static_cast<int>(version.integer(0));
        if (current > kSchemaVersion)
            throw StoreError("database schema version " + std::to_string(current) + " is newer than this program (" +
                             std::to_string(kSchemaVersion) + ")");
        for (int v = current; v < kSchemaVersion; ++v) exec(kMigrations[v]);
        exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

int Store::schema_version() {
    std::lock_guard lock(mutex_);
    Statement s(db_, "PRAGMA user_version");
    s.step();
    return static_cast<int>(s.integer(0));
}

User Store::add_user(const std::string& email, const std::string& hashed_password, const std::vector<std::string>& roles,
                     bool verified) {
    std::lock_guard lock(mutex_);
    User user{fauth::random_id(), canonical_email(email), hashed_password, true, roles, verified};
    Statement s(db_, "INSERT INTO users (id, email, hashed_password, roles, created_at, is_verified) VALUES (?, ?, ?, ?, ?, ?)");
    s.bind(1, user.id).bind(2, user.email).bind(3, hashed_password).bind(4, roles_text(roles)).bind(5, now_seconds());
    s.bind(6, std::int64_t{verified ? 1 : 0});
    s.step();
    return user;
}

bool Store::set_password(const std::string& id, const std::string& expected, const std::string& replacement, bool verified) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "UPDATE users SET hashed_password = ?, is_verified = MAX(is_verified, ?) WHERE id = ? AND hashed_password = ?");
    s.bind(1, replacement).bind(2, std::int64_t{verified ? 1 : 0}).bind(3, id).bind(4, expected);
    s.step();
    return s.changes() == 1;
}

bool Store::verify_email(const std::string& id, const std::string& email) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE users SET is_verified = 1 WHERE id = ? AND email = ?");
    s.bind(1, id).bind(2, canonical_email(email));
    s.step();
    return s.changes() == 1;
}

std::optional<User> Store::user_by_id(const std::string& id) {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string(kUserColumns) + "WHERE id = ?").c_str());
    s.bind(1, id);
    return s.step() ? std::optional<User>(read_user(s)) : std::nullopt;
}

std::optional<User> Store::user_by_email(const std::string& email) {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string(kUserColumns) + "WHERE email = ?").c_str());
    s.bind(1, canonical_email(email));
    return s.step() ? std::optional<User>(read_user(s)) : std::nullopt;
}

std::optional<User> Store::user_by_identity(const std::string& provider, const std::string& issuer, const std::string& subject,
                                            const std::optional<std::string>& verified_email) {
    std::lock_guard lock(mutex_);
    {
        Statement s(db_,
                    (std::string(kUserColumns) + "WHERE id = (SELECT user_id FROM identities WHERE issuer = ? AND subject = ?)")
                        .c_str());
        s.bind(1, issuer).bind(2, subject);
        if (s.step()) return read_user(s);
    }
    if (!verified_email) return std::nullopt;
    const auto email = canonical_email(*verified_email);
    // An address an account already has is never taken over by a sign-in elsewhere: that
    // account's owner signs in with their password.
    {
        Statement s(db_, "SELECT 1 FROM users WHERE email = ?");
        s.bind(1, email);
        if (s.step()) return std::nullopt;
    }
    exec("BEGIN IMMEDIATE");
    try {
        User user{fauth::random_id(), email, "", true, {}, true};
        Statement add(
            db_, "INSERT INTO users (id, email, hashed_password, roles, created_at, is_verified) VALUES (?, ?, '', '[]', ?, 1)");
        add.bind(1, user.id).bind(2, user.email).bind(3, now_seconds());
        add.step();
        Statement link(db_, "INSERT INTO identities (issuer, subject, user_id, provider, created_at) VALUES (?, ?, ?, ?, ?)");
        link.bind(1, issuer).bind(2, subject).bind(3, user.id).bind(4, provider).bind(5, now_seconds());
        link.step();
        exec("COMMIT");
        return user;
    } catch (const DuplicateEmail&) {
        exec("ROLLBACK");
        return std::nullopt;  // registered meanwhile
    } catch (...) {
        exec("ROLLBACK");
        throw;
    }
}

std::vector<User> Store::users() {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string(kUserColumns) + "ORDER BY created_at, rowid").c_str());
    std::vector<User> out;
    while (s.step()) out.push_back(read_user(s));
    return out;
}

bool Store::set_roles(const std::string& id, const std::vector<std::string>& roles) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE users SET roles = ? WHERE id = ?");
    s.bind(1, roles_text(roles)).bind(2, id);
    s.step();
    return s.changes() == 1;
}

bool Store::deactivate(const std::string& id) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE users SET is_active = 0 WHERE id = ?");
    s.bind(1, id);
    s.step();
    return s.changes() == 1;
}

bool Store::upgrade_hash(const std::string& id, const std::string& expected, const std::string& replacement) {
    std::lock_guard lock(mutex_);
    // One statement is one transaction: the hash is replaced only if nobody changed it meanwhile.
    Statement s(db_, "UPDATE users SET hashed_password = ? WHERE id = ? AND hashed_password = ?");
    s.bind(1, replacement).bind(2, id).bind(3, expected);
    s.step();
    return s.changes() == 1;
}

Note Store::add_note(const std::string& owner_id, const std::string& title, const std::string& body) {
    std::lock_guard lock(mutex_);
    const auto t = now_seconds();
    Statement s(db_, "INSERT INTO notes (owner_id, title, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)");
    s.bind(1, owner_id).bind(2, title).bind(3, body).bind(4, t).bind(5, t);
    s.step();
    return Note{sqlite3_last_insert_rowid(db_), owner_id, title, body, t, t};
}

std::vector<Note> Store::notes_of(const std::string& owner_id) {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string(kNoteColumns) + "WHERE owner_id = ? ORDER BY id DESC").c_str());
    s.bind(1, owner_id);
    std::vector<Note> out;
    while (s.step()) out.push_back(read_note(s));
    return out;
}

std::optional<Note> Store::note(const std::string& owner_id, std::int64_t id) {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string(kNoteColumns) + "WHERE id = ? AND owner_id = ?").c_str());
    s.bind(1, id).bind(2, owner_id);
    return s.step() ? std::optional<Note>(read_note(s)) : std::nullopt;
}

std::optional<Note> Store::update_note(const std::string& owner_id, std::int64_t id, const std::string& title,
                                       const std::string& body) {
    {
        std::lock_guard lock(mutex_);
        Statement s(db_, "UPDATE notes SET title = ?, body = ?, updated_at = ? WHERE id = ? AND owner_id = ?");
        s.bind(1, title).bind(2, body).bind(3, now_seconds()).bind(4, id).bind(5, owner_id);
        s.step();
        if (s.changes() != 1) return std::nullopt;
    }
    return note(owner_id, id);
}

bool Store::delete_note(const std::string& owner_id, std::int64_t id) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "DELETE FROM notes WHERE id = ? AND owner_id = ?");
    s.bind(1, id).bind(2, owner_id);
    s.step();
    return s.changes() == 1;
}

MadeKey make_api_key(std::string owner_id, std::string name, std::vector<std::string> scopes, int days) {
    auto made = fauth::generate_api_key(kApiKeyPrefix);
    fauth::ApiKey record{.id = std::move(made.id),
                         .hash = std::move(made.hash),
                         .owner = std::move(owner_id),
                         .scopes = std::move(scopes),
                         .name = std::move(name)};
    record.created_at = now_seconds();
    if (days > 0) record.expires_at = *record.created_at + std::int64_t{days} * 86400;
    return {std::move(made.key), std::move(record)};
}

bool Store::add_api_key(const fauth::ApiKey& key, int max_live) {
    std::lock_guard lock(mutex_);
    // One statement, so that the count and the insert cannot be split by another writer (another
    // thread, or notes-admin in another process).
    Statement s(db_,
                "INSERT INTO api_keys (id, hash, owner_id, name, scopes, created_at, expires_at) "
                "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE (SELECT COUNT(*) FROM api_keys WHERE owner_id = ?3 AND revoked = 0 "
                "AND (expires_at IS NULL OR expires_at > ?8)) < ?9");
    const auto now = now_seconds();
    s.bind(1, key.id).bind(2, key.hash).bind(3, key.owner).bind(4, key.name).bind(5, roles_text(key.scopes));
    s.bind(6, key.created_at.value_or(now));
    if (key.expires_at) s.bind(7, *key.expires_at);
    s.bind(8, now).bind(9, std::int64_t{max_live});
    s.step();
    return s.changes() == 1;
}

std::optional<fauth::KeyOwner<User>> Store::api_key(const std::string& id) {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string(kKeyColumns) + ", u.id, u.email, u.hashed_password, u.is_active, u.roles, u.is_verified "
                                                 "FROM api_keys k JOIN users u ON u.id = k.owner_id WHERE k.id = ?")
                         .c_str());
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return fauth::KeyOwner<User>{read_key(s), read_user(s, 9)};
}

std::vector<fauth::ApiKey> Store::api_keys(const std::optional<std::string>& owner_id) {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string(kKeyColumns) +
                      " FROM api_keys k WHERE ?1 IS NULL OR k.owner_id = ?1 ORDER BY k.created_at DESC, k.rowid DESC")
                         .c_str());
    if (owner_id) s.bind(1, *owner_id);
    std::vector<fauth::ApiKey> out;
    while (s.step()) out.push_back(read_key(s));
    return out;
}

bool Store::revoke_api_key(const std::string& id, const std::optional<std::string>& owner_id) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE api_keys SET revoked = 1 WHERE id = ?1 AND (?2 IS NULL OR owner_id = ?2)");
    s.bind(1, id);
    if (owner_id) s.bind(2, *owner_id);
    s.step();
    return s.changes() == 1;
}

int Store::revoke_api_keys_of(const std::string& owner_id) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE api_keys SET revoked = 1 WHERE owner_id = ? AND revoked = 0");
    s.bind(1, owner_id);
    s.step();
    return s.changes();
}

void Store::touch_api_key(const std::string& id, std::int64_t at) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE api_keys SET last_used_at = ? WHERE id = ?");
    s.bind(1, at).bind(2, id);
    s.step();
}

namespace {

const char* algorithm_name(fauth::totp::Algorithm a) {
    switch (a) {
        case fauth::totp::Algorithm::sha256: return "sha256";
        case fauth::totp::Algorithm::sha512: return "sha512";
        case fauth::totp::Algorithm::sha1: break;
    }
    return "sha1";
}

fauth::totp::Algorithm algorithm_of(const std::string& name) {
    if (name == "sha256") return fauth::totp::Algorithm::sha256;
    if (name == "sha512") return fauth::totp::Algorithm::sha512;
    if (name == "sha1") return fauth::totp::Algorithm::sha1;
    throw StoreError("totp_factors: unknown algorithm '" + name + "'");
}

// WebAuthn's authenticator data flags (section 6.1) as the passkeys table keeps them.
constexpr std::int64_t kUserVerified = 0x04;
constexpr std::int64_t kBackupEligible = 0x08;
constexpr std::int64_t kBackedUp = 0x10;

std::int64_t flags_of(const fauth::webauthn::Credential& c) {
    return (c.user_verified ? kUserVerified : 0) | (c.backup_eligible ? kBackupEligible : 0) | (c.backed_up ? kBackedUp : 0);
}

constexpr const char* kPasskeyColumns =
    "SELECT id, sub, public_key, algorithm, sign_count, flags, aaguid, attestation, name, created_at, last_used_at, "
    "user_handle FROM passkeys ";

fauth::Passkey read_passkey(const auto& s) {
    fauth::Passkey p;
    p.credential.id = s.blob(0);
    p.sub = s.text(1);
    p.credential.public_key = s.blob(2);
    p.credential.algorithm = static_cast<fauth::webauthn::CoseAlgorithm>(s.integer(3));
    p.credential.sign_count = static_cast<std::uint32_t>(s.integer(4));
    const auto flags = s.integer(5);
    p.credential.user_verified = (flags & kUserVerified) != 0;
    p.credential.backup_eligible = (flags & kBackupEligible) != 0;
    p.credential.backed_up = (flags & kBackedUp) != 0;
    p.credential.aaguid = s.blob(6);
    p.credential.attestation = s.text(7);
    p.name = s.text(8);
    p.created_at = s.integer(9);
    p.last_used_at = s.integer(10);
    p.user_handle = s.blob(11);
    return p;
}

}  // namespace

std::optional<fauth::TotpFactor> Store::totp_factor(const std::string& sub) {
    std::lock_guard lock(mutex_);
    Statement s(
        db_, "SELECT sealed_secret, algorithm, digits, period, confirmed, last_step, created_at FROM totp_factors WHERE sub = ?");
    s.bind(1, sub);
    if (!s.step()) return std::nullopt;
    fauth::TotpFactor f;
    f.sealed_secret = s.blob(0);
    f.parameters.algorithm = algorithm_of(s.text(1));
    f.parameters.digits = static_cast<int>(s.integer(2));
    f.parameters.period = std::chrono::seconds(s.integer(3));
    f.confirmed = s.integer(4) != 0;
    f.last_step = s.integer(5);
    f.created_at = s.integer(6);
    return f;
}

bool Store::put_totp_factor(const std::string& sub, const fauth::TotpFactor& factor) {
    std::lock_guard lock(mutex_);
    // One statement: an unconfirmed factor is replaced, a confirmed one never.
    Statement s(db_,
                "INSERT INTO totp_factors (sub, sealed_secret, algorithm, digits, period, confirmed, last_step, created_at) "
                "VALUES (?, ?, ?, ?, ?, 0, -1, ?) ON CONFLICT(sub) DO UPDATE SET sealed_secret = excluded.sealed_secret, "
                "algorithm = excluded.algorithm, digits = excluded.digits, period = excluded.period, "
                "confirmed = 0, last_step = -1, created_at = excluded.created_at WHERE totp_factors.confirmed = 0");
    s.bind(1, sub).bind_blob(2, factor.sealed_secret).bind(3, std::string(algorithm_name(factor.parameters.algorithm)));
    s.bind(4, std::int64_t{factor.parameters.digits}).bind(5, static_cast<std::int64_t>(factor.parameters.period.count()));
    s.bind(6, factor.created_at);
    s.step();
    return s.changes() == 1;
}

bool Store::confirm_totp_factor(const std::string& sub, const std::string& sealed_secret, std::int64_t step) {
    std::lock_guard lock(mutex_);
    // One statement: the factor the code was checked against, if it is still there unconfirmed.
    Statement s(db_,
                "UPDATE totp_factors SET confirmed = 1, last_step = ? WHERE sub = ? AND confirmed = 0 AND sealed_secret = ?");
    s.bind(1, step).bind(2, sub).bind_blob(3, sealed_secret);
    s.step();
    return s.changes() == 1;
}

bool Store::use_totp_step(const std::string& sub, std::int64_t step) {
    std::lock_guard lock(mutex_);
    // One statement: of two requests with the same code (or codes of one step), one changes the row.
    Statement s(db_, "UPDATE totp_factors SET last_step = ?1 WHERE sub = ?2 AND confirmed = 1 AND last_step < ?1");
    s.bind(1, step).bind(2, sub);
    s.step();
    return s.changes() == 1;
}

void Store::remove_second_factors(const std::string& sub) {
    std::lock_guard lock(mutex_);
    exec("BEGIN IMMEDIATE");
    try {
        Statement totp(db_, "DELETE FROM totp_factors WHERE sub = ?");
        totp.bind(1, sub);
        totp.step();
        Statement codes(db_, "DELETE FROM recovery_codes WHERE sub = ?");
        codes.bind(1, sub);
        codes.step();
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void Store::put_recovery_codes(const std::string& sub, const std::vector<std::string>& digests) {
    std::lock_guard lock(mutex_);
    exec("BEGIN IMMEDIATE");
    try {
        Statement clear(db_, "DELETE FROM recovery_codes WHERE sub = ?");
        clear.bind(1, sub);
        clear.step();
        for (const auto& digest : digests) {
            Statement add(db_, "INSERT INTO recovery_codes (sub, digest) VALUES (?, ?) ON CONFLICT DO NOTHING");
            add.bind(1, sub).bind(2, digest);
            add.step();
        }
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

bool Store::use_recovery_code(const std::string& sub, const std::string& digest) {
    std::lock_guard lock(mutex_);
    // One statement: a code raced by two requests is deleted by one of them.
    Statement s(db_, "DELETE FROM recovery_codes WHERE sub = ? AND digest = ?");
    s.bind(1, sub).bind(2, digest);
    s.step();
    return s.changes() == 1;
}

std::size_t Store::recovery_codes_left(const std::string& sub) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT COUNT(*) FROM recovery_codes WHERE sub = ?");
    s.bind(1, sub);
    s.step();
    return static_cast<std::size_t>(s.integer(0));
}

bool Store::add_passkey(const fauth::Passkey& passkey) {
    std::lock_guard lock(mutex_);
    const auto& c = passkey.credential;
    Statement s(db_,
                "INSERT INTO passkeys (id, sub, public_key, algorithm, sign_count, flags, aaguid, attestation, name, created_at, "
                "last_used_at, user_handle) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING");
    s.bind_blob(1, c.id).bind(2, passkey.sub).bind_blob(3, c.public_key).bind(4, static_cast<std::int64_t>(c.algorithm));
    s.bind(5, std::int64_t{c.sign_count}).bind(6, flags_of(c)).bind_blob(7, c.aaguid).bind(8, c.attestation);
    s.bind(9, passkey.name).bind(10, passkey.created_at).bind(11, passkey.last_used_at).bind_blob(12, passkey.user_handle);
    s.step();
    return s.changes() == 1;
}

std::optional<fauth::Passkey> Store::passkey(const std::string& id) {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string(kPasskeyColumns) + "WHERE id = ?").c_str());
    s.bind_blob(1, id);
    return s.step() ? std::optional<fauth::Passkey>(read_passkey(s)) : std::nullopt;
}

std::vector<fauth::Passkey> Store::passkeys_of(const std::string& sub) {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string(kPasskeyColumns) + "WHERE sub = ? ORDER BY created_at, rowid").c_str());
    s.bind(1, sub);
    std::vector<fauth::Passkey> out;
    while (s.step()) out.push_back(read_passkey(s));
    return out;
}

bool Store::record_passkey_use(const std::string& id, std::uint32_t sign_count, std::int64_t at) {
    std::lock_guard lock(mutex_);
    // One statement, a compare-and-set on the counter: a cloned authenticator's assertion (a count
    // that did not grow) or the loser of a race changes nothing.
    Statement s(db_,
                "UPDATE passkeys SET sign_count = ?2, last_used_at = ?3 "
                "WHERE id = ?1 AND (sign_count < ?2 OR (sign_count = 0 AND ?2 = 0))");
    s.bind_blob(1, id).bind(2, std::int64_t{sign_count}).bind(3, at);
    s.step();
    return s.changes() == 1;
}

bool Store::rename_passkey(const std::string& sub, const std::string& id, const std::string& name) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "UPDATE passkeys SET name = ? WHERE id = ? AND sub = ?");
    s.bind(1, name).bind_blob(2, id).bind(3, sub);
    s.step();
    return s.changes() == 1;
}

bool Store::remove_passkey(const std::string& sub, const std::string& id) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "DELETE FROM passkeys WHERE id = ? AND sub = ?");
    s.bind_blob(1, id).bind(2, sub);
    s.step();
    return s.changes() == 1;
}

}  // namespace notes
