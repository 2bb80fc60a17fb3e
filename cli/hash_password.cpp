#include <iostream>
#include <string>

#include <fauth/core/password.hpp>

#include "args.hpp"
#include "commands.hpp"

namespace fauth::cli {

int hash_password_command(const std::vector<std::string>& argv, Io io) {
    constexpr const char* kUsage =
        "usage: fauth hash-password [--cost N]\n"
        "  Prints a bcrypt ($2b$) hash of a password read from standard input (one line) or, on a\n"
        "  terminal, from a prompt without echo. Passwords are never taken from the command line,\n"
        "  where other users and the shell history could see them. --cost: 4 to 31 (default 12).\n";
    const Args args(argv, {"cost"}, {}, 1);
    if (args.help()) return io.out << kUsage, 0;
    if (!args.positional().empty())
        throw UsageError("passwords are never read from the command line: pipe one to standard input or type it at the prompt");
    const int cost = args.integer("cost", 4, 31, kDefaultBcryptCost);
    auto password = read_password(io, true);
    io.out << hash_password(password, cost) << "\n";
    return 0;
}

}  // namespace fauth::cli
