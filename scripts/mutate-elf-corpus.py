#!/usr/bin/env python3
"""Writes mutated copies of real ELF files: each output is one input with a few random bytes
changed, as a damaged download or a hand-edited bot would be. The same seed gives the same files.

    mutate-elf-corpus.py [--seed S] [--count N] [--bytes K] [--max-size BYTES]
                         [--manifest FILE] OUT INPUT...

INPUTs are files or directories (walked recursively; symbolic links are not followed). Only ELF
files (\\x7fELF) no larger than --max-size are used, in path order; output i is a copy of input
i mod (number of inputs) with K distinct offsets set to a different value. The manifest, when
asked for, lists each output with its input and the changed offsets (offset:old>new, hex).
Used for the static analyzer's seed fuzz corpus and for the 2,000-file `mitsu analyze --json`
test.
"""

import argparse
import os
import random
import re
import sys


def elf_files(inputs, max_size):
    found = []
    for root in inputs:
        if os.path.isfile(root):
            candidates = [(root, os.path.basename(root))]
        else:
            candidates = []
            for directory, dirs, files in os.walk(root):
                dirs.sort()
                for name in files:
                    path = os.path.join(directory, name)
                    candidates.append((path, os.path.relpath(path, root)))
        for path, label in candidates:
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            size = os.path.getsize(path)
            if size < 4 or size > max_size:
                continue
            with open(path, "rb") as f:
                if f.read(4) != b"\x7fELF":
                    continue
            found.append((path, label))
    found.sort()
    return found


def output_name(index, label):
    return "%05d-%s" % (index, re.sub(r"[^A-Za-z0-9._+-]", "_", label)[-80:])


def mutate(data, count, rng):
    data = bytearray(data)
    changes = []
    for offset in sorted(rng.sample(range(len(data)), min(count, len(data)))):
        old = data[offset]
        data[offset] = (old + rng.randrange(1, 256)) % 256
        changes.append("%x:%02x>%02x" % (offset, old, data[offset]))
    return bytes(data), changes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--bytes", type=int, default=8, help="bytes changed per file")
    parser.add_argument("--max-size", type=int, default=200 * 1024, help="largest input used")
    parser.add_argument("--manifest", help="write one line per output: name, input, changes")
    parser.add_argument("out")
    parser.add_argument("inputs", nargs="+")
    args = parser.parse_args()

    inputs = elf_files(args.inputs, args.max_size)
    if not inputs:
        sys.exit("mutate-elf-corpus: no ELF files of at most %d bytes under %s"
                 % (args.max_size, " ".join(args.inputs)))
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    manifest = open(args.manifest, "w") if args.manifest else None
    for i in range(args.count):
        path, label = inputs[i % len(inputs)]
        with open(path, "rb") as f:
            data, changes = mutate(f.read(), args.bytes, rng)
        name = output_name(i, label)
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(data)
        if manifest:
            manifest.write("%s\t%s\t%s\n" % (name, path, " ".join(changes)))
    if manifest:
        manifest.close()
    print("mutate-elf-corpus: %d files from %d inputs in %s" % (args.count, len(inputs), args.out))


if __name__ == "__main__":
    main()
