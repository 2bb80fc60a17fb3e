#include <iostream>

#include <fauth/core/password.hpp>

#include "admin.hpp"
#include "validation.hpp"

namespace notes::admin {
namespace {

constexpr const char* kUsage =
    "usage: notes-admin users add --db FILE --email EMAIL [--role R]... [--cost N]\n"
    "       notes-admin users list --db FILE\n"
    "       notes-admin users set-roles --db FILE (--email EMAIL | --id ID) [--role R]...\n"
    "       notes-admin users deactivate --db FILE (--email EMAIL | --id ID)\n"
    "  Manages the users of a notes database (examples/notes_api; created if missing). `add` reads\n"
    "  the password from standard input or a prompt, never from the command line.\n";

}  // namespace

std::optional<User> find_user(Store& store, const Args& args, Io io) {
    const auto email = args.get("email");
    const auto id = args.get("id");
    if (email.has_value() == id.has_value()) throw UsageError("give --email or --id");
    auto user = email ? store.user_by_email(*email) : store.user_by_id(*id);
    if (!user) io.err << "notes-admin: no such user\n";
    return user;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) {
        if (!out.empty()) out.push_back(',');
        out += i;
    }
    return out.empty() ? "-" : out;
}

int users_command(const std::vector<std::string>& argv, Io io) {
    if (argv.empty() || argv.front() == "--help" || argv.front() == "-h") return io.out << kUsage, argv.empty() ? 2 : 0;
    const auto action = argv.front();
    const std::vector<std::string> rest(argv.begin() + 1, argv.end());
    if (action == "add") {
        const Args args(rest, {"db", "email", "role", "cost"}, {"role"});
        if (args.help()) return io.out << kUsage, 0;
        const auto db = args.required("db");
        const auto email = args.required("email");
        if (!is_valid_email(email)) throw UsageError("'" + email + "' is not a valid email address");
        const int cost = args.integer("cost", 4, 31, fauth::kDefaultBcryptCost);
        const auto password = read_password(io, true);
        if (password.size() < kMinPasswordBytes) throw std::runtime_error("the password must have at least 8 characters");
        Store store(db);
        try {
            const auto user = store.add_user(email, fauth::hash_password(password, cost), args.all("role"));
            io.out << user.id << "\n";
        } catch (const DuplicateEmail&) {
            io.err << "notes-admin users: " << email << " is already registered\n";
            return 1;
        }
        return 0;
    }
    if (action == "list") {
        const Args args(rest, {"db"});
        if (args.help()) return io.out << kUsage, 0;
        Store store(args.required("db"));
        for (const auto& u : store.users())
            io.out << u.id << "\t" << u.email << "\t" << join(u.roles) << "\t" << (u.is_active ? "active" : "inactive") << "\n";
        return 0;
    }
    if (action == "set-roles" || action == "deactivate") {
        const Args args(rest,
                        action == "set-roles" ? std::set<std::string>{"db", "email", "id", "role"}
                                              : std::set<std::string>{"db", "email", "id"},
                        {"role"});
        if (args.help()) return io.out << kUsage, 0;
        Store store(args.required("db"));
        const auto user = find_user(store, args, io);
        if (!user) return 1;
        if (action == "set-roles")
            store.set_roles(user->id, args.all("role"));
        else
            store.deactivate(user->id);
        io.out << user->id << "\n";
        return 0;
    }
    throw UsageError("unknown users command '" + action + "'");
}

}  // namespace notes::admin
