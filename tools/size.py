"""Code size of the usocket module in an RP2 firmware build (`make size`).

Prints text/data/bss of each modusocket object file as compiled for the firmware
(arm-none-eabi-size), and what of it the linker kept in firmware.elf (from the link
map: the build garbage-collects unused sections). For comparison it compiles
MicroPython's own socket layer on lwIP, extmod/modlwip.c, with the very same command
line (compiler, flags, lwIP options); that file is not part of our firmware, so the
qstrs only it uses are given placeholder values, which does not change its size.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys

SIZE_TOOL = "arm-none-eabi-size"


def compile_commands(build):
    with open(os.path.join(build, "compile_commands.json")) as f:
        return json.load(f)


def object_of(entry):
    args = shlex.split(entry["command"])
    obj = args[args.index("-o") + 1]
    return os.path.join(entry["directory"], obj)


def object_sizes(objects):
    """{object: (text, data, bss)} from the Berkeley-format size tool."""
    out = subprocess.run(
        [SIZE_TOOL, "-B"] + objects, check=True, capture_output=True, text=True
    ).stdout
    sizes = {}
    for line in out.splitlines()[1:]:
        text, data, bss, _dec, _hex, name = line.split(None, 5)
        sizes[name] = (int(text), int(data), int(bss))
    return sizes


def linked_sizes(map_file, objects):
    """{object: (text, data, bss)} of the input sections the linker kept.

    In a GNU ld map an input section is "name addr size file", the name on a line
    of its own when it is long. Discarded sections are listed before the memory map.
    """
    wanted = {os.path.realpath(o): o for o in objects}
    totals = {o: [0, 0, 0] for o in objects}
    in_memory_map = False
    section = None
    with open(map_file) as f:
        for line in f:
            if line.startswith("Linker script and memory map"):
                in_memory_map = True
                continue
            if not in_memory_map:
                continue
            fields = line.split()
            if len(fields) == 1 and line.startswith(" ."):
                section = fields[0]
                continue
            if len(fields) == 4 and line.startswith(" ."):
                section, fields = fields[0], fields[1:]
            elif not (len(fields) == 3 and section and line.startswith("  ")):
                section = None
                continue
            addr, size, path = fields
            section_name, section = section, None
            if not (addr.startswith("0x") and size.startswith("0x")):
                continue
            obj = wanted.get(
                os.path.realpath(os.path.join(os.path.dirname(map_file), path))
            )
            if obj is None:
                continue
            n = int(size, 16)
            if section_name.startswith((".text", ".rodata")):
                totals[obj][0] += n
            elif section_name.startswith(".data"):
                totals[obj][1] += n
            elif section_name.startswith((".bss", "COMMON")):
                totals[obj][2] += n
    return {o: tuple(v) for o, v in totals.items()}


def compile_like(entry, source, obj):
    """Compile `source` with the command line of `entry`, into `obj`.

    Returns (True, [qstrs given placeholder values]) or (False, compiler output).
    """
    args = shlex.split(entry["command"])
    out = []
    skip = 0
    for a in args:
        if skip:
            skip -= 1
            continue
        if a in ("-MT", "-MF"):
            skip = 1
            continue
        if a in ("-MD", "-c") or a == entry["file"]:
            continue
        if a == "-o":
            skip = 1
            continue
        out.append(a)
    os.makedirs(os.path.dirname(obj), exist_ok=True)
    placeholders = []
    for _ in range(10):
        cmd = out + ["-DMP_QSTR_" + q + "=600" for q in placeholders]
        cmd += ["-c", source, "-o", obj]
        r = subprocess.run(
            cmd, check=False, cwd=entry["directory"], capture_output=True, text=True
        )
        if r.returncode == 0:
            return True, placeholders
        missing = sorted(set(re.findall(r"'MP_QSTR_(\w+)' undeclared", r.stderr)))
        if not missing or set(missing) <= set(placeholders):
            return False, r.stderr
        placeholders = sorted(set(placeholders) | set(missing))
    return False, r.stderr


def row(name, t, d, b):
    return f"{name:<34}{t:>8}{d:>7}{b:>7}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True, help="the RP2 cmake build dir")
    ap.add_argument("--module-dir", required=True, help="the modusocket/ dir")
    ap.add_argument("--compare", help="a C file to compile with the same flags")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    if args.compare:
        args.compare = os.path.abspath(args.compare)

    cc = compile_commands(args.build)
    mod_dir = os.path.realpath(args.module_dir) + os.sep
    ours = sorted(
        (e for e in cc if os.path.realpath(e["file"]).startswith(mod_dir)),
        key=lambda e: e["file"],
    )
    if not ours:
        sys.exit(
            f"size: no {args.module_dir} sources in {args.build}/compile_commands.json"
        )
    objects = [object_of(e) for e in ours]
    sizes = object_sizes(objects)
    map_file = os.path.join(args.build, "firmware.elf.map")
    linked = linked_sizes(map_file, objects) if os.path.exists(map_file) else None

    compiler = shlex.split(ours[0]["command"])[0]
    version = subprocess.run(
        [compiler, "-dumpversion"], check=True, capture_output=True, text=True
    ).stdout.strip()
    flags = [
        a
        for a in shlex.split(ours[0]["command"])
        if a.startswith(("-O", "-mcpu", "-mthumb", "-march"))
    ]
    print(f"usocket on {os.path.basename(compiler)} {version} {' '.join(flags)}")
    print("(bytes; text includes read-only data, all of it in flash)\n")
    print(row("object file", "text", "data", "bss"))
    total = [0, 0, 0]
    for e, o in zip(ours, objects):
        t, d, b = sizes[o]
        total = [total[0] + t, total[1] + d, total[2] + b]
        print(row(os.path.basename(e["file"]), t, d, b))
    print(row("total", *total))
    if linked:
        kept = [sum(linked[o][i] for o in objects) for i in range(3)]
        print(row("total kept in firmware.elf", *kept))

    if args.compare:
        obj = os.path.join(args.build, "size", os.path.basename(args.compare) + ".o")
        ok, result = compile_like(ours[0], args.compare, obj)
        print()
        if ok:
            t, d, b = object_sizes([obj])[obj]
            label = os.path.join(*args.compare.split(os.sep)[-2:]) + " (same flags)"
            print(row(label, t, d, b))
            if result:
                print(f"  ({len(result)} qstrs only it uses: placeholder values)")
        else:
            print(f"(could not compile {args.compare} for comparison:)")
            print(result.strip())

    elf = os.path.join(args.build, "firmware.elf")
    uf2 = os.path.join(args.build, "firmware.uf2")
    if os.path.exists(elf) and os.path.exists(uf2):
        t, d, b = object_sizes([elf])[elf]
        print()
        print(row("firmware.elf", t, d, b))
        print(f"firmware.uf2: {os.path.getsize(uf2)} bytes")


if __name__ == "__main__":
    main()
