"""Check (or fix) the C sources' formatting with MicroPython's own uncrustify rules.

`make lint` runs it; `make format` runs it with --fix. The rules are the MicroPython
tree's tools/uncrustify.cfg (from deps/), so the module reads like the code it sits in.
uncrustify indents a preprocessor line like the line before it; MicroPython's
convention is to indent it like the line after it when it opens a block whose first
line is `} else ` or `case `, and this script applies that rule after uncrustify, as
MicroPython's own formatter does.
"""

import argparse
import difflib
import re
import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
# Our own C: the portable core and the board glue. Third-party trees are never checked.
GLOBS = ("modusocket/*.c", "modusocket/*.h", "boards/**/*.c", "boards/**/*.h")
OPEN_RE = re.compile(r"( +)#(if |ifdef |ifndef |elif |else|endif)")


def preprocessor_dedent(lines):
    """Dedent #if-blocks placed before `} else ` / `case ` lines to that line's level."""
    out = []
    stack = []  # per open #if: how far its lines move left, or None
    for i, line in enumerate(lines):
        m = OPEN_RE.match(line)
        if m:
            indent = len(m.group(1))
            if m.group(2) in ("if ", "ifdef ", "ifndef "):
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                nxt_indent = len(nxt) - len(nxt.lstrip(" "))
                moves = indent - 4 == nxt_indent and re.match(r" +(} else |case )", nxt)
                stack.append(4 if moves else None)
                shift = stack[-1]
            else:
                shift = stack[-1] if stack else None
                if m.group(2) == "endif" and stack:
                    stack.pop()
            if shift:
                line = line[shift:]
        out.append(line)
    return out


def formatted(path, cfg):
    text = subprocess.run(
        ["uncrustify", "-q", "-c", str(cfg), "-lC", "-f", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return "".join(preprocessor_dedent(text.splitlines(keepends=True)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fix", action="store_true", help="rewrite the files in place")
    ap.add_argument("--cfg", default=str(TOP / "deps/micropython/tools/uncrustify.cfg"))
    args = ap.parse_args()
    files = sorted({p for g in GLOBS for p in TOP.glob(g)})
    bad = 0
    for path in files:
        old = path.read_text()
        new = formatted(path, args.cfg)
        if old == new:
            continue
        rel = path.relative_to(TOP)
        if args.fix:
            path.write_text(new)
            print(f"formatted {rel}")
        else:
            bad += 1
            sys.stdout.writelines(
                difflib.unified_diff(
                    old.splitlines(True),
                    new.splitlines(True),
                    f"{rel}",
                    f"{rel} (formatted)",
                )
            )
    if bad:
        print(
            f"{bad} of {len(files)} C files need formatting: run `make format`",
            file=sys.stderr,
        )
        return 1
    print(f"C formatting: {len(files)} files checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
