// cli/io.hpp — where a command-line tool reads secrets and writes its results. Shared, with
// args.hpp, by the `fauth` tool and the notes example's `notes-admin` (the fauth_cli_kit target).
#pragma once

#include <iosfwd>
#include <string>

namespace fauth::cli {

/// Where a command reads secrets and writes its results.
struct Io {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
    /// True when `in` is a terminal (then passwords are prompted for without echo).
    bool interactive;
};

/// Reads a password: from a prompt without echo (twice when `confirm`) if interactive, else one
/// line of `in`. Throws std::runtime_error when none is given or the two differ.
std::string read_password(Io io, bool confirm);

}  // namespace fauth::cli
