"""One instance of a MicroPython multi_net test, run by tests/run-multitests.py.

run-multitests.py starts an ``exec:`` instance as ``<program> -c <script>``, where
the script is the test file with its ``multitest`` helper appended. The entry points
next to this file (``usocket_fw.py``: the usocket host firmware; ``cpython3.py``:
CPython) are such programs. They prepend a short prelude to the script and then
exec the real interpreter, so run-multitests' stop() signals the interpreter itself.
The test file is never changed.

Why a prelude is needed: every multi_net test has one instance announce its
address with ``multitest.globals(IP=multitest.get_network_ip())`` and the other
connect to it. On one machine the two instances see each other at different
addresses than their own:

    announcing instance   peer          where the peer reaches it
    firmware              CPython       127.0.0.1 (slirp forwards the test's ports)
    firmware              firmware      10.0.2.2 (the peer's slirp -> 127.0.0.1 -> ours)
    CPython               firmware      10.0.2.2 (the slirp host alias)
    CPython               CPython       127.0.0.1

get_network_ip() returns ``nic.ifconfig()[0]`` when a global ``nic`` exists (the
hook a board's test setup uses to choose its interface), so the prelude defines
``nic`` with the address from this table.

A firmware instance that announces its address is the server: slirp must forward
the test's ports to it (USOCKET_HOSTFWD, read at start-up). Fixed ports come from
the test's module-level ``PORT = <n>``. Tests that pick ``PORT =
random.randrange(...)`` at run time get a port chosen here, free on 127.0.0.1: the
prelude installs a ``random`` module whose randrange() returns it, so the port is
known before the firmware starts.

Environment (set by tools/peer_tests.py):
  USOCKET_PEER_INSTANCES  instance kinds in instance order, e.g. "firmware,cpython"
  USOCKET_PEER_FIRMWARE   the firmware binary
  USOCKET_PEER_CPYTHON    the CPython interpreter (default: this one)
"""

import ast
import os
import re
import socket
import sys

# The slirp host alias: the PC as the firmware sees it.
HOST_ALIAS = "10.0.2.2"
LOOPBACK = "127.0.0.1"

# How many consecutive ports from PORT a server forwards: udp_data.py and
# udp_data_multi.py open PORT + i for each of their 4 sockets.
PORT_SPAN = 4

_NIC = """
class nic:
    # usocket peer-test harness: get_network_ip() announces this address, the one
    # at which the peer instance reaches this instance.
    @staticmethod
    def ifconfig():
        return ({addr!r}, "255.255.255.0", {addr!r}, {addr!r})
"""

_RANDOM_PORT = """
import sys as _harness_sys
import random as _harness_random_module


class _harness_random:
    # usocket peer-test harness: the test's random server port is {port}, forwarded
    # by slirp; everything else is the real random module.
    pass


for _harness_name in dir(_harness_random_module):
    if not _harness_name.startswith("_"):
        setattr(
            _harness_random, _harness_name, getattr(_harness_random_module, _harness_name)
        )
_harness_random.randrange = lambda *args: {port}
_harness_sys.modules["random"] = _harness_random
"""


def _fail(msg):
    # run-multitests merges stderr into the instance's output, so this shows up in
    # the test's result instead of as a silent timeout.
    print("usocket peer harness:", msg, file=sys.stderr, flush=True)
    sys.exit(2)


def _instance_index(script):
    """The N of the ``instanceN()`` call run-multitests appended to the script."""
    calls = re.findall(r"^instance(\d+)\(\)\s*$", script, re.MULTILINE)
    if not calls:
        _fail("no instanceN() call in the script")
    return int(calls[-1])


def _analyse(script, index):
    """(announces, fixed_ports, random_port) for instance ``index`` of the test."""
    try:
        tree = ast.parse(script)
    except SyntaxError:
        # Not CPython syntax: nothing to learn, so this instance is run as a client.
        return False, [], False
    func = None
    fixed = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == f"instance{index}":
            func = node
        elif (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "PORT" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, int)
        ):
            fixed = list(range(node.value.value, node.value.value + PORT_SPAN))
    if func is None:
        return False, [], False
    announces = random_port = False
    for node in ast.walk(func):
        if isinstance(node, ast.Attribute):
            if node.attr == "get_network_ip":
                announces = True
            elif node.attr == "randrange":
                random_port = True
    return announces, fixed, random_port


def _free_port():
    """A port free on 127.0.0.1 for both TCP and UDP a moment ago."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((LOOPBACK, 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((LOOPBACK, port))
                except OSError:
                    continue
            return port
    _fail("no port free for both TCP and UDP on 127.0.0.1")


def main(kind):
    if len(sys.argv) != 3 or sys.argv[1] != "-c":
        _fail(f"expected '-c SCRIPT', got {sys.argv[1:]!r}")
    script = sys.argv[2]
    kinds = os.environ.get("USOCKET_PEER_INSTANCES", "").split(",")
    index = _instance_index(script)
    if len(kinds) != 2 or index > 1 or kinds[index] != kind:
        _fail(f"instance{index} is not a {kind} in USOCKET_PEER_INSTANCES={kinds}")
    peer = kinds[1 - index]
    env = dict(os.environ)

    if kind == "cpython":
        addr = HOST_ALIAS if peer == "firmware" else LOOPBACK
        program = os.environ.get("USOCKET_PEER_CPYTHON") or sys.executable
        prelude = _NIC.format(addr=addr)
    else:
        addr = LOOPBACK if peer == "cpython" else HOST_ALIAS
        program = os.environ.get("USOCKET_PEER_FIRMWARE")
        if not program:
            _fail("USOCKET_PEER_FIRMWARE is not set")
        prelude = _NIC.format(addr=addr)
        announces, ports, random_port = _analyse(script, index)
        if announces:
            if random_port:
                port = _free_port()
                ports = ports + [port]
                prelude += _RANDOM_PORT.format(port=port)
            env["USOCKET_HOSTFWD"] = ",".join(
                f"{proto}:{p}:{p}" for p in ports for proto in ("tcp", "udp")
            )
        else:
            env.pop("USOCKET_HOSTFWD", None)

    os.execve(program, [program, "-c", prelude + "\n" + script], env)
