#!/usr/bin/env python3
"""Extracts every full program from the documentation: a fenced code block (``` or ~~~, indented
or not, with any info string) in which a function `main(` is defined or declared is one program.
It must be marked as C++ (cpp, c++, cxx, cc, C++, with or without attributes): a program in a block
marked otherwise, or not marked, stops the build, so that none escapes the compiler. Each program
is written to OUT_DIR as a .cpp file that begins with a #line directive, so that a compiler error
names the Markdown file and line. Prints the written files, one per line, for CMake to build.
    extract_programs.py OUT_DIR SOURCE_ROOT FILE.md..."""
import pathlib
import re
import sys

OPEN = re.compile(r'^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$')
MAIN = re.compile(r'(^|[^\w:.>])main\s*\(', re.MULTILINE)
CPP = {'cpp', 'c++', 'cxx', 'cc'}


def language(info):
    first = info.strip().lstrip('{').split()[0] if info.strip().lstrip('{').split() else ''
    return first.lstrip('.').rstrip('}').lower()


def blocks(text):
    """(first line number, language, code) for every fenced block."""
    lines = text.split('\n')
    i = 0
    while i < len(lines):
        m = OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence = len(m['indent']), m['fence']
        end = i + 1
        while end < len(lines):
            close = lines[end].strip()
            if close.startswith(fence[0] * len(fence)) and set(close) == {fence[0]}:
                break
            end += 1
        body = [l[indent:] if l[:indent].strip() == '' else l for l in lines[i + 1:end]]
        yield i + 2, language(m['info']), '\n'.join(body) + '\n'
        i = end + 1


def main():
    out, root = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for name in sys.argv[3:]:
        path = pathlib.Path(name)
        rel = path.resolve().relative_to(root.resolve())
        n = 0
        for line, lang, code in blocks(path.read_text()):
            if not MAIN.search(code):
                continue
            if lang not in CPP:
                sys.exit(f'{rel}:{line}: a block with a main function is marked "{lang}", not cpp: '
                         'mark it ```cpp so that the test suite compiles it')
            n += 1
            stem = re.sub(r'[^A-Za-z0-9]+', '_', str(rel.with_suffix(''))).strip('_')
            target = out / f'{stem}_{n}.cpp'
            text = f'#line {line} "{rel}"\n{code}'
            if not target.exists() or target.read_text() != text:  # unchanged: no rebuild
                target.write_text(text)
            wanted.add(target)
            print(target)
    for stale in out.glob('*.cpp'):
        if stale not in wanted:
            stale.unlink()


if __name__ == '__main__':
    main()
