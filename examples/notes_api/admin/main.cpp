// examples/notes_api/admin/main.cpp — `notes-admin`, the notes example's administration tool:
// the users and API keys of its database. `notes-admin COMMAND --help` describes each command.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "admin.hpp"

namespace {

constexpr const char* kUsage =
    "usage: notes-admin COMMAND [OPTIONS]\n"
    "  users           add, list, set-roles, deactivate users of a notes database\n"
    "  api-keys        create, list, revoke API keys of a notes database's users\n"
    "Run `notes-admin COMMAND --help` for a command's options. Exit codes: 0 success, 1 failure,\n"
    "2 usage error.\n";

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    const notes::admin::Io io{std::cin, std::cout, std::cerr, ::isatty(STDIN_FILENO) == 1};
    if (args.empty()) return std::cerr << kUsage, 2;
    const auto& command = args.front();
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
        if (command == "--help" || command == "-h" || command == "help") return std::cout << kUsage, 0;
        if (command == "users") return notes::admin::users_command(rest, io);
        if (command == "api-keys") return notes::admin::api_keys_command(rest, io);
        std::cerr << "notes-admin: unknown command '" << command << "'\n" << kUsage;
        return 2;
    } catch (const notes::admin::UsageError& e) {
        std::cerr << "notes-admin " << command << ": " << e.what() << "\n(see `notes-admin " << command << " --help`)\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "notes-admin " << command << ": " << e.what() << "\n";
        return 1;
    }
}
