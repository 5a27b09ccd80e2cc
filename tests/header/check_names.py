#!/usr/bin/env python3
"""Checks the public C header's namespace and the shared library's exports.

  names    every declaration in codesync.h (function, typedef, struct, enum,
           enumerator) is codesync_* / CODESYNC_*, with and without
           CODESYNC_EXPERIMENTAL
  macros   every macro codesync.h defines is CODESYNC_*
  exports  libcodesync.so exports exactly codesync_* symbols, and every
           function declared in codesync.h is among them

The header is parsed by clang with stand-in <stddef.h>/<stdint.h>
(fake_libc/), so the AST holds only what codesync.h itself declares.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_LIBC = os.path.join(HERE, "fake_libc")
FAKE_NAMES = {"size_t", "uint8_t", "uint32_t", "uint64_t", "int64_t"}
# Linker-defined symbols that every shared object may carry.
LINKER_SYMBOLS = {"_init", "_fini", "_edata", "_end", "__bss_start"}


def clang(args, include, extra, source):
    with tempfile.NamedTemporaryFile("w", suffix=".c", delete=False) as f:
        f.write(source)
        path = f.name
    try:
        cmd = [args.clang, "-std=c99", "-nostdinc", "-I", FAKE_LIBC, "-I", include] + extra + [path]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(path)


def declared(args, experimental):
    """(name, kind) of every top-level declaration in codesync.h."""
    defines = ["-DCODESYNC_EXPERIMENTAL"] if experimental else []
    dump = clang(args, args.include, defines + ["-fsyntax-only", "-Xclang", "-ast-dump=json"],
                 '#include "codesync.h"\n')
    out = []
    for node in json.loads(dump).get("inner", []):
        if node.get("isImplicit"):
            continue
        if node.get("name"):
            out.append((node["name"], node["kind"]))
        for child in node.get("inner", []):
            if child["kind"] == "EnumConstantDecl":
                out.append((child["name"], child["kind"]))
    return [(n, k) for n, k in out if n not in FAKE_NAMES]


def prefixed(name):
    return name.startswith("codesync_") or name.startswith("CODESYNC_")


def check_names(args):
    bad = []
    count = 0
    for experimental in (False, True):
        decls = declared(args, experimental)
        count = max(count, len(decls))
        bad += [f"{kind} {name}" for name, kind in decls if not prefixed(name)]
    if count < 10:
        return [f"parsed only {count} declarations from codesync.h; the check is broken"]
    return sorted(set(bad))


def check_macros(args):
    def macros(source):
        text = clang(args, args.include, ["-DCODESYNC_EXPERIMENTAL", "-dM", "-E"], source)
        return {line.split()[1].split("(")[0] for line in text.splitlines() if line.startswith("#define ")}

    base = macros("#include <stddef.h>\n#include <stdint.h>\n")
    ours = macros('#include "codesync.h"\n') - base
    if "CODESYNC_H_" not in ours:
        return ["codesync.h defined no include guard CODESYNC_H_; the check is broken"]
    return sorted(f"macro {m}" for m in ours if not m.startswith("CODESYNC_"))


def check_exports(args):
    nm = subprocess.run([args.nm, "-D", "--defined-only", "--format=posix", args.library], check=True,
                        capture_output=True, text=True).stdout
    exported = set()
    for line in nm.splitlines():
        fields = line.split()
        # Global symbols have upper-case types (T, D, B, W, ...).
        if len(fields) >= 2 and fields[1].isupper():
            exported.add(fields[0].split("@")[0])
    problems = [f"exported but not codesync_*: {s}" for s in sorted(exported - LINKER_SYMBOLS)
                if not s.startswith("codesync_")]
    functions = {n for n, k in declared(args, True) if k == "FunctionDecl"}
    problems += [f"declared in codesync.h but not exported: {f}" for f in sorted(functions - exported)]
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("check", choices=["names", "macros", "exports"])
    parser.add_argument("--clang", required=True)
    parser.add_argument("--include", required=True, help="folder holding codesync.h")
    parser.add_argument("--nm", default="nm")
    parser.add_argument("--library", help="libcodesync.so, for exports")
    args = parser.parse_args()
    problems = {"names": check_names, "macros": check_macros, "exports": check_exports}[args.check](args)
    for p in problems:
        print(p)
    print(f"{args.check}: {'FAILED, ' + str(len(problems)) + ' problem(s)' if problems else 'ok'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
