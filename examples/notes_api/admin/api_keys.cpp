#include <iostream>

#include <fauth/core/clock.hpp>

#include "admin.hpp"
#include "validation.hpp"

namespace notes::admin {
namespace {

constexpr const char* kUsage =
    "usage: notes-admin api-keys create --db FILE (--email EMAIL | --id ID) --name NAME --scope S...\n"
    "                                   [--expires-days N]\n"
    "       notes-admin api-keys list --db FILE [--email EMAIL | --id ID]\n"
    "       notes-admin api-keys revoke --db FILE --key-id KEY_ID [--email EMAIL | --id ID]\n"
    "  Manages the API keys of a notes database's users. Scopes: notes:read, notes:write, notes:*.\n"
    "  `create` prints the key once, on standard output: only its SHA-256 is stored. `list` shows\n"
    "  each key's id, owner, name, scopes, creation, expiry, last use and state, never the key.\n"
    "  `revoke` ends a key for good (with --email or --id, only if that user owns it).\n";

// "-" for a time the store does not have, else the RFC 3339 UTC time.
std::string when(const std::optional<std::int64_t>& seconds) { return seconds ? fauth::utc_rfc3339(*seconds) : "-"; }

std::string state(const fauth::ApiKey& key) {
    if (key.revoked) return "revoked";
    if (key.expires_at && *key.expires_at <= fauth::unix_seconds()) return "expired";
    return "live";
}

int create(const std::vector<std::string>& rest, Io io) {
    const Args args(rest, {"db", "email", "id", "name", "scope", "expires-days"}, {"scope"});
    if (args.help()) return io.out << kUsage, 0;
    const auto db = args.required("db");
    const auto name = args.required("name");
    if (const auto problem = key_name_problem(name); !problem.empty()) throw UsageError(problem);
    const auto scopes = args.all("scope");
    if (scopes.empty()) throw UsageError("give at least one --scope (notes:read, notes:write or notes:*)");
    for (const auto& s : scopes)
        if (!is_key_scope(s)) throw UsageError("'" + s + "' is not a key scope (notes:read, notes:write or notes:*)");
    const int days = args.integer("expires-days", 1, kMaxKeyDays, 0);  // 0: never expires
    Store store(db);
    const auto user = find_user(store, args, io);
    if (!user) return 1;
    if (!user->is_active) return io.err << "notes-admin api-keys: " << user->email << " is inactive\n", 1;
    const auto made = make_api_key(user->id, name, scopes, days);
    if (!store.add_api_key(made.record, kMaxLiveKeys))
        return io.err << "notes-admin api-keys: " << user->email << " has " << kMaxLiveKeys << " live keys; revoke one first\n",
               1;
    io.out << made.key << "\n";
    io.err << "API key " << made.record.id << " for " << user->email << " (" << join(scopes) << ", expires "
           << when(made.record.expires_at) << "). It is not shown again: only its SHA-256 is kept.\n";
    return 0;
}

int list(const std::vector<std::string>& rest, Io io) {
    const Args args(rest, {"db", "email", "id"});
    if (args.help()) return io.out << kUsage, 0;
    Store store(args.required("db"));
    std::optional<std::string> owner;
    if (args.get("email") || args.get("id")) {
        const auto user = find_user(store, args, io);
        if (!user) return 1;
        owner = user->id;
    }
    io.out << "id\towner\tname\tscopes\tcreated\texpires\tlast_used\tstate\n";
    for (const auto& k : store.api_keys(owner))
        io.out << k.id << "\t" << k.owner << "\t" << k.name << "\t" << join(k.scopes) << "\t" << when(k.created_at) << "\t"
               << when(k.expires_at) << "\t" << when(k.last_used_at) << "\t" << state(k) << "\n";
    return 0;
}

int revoke(const std::vector<std::string>& rest, Io io) {
    const Args args(rest, {"db", "key-id", "email", "id"});
    if (args.help()) return io.out << kUsage, 0;
    Store store(args.required("db"));
    const auto key_id = args.required("key-id");
    std::optional<std::string> owner;
    if (args.get("email") || args.get("id")) {
        const auto user = find_user(store, args, io);
        if (!user) return 1;
        owner = user->id;
    }
    if (!store.revoke_api_key(key_id, owner)) return io.err << "notes-admin api-keys: no such key\n", 1;
    io.out << key_id << "\n";
    return 0;
}

}  // namespace

int api_keys_command(const std::vector<std::string>& argv, Io io) {
    if (argv.empty() || argv.front() == "--help" || argv.front() == "-h") return io.out << kUsage, argv.empty() ? 2 : 0;
    const auto& action = argv.front();
    const std::vector<std::string> rest(argv.begin() + 1, argv.end());
    if (action == "create") return create(rest, io);
    if (action == "list") return list(rest, io);
    if (action == "revoke") return revoke(rest, io);
    throw UsageError("unknown api-keys command '" + action + "'");
}

}  // namespace notes::admin
