// cli/commands.hpp — the commands of the `fauth` tool. Each takes its arguments (after the
// command words) and returns the process exit code: 0 success, 1 failure, 2 usage error.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace fauth::cli {

/// Where a command reads secrets and writes its results.
struct Io {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
    /// True when `in` is a terminal (then passwords are prompted for without echo).
    bool interactive;
};

/// `fauth hash-password [--cost N]`: a bcrypt hash of the password read from stdin or a prompt.
int hash_password_command(const std::vector<std::string>& args, Io io);
/// `fauth mint --sub ID [--role R]... [--scope S]... [--ttl 15m] [--type access|refresh]`.
int mint_command(const std::vector<std::string>& args, Io io);
/// `fauth decode` (the token on stdin): header and claims, whether the signature verifies, whether it expired.
int decode_command(const std::vector<std::string>& args, Io io);
/// `fauth users add|list|set-roles|deactivate --db FILE ...` on the notes database.
int users_command(const std::vector<std::string>& args, Io io);
/// `fauth api-keys create|list|revoke --db FILE ...`: the API keys of a notes database's users.
int api_keys_command(const std::vector<std::string>& args, Io io);

/// Reads a password: from a prompt without echo (twice when `confirm`) if interactive, else one
/// line of `in`. Throws std::runtime_error when none is given or the two differ.
std::string read_password(Io io, bool confirm);

}  // namespace fauth::cli
