"""Reads after the connection ended (issue 14 item 1), as on lwIP's socket layer,
which QuecPython and MicroPython's ESP32 port run on: docs/socket-semantics.md
has the table and the lwIP function that decides each row. Every read method,
in every mode, against a CPython peer that ends the connection each way.

Runs on the standard (NO_SYS) firmware and on the threaded one
(`VARIANT=threaded`), where lwIP has its own thread."""

import socket

import pytest
from peers import recv_all, rst_close
from test_socket_api import run

ECONNRESET, ENOTCONN = 104, 107
DATA = b"data"

# name -> MicroPython expression reading from `s`, normalised to bytes or errno.
METHODS = {
    "recv": "s.recv(100)",
    "recvfrom": "s.recvfrom(100)[0]",
    "read_n": "s.read(100)",
    "read": "s.read()",
    "readall": "s.readall()",
    "readinto": "buf[:s.readinto(buf)]",
    "readline": "s.readline()",
    "makefile": "f.read(100)",
}

MODES = {
    "blocking": "s.setblocking(True)",
    "nonblocking": "s.setblocking(False)",
    "timeout": "s.settimeout(5)",
}

# event -> what the reads get, in order (see SCRIPT for when each one is made)
EXPECTED = {
    # lwIP: netconn_recv_data_tcp returns ERR_CLSD once (lwip_recv_tcp: 0), having
    # closed the receive mailbox; then ERR_CONN (ENOTCONN) for good. A read that
    # has data returns it and leaves the FIN for the next call (NETCONN_NOFIN).
    "fin": [DATA, b"", ENOTCONN, ENOTCONN],
    # err_tcp posts ERR_RST to the mailbox behind the data and keeps it as the
    # pending error: once from the mailbox, once from netconn_err(), then ERR_CONN.
    "rst": [DATA, ECONNRESET, ECONNRESET, ENOTCONN],
    # The FIN was reported (mailbox closed), then the RST came: err_tcp can only
    # leave the pending error, reported once.
    "fin_then_rst": [DATA, b"", ECONNRESET, ENOTCONN],
    # A write reported the RST first: lwip_netconn_do_write's netconn_err() took
    # the pending error, the mailbox marker is left.
    "write_then_rst_read": [DATA, ECONNRESET, ECONNRESET, ENOTCONN, ENOTCONN],
    # lwip_shutdown(SHUT_RD) closes the mailbox: ERR_CONN at once.
    "shut_rd": [ENOTCONN, ENOTCONN, ENOTCONN],
}


def peer(event):
    def handler(conn, addr):
        if event == "shut_rd":
            recv_all(conn)
            return
        conn.sendall(DATA)
        if event == "fin":
            conn.shutdown(socket.SHUT_WR)
            recv_all(conn)
            return
        if event == "fin_then_rst":
            conn.shutdown(socket.SHUT_WR)
        conn.recv(1)  # the client is ready for the RST
        rst_close(conn)

    return handler


SCRIPT = """
import select
ECONNRESET = 104
buf = bytearray(100)

def waited(s, mask, each=None):
    p = select.poll()
    p.register(s, select.POLLIN)
    t = time.ticks_ms()
    while not [e for _, e in p.poll(100) if e & mask]:
        if time.ticks_diff(time.ticks_ms(), t) > 10000:
            raise OSError("event not seen")
        if each:
            each()

def call(s, f, expr):
    try:
        v = eval(expr)
    except OSError as e:
        return e.args[0]
    return bytes(v) if isinstance(v, (bytes, bytearray, memoryview)) else v

event = "{event}"
for name, expr in {methods}.items():
    s = socket.socket()
    s.connect(("10.0.2.2", {port}))
    f = s.makefile("rb")
    {mode}
    got = []
    wrote = []
    if event == "shut_rd":
        s.shutdown(socket.SHUT_RD)
    elif event in ("rst", "write_then_rst_read"):
        waited(s, select.POLLIN)
        # Only what is there: this read must not wait for the end.
        got.append(call(s, f, "s.recv(4)"))
        s.send(b"x")
        waited(s, select.POLLERR)
        if event == "write_then_rst_read":
            got.append(call(s, f, "s.send(b'y')"))
    else:
        waited(s, select.POLLHUP)
        got.append(call(s, f, expr))
        if event == "fin_then_rst":
            got.append(call(s, f, expr))
            # slirp only notices the PC peer's RST when it writes to it again. Where
            # lwIP has its own thread the RST may come while one of these writes
            # runs: that write reports it, taking the pending error (a row of
            # the table of its own).
            s.send(b"x")
            waited(s, select.POLLERR, lambda: wrote.append(err(s.send, b"y")))
    while len(got) < {n}:
        got.append(call(s, f, expr))
    res(name, got)
    res(name + "_write_reported", ECONNRESET in wrote)
    s.close()
"""


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("event", EXPECTED)
def test_reads_after_the_connection_ended(mp, tcp_server, event, mode):
    server = tcp_server(peer(event))
    want = EXPECTED[event]
    script = SCRIPT.format(
        methods=METHODS, port=server.port, mode=MODES[mode], event=event, n=len(want)
    )
    r = run(mp, script, timeout=90)
    expected = {}
    for name in METHODS:
        expected[name] = want
        if r.pop(name + "_write_reported"):
            # The "a write reported the RST first" row, after the FIN was read.
            assert event == "fin_then_rst"
            expected[name] = [DATA, b"", ENOTCONN, ENOTCONN]
    assert r == expected
