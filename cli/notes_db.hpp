// cli/notes_db.hpp — what the commands on a notes database (`users`, `api-keys`) share.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "store.hpp"

namespace fauth::cli {

/// The user named by --email or --id (UsageError unless exactly one is given); nothing, after
/// saying so on `io.err`, when there is no such user.
std::optional<notes::User> find_user(notes::Store& store, const Args& args, Io io);

/// `items` joined by commas, or "-" when there are none.
std::string join(const std::vector<std::string>& items);

}  // namespace fauth::cli
