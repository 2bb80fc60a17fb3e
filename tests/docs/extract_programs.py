#!/usr/bin/env python3
"""Extracts every full program from the documentation: a fenced ```cpp block with a line that
starts `int main(` is one program. Each is written to OUT_DIR as a .cpp file that begins with a
#line directive, so that a compiler error names the Markdown file and line. Prints the written
files, one per line, for CMake to build.
    extract_programs.py OUT_DIR SOURCE_ROOT FILE.md..."""
import pathlib
import re
import sys


def programs(text):
    lines = text.split('\n')
    i = 0
    while i < len(lines):
        if re.match(r'^```(cpp|c\+\+)\s*$', lines[i]):
            start = i + 1
            end = start
            while end < len(lines) and not lines[end].startswith('```'):
                end += 1
            body = lines[start:end]
            if any(re.match(r'^int main\(', l) for l in body):
                yield start + 1, '\n'.join(body) + '\n'
            i = end + 1
        else:
            i += 1


def main():
    out, root = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for name in sys.argv[3:]:
        path = pathlib.Path(name)
        rel = path.resolve().relative_to(root.resolve())
        for n, (line, code) in enumerate(programs(path.read_text())):
            stem = re.sub(r'[^A-Za-z0-9]+', '_', str(rel.with_suffix(''))).strip('_')
            target = out / f'{stem}_{n + 1}.cpp'
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
