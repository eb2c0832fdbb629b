#!/usr/bin/env python3
"""Fails when a C++ file is longer than 700 lines or a function longer than 150 (tests and
benchmarks included): files small enough to read in one sitting, functions one can hold in mind.

Functions are found by brace matching over the source with comments, strings and character
literals blanked out: a `{` at namespace or class scope whose head ends in `)` (plus const,
noexcept, override, a trailing return type or a constructor's initialisers) opens a body, and
everything to its matching `}` counts, lambdas and local classes included."""
import pathlib
import re
import sys

MAX_FILE_LINES = 700
MAX_FUNCTION_LINES = 150
ROOTS = ["src", "tests", "bench", "fuzz"]

HEAD_IS_FUNCTION = re.compile(
    r"\)\s*(?:const|noexcept(?:\([^)]*\))?|override|final|mutable|&|&&|\s|->\s*[\w:<>,\s*&]+)*$")
RAW_STRING = re.compile(r'R"([^(\s]{0,16})\(')


def blank(text):
    """Comments, string and character literals as spaces (newlines kept, so lines still count)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif (m := RAW_STRING.match(text, i)) and (i == 0 or not text[i - 1].isalnum()):
            end = text.find(")" + m.group(1) + '"', m.end())
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:j]))
            i = j
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():  # digit separator 1'000
                out.append(c)
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (j - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """(first line, last line) of each function body at namespace or class scope."""
    code = blank(text)
    found = []
    head_start = 0
    depth_in_function = 0
    start_line = 0
    line = 1
    for i, c in enumerate(code):
        if c == "\n":
            line += 1
        if depth_in_function:
            if c == "{":
                depth_in_function += 1
            elif c == "}":
                depth_in_function -= 1
                if depth_in_function == 0:
                    found.append((start_line, line))
                    head_start = i + 1
            continue
        if c in ";}":
            head_start = i + 1
        elif c == "{":
            head = code[head_start:i]
            if HEAD_IS_FUNCTION.search(head.rstrip()) and "(" in head:
                depth_in_function = 1
                stripped = len(head) - len(head.lstrip())
                start_line = line - head[stripped:].count("\n")
            head_start = i + 1
    return found


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    problems = []
    for top in ROOTS:
        for path in sorted((root / top).rglob("*")):
            if path.suffix not in (".cc", ".h") or "corpus" in path.parts:
                continue
            text = path.read_text(errors="replace")
            name = path.relative_to(root)
            lines = text.count("\n")
            if lines > MAX_FILE_LINES:
                problems.append(f"{name}: {lines} lines (at most {MAX_FILE_LINES})")
            for first, last in functions(text):
                if last - first + 1 > MAX_FUNCTION_LINES:
                    problems.append(f"{name}:{first}: a function of {last - first + 1} lines "
                                    f"(at most {MAX_FUNCTION_LINES})")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
