"""Argument and state errors that `make coverage` found no test making (issue 15,
item 6). Each answer is compared with CPython's socket module on this Linux host,
which is what the firmware's errno numbers and poll bits are (MicroPython uses
Linux's values), not with a table of our own."""

import errno
import select
import socket

import pytest
from peers import LOOPBACK
from test_socket_api import run

# inet_pton inputs on which usocket and Linux agree (lwIP's own parser takes
# "01.2.3.4" as octal, Linux refuses it: that one is left out).
PTON_INPUTS = [
    "1.2.3.4",
    "255.255.255.255",
    "0.0.0.0",
    "1.2.3",
    "1.2.3.4.5",
    "1.2.3.256",
    "1.2.3.0004",
    "1..2.3",
    "",
    "a.b.c.d",
    " 1.2.3.4",
    "1.2.3.4 ",
]


def cpython_pton(text):
    try:
        return socket.inet_pton(socket.AF_INET, text)
    except OSError:
        return "error"


def test_inet_pton_accepts_and_refuses_what_linux_does(mp):
    r = run(
        mp,
        f"""
for i, text in enumerate({PTON_INPUTS!r}):
    try:
        res(str(i), socket.inet_pton(socket.AF_INET, text))
    except OSError as e:
        res(str(i), ("error", e.args[0]))
""",
    )
    for i, text in enumerate(PTON_INPUTS):
        want = cpython_pton(text)
        got = r[str(i)]
        if want == "error":
            assert got == ("error", errno.EINVAL), (text, got)
        else:
            assert got == want, (text, got)


def test_inet_pton_with_an_unknown_family_is_eafnosupport_as_on_linux(mp):
    with pytest.raises(OSError) as linux:
        socket.inet_pton(99, "1.2.3.4")
    r = run(mp, 'res("e", err(socket.inet_pton, 99, "1.2.3.4"))\n')
    assert r["e"] == linux.value.errno == errno.EAFNOSUPPORT


def test_poll_on_a_socket_that_never_connected_is_writable_and_hung_up(mp):
    s = socket.socket()
    try:
        p = select.poll()
        p.register(s)
        [(_, linux)] = p.poll(0)
    finally:
        s.close()
    r = run(
        mp,
        """
import select
s = socket.socket()
p = select.poll()
p.register(s)
res("events", [ev for _, ev in p.poll(0)])
s.close()
""",
    )
    assert r["events"] == [linux] == [select.POLLOUT | select.POLLHUP]


def test_stream_read_and_write_on_a_closed_socket_are_ebadf_as_on_linux(mp):
    s = socket.socket()
    s.close()
    linux = []
    for call in (lambda: s.recv(1), lambda: s.send(b"x")):
        with pytest.raises(OSError) as e:
            call()
        linux.append(e.value.errno)
    r = run(
        mp,
        """
s = socket.socket()
s.close()
res("read", err(s.read, 1))
res("readinto", err(s.readinto, bytearray(1)))
res("write", err(s.write, b"x"))
""",
    )
    assert linux == [errno.EBADF, errno.EBADF]
    assert r == {"read": errno.EBADF, "readinto": errno.EBADF, "write": errno.EBADF}


def test_listen_on_a_connected_socket_is_einval_as_on_linux(mp, echo_server):
    with (
        socket.create_connection(echo_server.address) as c,
        pytest.raises(OSError) as linux,
    ):
        c.listen(1)
    r = run(
        mp,
        f"""
s = socket.socket()
s.connect(("10.0.2.2", {echo_server.port}))
res("e", err(s.listen, 1))
s.close()
""",
    )
    assert r["e"] == linux.value.errno == errno.EINVAL


def test_timeouts_below_a_millisecond_still_time_out_and_negative_ones_are_refused(
    mp,
):
    # CPython: a negative timeout is a ValueError; a tiny one is still a timeout
    # (TimeoutError), not non-blocking mode (BlockingIOError).
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(ValueError):
            u.settimeout(-1)
        u.bind((LOOPBACK, 0))
        u.settimeout(0.0001)
        with pytest.raises(TimeoutError):
            u.recv(1)
    finally:
        u.close()
    r = run(
        mp,
        """
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
res("negative", err(u.settimeout, -1))
u.bind(("127.0.0.1", 0))
u.settimeout(0.0001)
res("tiny", err(u.recv, 1))
u.close()
""",
    )
    assert r == {"negative": "ValueError", "tiny": errno.ETIMEDOUT}
