"""Code size and static RAM of the usocket module for Cortex-M0+ (`make size`).

Compiles every modusocket/ source and, for comparison, MicroPython's own socket
layer on lwIP (extmod/modlwip.c) with one command line, and prints text/data/bss
per object file (arm-none-eabi-size), then what each feature option of
modusocket/usocket_config.h costs: the sources compiled again with that option
off.

The command line is the RP2 build's own (its compile_commands.json) when there is
one (`make rp2`); otherwise arm-none-eabi-gcc for Cortex-M0+ against the benchmark
firmware's headers (boards/unix-bench: the unix port's configuration and generated
qstrs, boards/unix's lwIP options), which is what `make bench` reports too. With an
RP2 build it also prints what the linker kept in firmware.elf (from the link map:
the build garbage-collects unused sections). qstrs a compiled file uses and the
build does not know (modlwip's, or ones added since the build) are given
placeholder values, which does not change the size.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

SIZE_TOOL = "arm-none-eabi-size"
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What the RP2 build passes for the CPU and for code size.
M0PLUS_FLAGS = [
    "-mcpu=cortex-m0plus",
    "-mthumb",
    "-Os",
    "-ffunction-sections",
    "-fdata-sections",
]

# The feature options of modusocket/usocket_config.h that change the code, each
# measured by compiling with it set to 0; then IPv6 and raw sockets off together
# (the small build), and every feature option off.
FEATURES = (
    "USOCKET_IPV6",
    "USOCKET_RAW",
    "USOCKET_MULTICAST",
    "USOCKET_CALLBACK",
    "USOCKET_SHUTDOWN",
    "USOCKET_MSG_FLAGS",
    "USOCKET_KEEPALIVE",
    "USOCKET_QUECPYTHON",
    "USOCKET_READLINE",
    "USOCKET_INET_PTON",
    "USOCKET_STATS",
)
OPTIONS = tuple((f,) for f in FEATURES) + (("USOCKET_IPV6", "USOCKET_RAW"), FEATURES)


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


def base_args(entry):
    """The compiler command line of a compile_commands.json entry, without its
    input, output and dependency-file arguments."""
    args = shlex.split(entry["command"])
    out = []
    skip = 0
    for a in args:
        if skip:
            skip -= 1
            continue
        if a in ("-MT", "-MF", "-o"):
            skip = 1
            continue
        if a in ("-MD", "-c") or a == entry["file"]:
            continue
        out.append(a)
    return out


class Compiler:
    """One command line for our sources and modlwip (with its extra arguments)."""

    def __init__(self, args, cwd, modlwip_extra, how):
        self.args = args
        self.cwd = cwd
        self.modlwip_extra = modlwip_extra
        self.how = how

    def compile(self, source, obj, extra=()):
        """Returns (True, [qstrs given placeholder values]) or (False, output)."""
        os.makedirs(os.path.dirname(obj), exist_ok=True)
        placeholders = []
        for _ in range(10):
            cmd = self.args + list(extra)
            cmd += ["-DMP_QSTR_" + q + "=600" for q in placeholders]
            cmd += ["-c", source, "-o", obj]
            r = subprocess.run(
                cmd, check=False, cwd=self.cwd, capture_output=True, text=True
            )
            if r.returncode == 0:
                return True, placeholders
            missing = sorted(set(re.findall(r"'MP_QSTR_(\w+)' undeclared", r.stderr)))
            if not missing or set(missing) <= set(placeholders):
                return False, r.stderr
            placeholders = sorted(set(placeholders) | set(missing))
        return False, r.stderr


def rp2_compiler(rp2_build, module_dir):
    """(Compiler, our sources) from the RP2 build's compile_commands.json, or
    (None, reason)."""
    cc = compile_commands(rp2_build)
    mod_dir = os.path.realpath(module_dir) + os.sep
    ours = sorted(
        (e for e in cc if os.path.realpath(e["file"]).startswith(mod_dir)),
        key=lambda e: e["file"],
    )
    if not ours:
        return None, f"no {module_dir} sources in {rp2_build}/compile_commands.json"
    args = base_args(ours[0])
    flags = " ".join(a for a in args if a.startswith(("-O", "-mcpu", "-mthumb")))
    how = f"{os.path.basename(args[0])} {flags}, the RP2 build's command line"
    comp = Compiler(args, ours[0]["directory"], [], how)
    return (comp, [e["file"] for e in ours]), ""


def headers_compiler(bench_build, module_dir):
    """(Compiler, our sources) for arm-none-eabi-gcc against the benchmark
    firmware's headers, modlwip with the extra header that firmware gives it."""
    micropy = os.path.join(TOP, "deps/micropython")
    args = ["arm-none-eabi-gcc", *M0PLUS_FLAGS, "-std=gnu99", "-DNDEBUG", "-DUNIX"]
    args += [f"-I{d}" for d in (micropy, os.path.join(micropy, "ports/unix"))]
    args += [
        f"-I{bench_build}",
        f"-I{os.path.join(TOP, 'boards/unix-bench')}",
        f"-I{os.path.join(TOP, 'boards/unix')}",
        f"-I{os.path.join(TOP, 'boards/common')}",
        f"-I{os.path.join(TOP, 'deps/lwip/src/include')}",
        f"-I{module_dir}",
        '-DUSOCKET_PORT_HEADER="usocket_port.h"',
        "-DUSOCKET_REGISTER_AS_SOCKET=0",
    ]
    compat = os.path.join(TOP, "boards/unix-bench/modlwip_compat.h")
    how = (
        f"arm-none-eabi-gcc {' '.join(M0PLUS_FLAGS[:3])} against the benchmark "
        "firmware's headers (no RP2 build)"
    )
    comp = Compiler(args, TOP, ["-include", compat, "-Wno-sign-compare"], how)
    sources = sorted(
        os.path.join(module_dir, f) for f in os.listdir(module_dir) if f.endswith(".c")
    )
    return (comp, sources), ""


def compiler_for(rp2_build, bench_build, module_dir):
    """((Compiler, our sources), '') or (None, why there is none)."""
    if rp2_build and os.path.exists(os.path.join(rp2_build, "compile_commands.json")):
        return rp2_compiler(rp2_build, module_dir)
    if not (shutil.which("arm-none-eabi-gcc") and shutil.which(SIZE_TOOL)):
        return None, (
            "no RP2 build (`make rp2`) and no arm-none-eabi-gcc (`make deps-rp2`) "
            "to compile both for Cortex-M0+"
        )
    if not os.path.isdir(os.path.join(bench_build, "genhdr")):
        return None, f"no benchmark firmware build in {bench_build} (`make bench`)"
    return headers_compiler(bench_build, module_dir)


def compile_all(comp, sources, out_dir, tag, defines=()):
    """{source: object} compiled with -D<option>=0 for each of defines, or raises
    RuntimeError with the compiler's output."""
    extra = [f"-D{d}=0" for d in defines]
    objs = {}
    for src in sources:
        obj = os.path.join(out_dir, f"{os.path.basename(src)}.{tag}.o")
        ok, err = comp.compile(src, obj, extra)
        if not ok:
            raise RuntimeError(f"compiling {src} for Cortex-M0+ failed: {err[:500]}")
        objs[src] = obj
    return objs


def measure(rp2_build, bench_build, module_dir, modlwip_c, out_dir, options=()):
    """Everything `make size` prints, as a dict, or (None, reason):
    {'how', 'objects': {name: (t, d, b)}, 'modlwip': (t, d, b), 'qstr_placeholders',
    'options': [(defines, (t, d, b))]}."""
    found, why = compiler_for(rp2_build, bench_build, module_dir)
    if found is None:
        return None, why
    comp, sources = found
    try:
        objs = compile_all(comp, sources, out_dir, "default")
        lwip_obj = os.path.join(out_dir, "modlwip.c.o")
        ok, placeholders = comp.compile(modlwip_c, lwip_obj, comp.modlwip_extra)
        sizes = object_sizes(list(objs.values()) + ([lwip_obj] if ok else []))
        result = {
            "how": comp.how,
            "objects": {os.path.basename(s): sizes[o] for s, o in objs.items()},
            "modlwip": sizes[lwip_obj] if ok else None,
            "modlwip_error": None if ok else placeholders.strip()[:500],
            "qstr_placeholders": len(placeholders) if ok else 0,
            "options": [],
        }
        for defines in options:
            tag = (
                "no-all"
                if defines == FEATURES
                else "no-" + "-".join(d.lower() for d in defines)
            )
            o = list(compile_all(comp, sources, out_dir, tag, defines).values())
            s = object_sizes(o)
            result["options"].append(
                (defines, tuple(sum(s[x][i] for x in o) for i in range(3)))
            )
    except RuntimeError as e:
        return None, str(e)
    return result, ""


def option_name(defines, quote=""):
    """How a row of the option table names the options it turns off."""
    if defines == FEATURES:
        return "every feature option"
    return " ".join(f"{quote}{x}=0{quote}" for x in defines)


def total(sizes):
    return tuple(sum(v[i] for v in sizes) for i in range(3))


def row(name, t, d, b, extra=""):
    return f"{name:<36}{t:>8}{d:>7}{b:>7}{extra}"


def report(result):
    """The text `make size` prints."""
    lines = [f"usocket on {result['how']}"]
    lines.append("(bytes; text includes read-only data, all of it in flash)")
    lines.append("")
    lines.append(row("object file", "text", "data", "bss"))
    for name, (t, d, b) in sorted(result["objects"].items()):
        lines.append(row(name, t, d, b))
    ours = total(result["objects"].values())
    lines.append(row("usocket total", *ours))
    if result["modlwip"] is None:
        lines.append("(could not compile extmod/modlwip.c for comparison:)")
        lines.append(result["modlwip_error"])
        lt = None
    else:
        lt, ld, lb = result["modlwip"]
        lines.append(row("extmod/modlwip.c (same flags)", lt, ld, lb))
        lines.append(
            f"usocket/modlwip: text {ours[0] / lt:.2f}x, static RAM (data+bss) "
            f"{ours[1] + ours[2]} B vs {ld + lb} B"
        )
    if result["options"]:
        lines.append("")
        lines.append(row("with option(s) off", "text", "data", "bss", "   text saved"))
        for defines, (t, d, b) in result["options"]:
            name = option_name(defines)
            ratio = f"   {t / lt:.2f}x" if lt else ""
            lines.append(row(name, t, d, b, f"{ours[0] - t:>8}{ratio}"))
    return "\n".join(lines)


def markdown(result):
    """The generated block `make size` writes into docs/benchmarks.md."""
    import docgen  # tools/docgen.py

    ours = total(result["objects"].values())
    lt, ld, lb = result["modlwip"] or (0, 0, 0)
    rows = [(f"`{n}`", *v) for n, v in sorted(result["objects"].items())]
    rows.append(("usocket total", *ours))
    if lt:
        rows.append(("`extmod/modlwip.c`, same command line", lt, ld, lb))
    text = docgen.stamp("make size") + f" Compiled with {result['how']}.\n\n"
    text += docgen.md_table(("object file", "text", "data", "bss"), rows, (1, 2, 3))
    if lt:
        text += (
            f"\n\nusocket/modlwip: text {ours[0] / lt:.2f}x; static RAM (data+bss) "
            f"{ours[1] + ours[2]} B against {ld + lb} B."
        )
    text += "\n\n"
    rows = [
        (
            option_name(defines, "`"),
            t,
            ours[0] - t,
            f"{t / lt:.2f}x" if lt else "n/a",
        )
        for defines, (t, _d, _b) in result["options"]
    ]
    text += docgen.md_table(
        ("with option(s) off", "text", "text saved", "text/modlwip"), rows, (1, 2, 3)
    )
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", help="the RP2 cmake build dir (used if it exists)")
    ap.add_argument(
        "--bench-build",
        default=os.path.join(TOP, "build/unix-bench"),
        help="the benchmark firmware's build dir (its headers, without an RP2 build)",
    )
    ap.add_argument("--module-dir", default=os.path.join(TOP, "modusocket"))
    ap.add_argument(
        "--compare", default=os.path.join(TOP, "deps/micropython/extmod/modlwip.c")
    )
    ap.add_argument("--out", default=os.path.join(TOP, "build/size"))
    ap.add_argument(
        "--doc", action="store_true", help="also write the block in docs/benchmarks.md"
    )
    args = ap.parse_args()
    build = os.path.abspath(args.build) if args.build else None
    result, why = measure(
        build,
        os.path.abspath(args.bench_build),
        os.path.abspath(args.module_dir),
        os.path.abspath(args.compare),
        os.path.abspath(args.out),
        OPTIONS,
    )
    if result is None:
        sys.exit(f"size: {why}")
    print(report(result))
    if result["qstr_placeholders"]:
        print(f"({result['qstr_placeholders']} qstrs only modlwip uses: placeholders)")
    if args.doc:
        import docgen  # tools/docgen.py

        print(
            f"updated {docgen.replace_block('benchmarks.md', 'size', markdown(result))}"
        )

    if build is None:
        return
    map_file = os.path.join(build, "firmware.elf.map")
    elf = os.path.join(build, "firmware.elf")
    uf2 = os.path.join(build, "firmware.uf2")
    if os.path.exists(map_file) and os.path.exists(elf):
        cc = compile_commands(build)
        mod_dir = os.path.realpath(args.module_dir) + os.sep
        objects = [
            object_of(e)
            for e in cc
            if os.path.realpath(e["file"]).startswith(mod_dir)
            and os.path.exists(object_of(e))
        ]
        linked = linked_sizes(map_file, objects)
        print()
        print(row("kept in firmware.elf (last build)", *total(linked.values())))
        print(row("firmware.elf", *object_sizes([elf])[elf]))
    if os.path.exists(uf2):
        print(f"firmware.uf2: {os.path.getsize(uf2)} bytes")


if __name__ == "__main__":
    main()
