#!/usr/bin/env python3
"""check-bench-refs.py [FILE...]: the names each benchmark takes from the system tests' modules (qemu.py and
test_*.py under tests/system) exist there. The benchmarks reuse the tests' builders and helpers, and `make bench`
is not part of `make check`: a test refactor that renames a helper would otherwise break `make bench` unseen
(bench/vib_live.py stopped that way once). Checks `from M import NAME` and `M.NAME` for an imported M, without
running anything. Prints FILE:LINE: MODULE.NAME for each missing name; exit 1 if any. Default: bench/*.py."""
import ast
import glob
import importlib
import os
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))


def ours(module):
    return module == "qemu" or module.startswith("test_")


def check(path):
    missing = []
    tree = ast.parse(open(path).read(), path)
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if ours(a.name):
                    aliases[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module and ours(node.module):
            mod = importlib.import_module(node.module)
            missing += [(node.lineno, node.module, a.name) for a in node.names if not hasattr(mod, a.name)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            mod = importlib.import_module(aliases[node.value.id])
            if not hasattr(mod, node.attr):
                missing.append((node.lineno, aliases[node.value.id], node.attr))
    return ["%s:%d: %s.%s" % (path, line, m, name) for line, m, name in sorted(missing)]


def main():
    files = sys.argv[1:] or sorted(glob.glob(os.path.join(TOP, "bench", "*.py")))
    bad = [line for f in files for line in check(f)]
    for line in bad:
        print(line, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
