// cli/commands.hpp — the commands of the `fauth` tool. Each takes its arguments (after the
// command words) and returns the process exit code: 0 success, 1 failure, 2 usage error.
#pragma once

#include <string>
#include <vector>

#include "io.hpp"

namespace fauth::cli {

/// `fauth hash-password [--cost N]`: a bcrypt hash of the password read from stdin or a prompt.
int hash_password_command(const std::vector<std::string>& args, Io io);
/// `fauth mint --sub ID [--role R]... [--scope S]... [--ttl 15m] [--type access|refresh]`.
int mint_command(const std::vector<std::string>& args, Io io);
/// `fauth decode` (the token on stdin): header and claims, whether the signature verifies, whether it expired.
int decode_command(const std::vector<std::string>& args, Io io);

}  // namespace fauth::cli
