// examples/notes_api/admin/admin.hpp — the commands of `notes-admin`, the notes example's own
// administration tool on its SQLite database. Each takes its arguments (after the command word)
// and returns the process exit code: 0 success, 1 failure, 2 usage error.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "args.hpp"
#include "io.hpp"
#include "store.hpp"

namespace notes::admin {

using fauth::cli::Args;
using fauth::cli::Io;
using fauth::cli::UsageError;

/// `notes-admin users add|list|set-roles|deactivate --db FILE ...`.
int users_command(const std::vector<std::string>& args, Io io);
/// `notes-admin api-keys create|list|revoke --db FILE ...`: the API keys of the users.
int api_keys_command(const std::vector<std::string>& args, Io io);

/// The user named by --email or --id (UsageError unless exactly one is given); nothing, after
/// saying so on `io.err`, when there is no such user.
std::optional<User> find_user(Store& store, const Args& args, Io io);

/// `items` joined by commas, or "-" when there are none.
std::string join(const std::vector<std::string>& items);

}  // namespace notes::admin
