#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <stdexcept>

#include "io.hpp"

namespace fauth::cli {
namespace {

// Reads one line from the terminal with echo off.
std::string read_hidden(Io io, const char* prompt) {
    io.err << prompt << std::flush;
    termios old{};
    const bool tty = ::tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(io.in, line);
    if (tty) ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    io.err << "\n";
    return line;
}

}  // namespace

std::string read_password(Io io, bool confirm) {
    std::string password;
    if (io.interactive) {
        password = read_hidden(io, "Password: ");
        if (confirm && read_hidden(io, "Again: ") != password) throw std::runtime_error("the passwords differ");
    } else if (!std::getline(io.in, password)) {
        throw std::runtime_error("no password on standard input");
    }
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) throw std::runtime_error("the password is empty");
    return password;
}

}  // namespace fauth::cli
