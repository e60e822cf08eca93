#!/usr/bin/env python3
"""What TLS verification costs in RAM on the host firmware (docs/tls.md), and
what a handshake needs of the QEMU target's GC heap (docs/qemu.md, --qemu).

    deps/venv/bin/python tools/tls_heap.py [--firmware build/unix/micropython]
    deps/venv/bin/python tools/tls_heap.py --qemu [--doc]

On the unix port mbedTLS allocates from libc, not from MicroPython's GC heap
(on bare-metal ports it uses the GC heap), so the firmware reads libc's
``malloc_stats()`` through ``ffi`` ("in use bytes", mmap included) around
each step, against a local HTTPS server (host_tests/peers/). The Python-side
cost is ``gc.mem_alloc()`` after ``gc.collect()``. Sizes are for x86-64: a
32-bit MCU's mbedTLS structures are a little smaller, the DER copies the same.
"""

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

TOP = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "host_tests"))

import docgen
from peers import Certs, HttpsServer

SCRIPT = """
import ffi, gc, json, os, socket
import tls, ssl, urequests

libc = ffi.open("libc.so.6")
_dup = libc.func("i", "dup", "i")
_dup2 = libc.func("i", "dup2", "ii")
_open = libc.func("i", "open", "sii")
_close = libc.func("i", "close", "i")
_stats = libc.func("v", "malloc_stats", "")
_fflush = libc.func("i", "fflush", "p")

def c_heap():
    # malloc_stats() prints to stderr: point fd 2 at a file for the call.
    fd = _open("{stats}", 0o1101, 0o644)  # O_WRONLY | O_CREAT | O_TRUNC
    saved = _dup(2)
    _dup2(fd, 2)
    _stats()
    _fflush(None)
    _dup2(saved, 2)
    _close(saved)
    _close(fd)
    text = open("{stats}").read()
    # Arena 0's "in use bytes": mmapped blocks (libslirp's socket buffers, with
    # the threshold fixed at 64 KiB by the caller) are left out.
    return int(text.split("in use bytes")[1].split("=")[1].split()[0])

def py_heap():
    gc.collect()
    return gc.mem_alloc()

rows = []
def row(what, c0, p0):
    rows.append([what, c_heap() - c0, py_heap() - p0])

def base():
    gc.collect()
    return c_heap(), py_heap()

ns = {{}}
exec(open("{full}").read(), ns)
FULL = ns["BUNDLE"]
COMMON = ssl._BUNDLE

def load(ctx, bundle, limit):
    # Each DER is sliced out of the bundle, parsed and dropped, as ssl.py does.
    ssl._BUNDLE = bundle
    n = 0
    for s, k, _, _ in ssl._bundle_records():
        if n == limit:
            break
        ctx.load_verify_locations(bundle[s:s + k])
        n += 1
    ssl._BUNDLE = COMMON
    return n

c0, p0 = base()
ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
row("an SSLContext, no CA", c0, p0)
c0, p0 = base()
load(ctx, COMMON, 1)
row("+ 1 CA (ISRG Root X1, 1,391 B of DER)", c0, p0)
del ctx

for name, bundle in (("common", COMMON), ("full", FULL)):
    c0, p0 = base()
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    n = load(ctx, bundle, -1)
    row("an SSLContext with every CA of the %s set parsed (%d CAs)" % (name, n), c0, p0)
    del ctx

# The store as urequests uses it: one shared context, the CAs it needed.
c0, p0 = base()
r = urequests.get("{url}", timeout=10)
r.close()
row("urequests.get over TLS, after it: the shared store context with the"
    " 2 CAs it holds (ISRG Root X1, the test CA from certs/)", c0, p0)
c0, p0 = base()
s = socket.socket()
s.connect(socket.getaddrinfo("10.0.2.2", {port})[0][-1])
t = ssl._default_context().wrap_socket(s, server_hostname="test.example")
row("an open TLS connection (after the handshake)", c0, p0)
t.close()
print("ROWS " + json.dumps(rows))
"""


# The QEMU target (boards/qemu): mbedTLS allocates from the GC heap there, as on
# the boards, so gc.mem_alloc() after gc.collect() counts both sides. What is held
# after a step is measured directly; the peak during a handshake is not (the GC
# keeps no high-water mark), so it is found from outside: each run first fills the
# heap with ballast until `leave` bytes are free, then makes one verified
# urequests.get over TLS (the first of its VM: the store context is made, the CA
# parsed, the handshake done). The least free heap with which it succeeds,
# bisected over soft resets, is what a request needs. The machine's boot and the
# frozen modules' imports come before the ballast, so they are not counted.
QEMU_HELD = """
import gc, socket, ssl, urequests

def held():
    gc.collect()
    return gc.mem_alloc()

gc.collect()
print("HEAP", gc.mem_alloc() + gc.mem_free(), gc.mem_free())
h0 = held()
r = urequests.get("{url}", timeout=10)
r.close()
print("STORE", held() - h0)
h0 = held()
s = socket.socket()
s.connect(socket.getaddrinfo("10.0.2.2", {port})[0][-1])
t = ssl._default_context().wrap_socket(s, server_hostname="test.example")
print("CONN", held() - h0)
t.close()
"""

QEMU_PEAK = """
import gc, urequests

leave = {leave}
ballast = []
gc.collect()
while gc.mem_free() > leave + 64:
    try:
        ballast.append(bytearray(min(gc.mem_free() - leave - 48, 2048)))
    except MemoryError:
        break
gc.collect()
free = gc.mem_free()
try:
    r = urequests.get("{url}", timeout=10)
    ok = r.status_code == 200
    r.close()
except Exception:
    ok = False
print("PEAK", free, ok)
"""


def qemu_main(doc):
    """--qemu: the QEMU target's GC heap and a TLS request (docs/qemu.md)."""
    import qemu_run

    def out(target, script):
        # {KEY: [values]} from the script's "KEY value ..." lines.
        rc, text, err = target.run(script, "heap.py", timeout=120)
        found = {x.split()[0]: x.split()[1:] for x in text.splitlines() if x.strip()}
        if rc:
            sys.exit(f"tls_heap: the QEMU target failed:\n{text}\n{err}")
        return found

    with tempfile.TemporaryDirectory() as tmp:
        certs = Certs(pathlib.Path(tmp) / "pki")
        server = HttpsServer(certs)
        target = None
        try:
            target = qemu_run.Target()
            target.put("certs/test-ca.pem", certs.ca_pem)
            url = server.url("/")
            held = out(target, QEMU_HELD.format(url=url, port=server.port))
            total, start_free = (int(x) for x in held["HEAP"])
            store, conn = int(held["STORE"][0]), int(held["CONN"][0])
            # Bisect `leave` to 256 B: the least free heap seen to succeed, and the
            # most seen to fail.
            lo, hi = 0, start_free
            fits, fails = start_free, 0
            while hi - lo > 256:
                mid = (lo + hi) // 2
                free, ok = out(target, QEMU_PEAK.format(leave=mid, url=url))["PEAK"]
                if ok == "True":
                    fits = min(fits, int(free))
                    hi = mid
                else:
                    fails = max(fails, int(free))
                    lo = mid
        finally:
            if target is not None:
                target.stop()
            server.close()
    store_label = (
        "held after a verified urequests.get over TLS: the shared store context"
        " with its CAs (the bundle's first, the test CA from certs/)"
    )
    peak_label = (
        "the least free heap with which a first verified urequests.get over TLS"
        " succeeded (store context, CA parsing, handshake; with"
        f" {fails:,} B free it failed)"
    )
    rows = [
        ("the GC heap (MICROPY_HEAP_SIZE)", f"{total:,} B"),
        ("free when a script starts", f"{start_free:,} B"),
        (store_label, f"{store:,} B"),
        ("held by an open TLS connection (after the handshake)", f"{conn:,} B"),
        (peak_label, f"{fits:,} B"),
    ]
    table = docgen.md_table(("what", "GC heap"), rows, right=(1,))
    print(table)
    if doc:
        stamp = docgen.stamp("python tools/tls_heap.py --qemu --doc")
        docgen.replace_block(
            "qemu.md", "qemu-tls-heap", stamp + " QEMU target (Cortex-M3).\n\n" + table
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--firmware", default=str(TOP / "build" / "unix" / "micropython"))
    ap.add_argument(
        "--doc", action="store_true", help="write the tables into docs/tls.md"
    )
    ap.add_argument(
        "--qemu",
        action="store_true",
        help="measure on the QEMU target (build/qemu, `make qemu qemu-bridge`)"
        " instead; --doc writes docs/qemu.md",
    )
    args = ap.parse_args()
    if args.qemu:
        qemu_main(args.doc)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        certs = Certs(tmp / "pki")
        (tmp / "certs").mkdir()
        (tmp / "certs" / "test-ca.pem").write_bytes(certs.ca_pem)
        full = tmp / "full" / "_cabundle.py"
        subprocess.run(
            [sys.executable, str(TOP / "tools" / "cabundle.py"), "--set", "full",
             "--out", str(full)],
            check=True, capture_output=True,
        )  # fmt: skip
        server = HttpsServer(certs)
        try:
            script = tmp / "heap.py"
            script.write_text(
                SCRIPT.format(
                    stats=tmp / "stats.txt",
                    full=full,
                    url=server.url("/"),
                    port=server.port,
                )
            )
            env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
            proc = subprocess.run(
                [args.firmware, str(script)],
                check=False,
                cwd=tmp,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
        finally:
            server.close()
    line = [x for x in proc.stdout.splitlines() if x.startswith("ROWS ")]
    if proc.returncode or not line:
        sys.exit(f"tls_heap: the firmware failed:\n{proc.stdout}\n{proc.stderr}")
    heap = docgen.md_table(
        ("step", "mbedTLS (libc heap)", "Python heap"),
        [(what, f"{c:,} B", f"{p:,} B") for what, c, p in json.loads(line[0][5:])],
        right=(1, 2),
    )
    sets = docgen.md_table(
        ("`CA_BUNDLE`", "CAs", "flash (bundle bytes)"), bundle_sizes(), right=(1, 2)
    )
    print(heap + "\n\n" + sets)
    if args.doc:
        stamp = docgen.stamp("python tools/tls_heap.py --doc")
        docgen.replace_block(
            "tls.md", "tls-heap", stamp + " x86-64 host firmware.\n\n" + heap
        )
        docgen.replace_block("tls.md", "ca-bundle-sizes", stamp + "\n\n" + sets)


def bundle_sizes():
    """Each CA_BUNDLE set's CA count and size, as tools/cabundle.py builds it now."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("none", "common", "full"):
            out = subprocess.run(
                [sys.executable, str(TOP / "tools" / "cabundle.py"), "--set", name,
                 "--out", str(pathlib.Path(tmp) / f"{name}.py")],
                check=True, capture_output=True, text=True,
            ).stdout  # fmt: skip
            m = re.search(r"(\d+) CAs from (.+?), (\d+) bytes", out)
            count, size = (m.group(1), int(m.group(3))) if m else ("0", 0)
            rows.append((f"`{name}`", count, f"{size:,}"))
    return rows


if __name__ == "__main__":
    main()
