#!/usr/bin/env python3
"""What TLS verification costs in RAM on the host firmware (docs/tls.md).

    deps/venv/bin/python tools/tls_heap.py [--firmware build/unix/micropython]

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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--firmware", default=str(TOP / "build" / "unix" / "micropython"))
    ap.add_argument(
        "--doc", action="store_true", help="write the tables into docs/tls.md"
    )
    args = ap.parse_args()
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
