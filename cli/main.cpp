// cli/main.cpp — the `fauth` command-line tool: hash passwords, mint and decode tokens.
// `fauth COMMAND --help` describes each command.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"

namespace {

constexpr const char* kUsage =
    "usage: fauth COMMAND [OPTIONS]\n"
    "  hash-password   bcrypt hash of a password read from stdin or a prompt\n"
    "  mint            a signed token for local testing (uses FAUTH_SECRET_KEY)\n"
    "  decode          show a token's header and claims; check its signature and expiry\n"
    "Run `fauth COMMAND --help` for a command's options. Exit codes: 0 success, 1 failure,\n"
    "2 usage error.\n";

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    const fauth::cli::Io io{std::cin, std::cout, std::cerr, ::isatty(STDIN_FILENO) == 1};
    if (args.empty()) return std::cerr << kUsage, 2;
    const auto& command = args.front();
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
        if (command == "--help" || command == "-h" || command == "help") return std::cout << kUsage, 0;
        if (command == "hash-password") return fauth::cli::hash_password_command(rest, io);
        if (command == "mint") return fauth::cli::mint_command(rest, io);
        if (command == "decode") return fauth::cli::decode_command(rest, io);
        std::cerr << "fauth: unknown command '" << command << "'\n" << kUsage;
        return 2;
    } catch (const fauth::cli::UsageError& e) {
        std::cerr << "fauth " << command << ": " << e.what() << "\n(see `fauth " << command << " --help`)\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "fauth " << command << ": " << e.what() << "\n";
        return 1;
    }
}
