"""Patterns from real QuecPython applications, run unchanged on the host firmware.

Each script below is written the way QuecPython's examples, solution repositories
and demo scripts write the same job (read through the team's search tools; the code
here is our own): a TCP client that reads until recv() raises, a TCP server with
IPPROTO_TCP_SER and one _thread per client, a UDP recvfrom loop, an upload with
request's ``files``, dataCall's APN set/get/activate with a network callback, the
checkNet boot sequence, log with %-arguments, and ntptime against a named server.
The other end is always something we did not write: CPython's socket and email
packages, or a CPython NTP responder that answers as RFC 4330 says.
"""

import email.parser
import email.policy
import errno
import hashlib
import json
import socket
import struct
import subprocess
import threading
import time

import pytest
from peers import Response, free_port, pattern, recv_all
from test_socket_api import results

# --------------------------------------------------------------------------------------
# usocket: the loops applications write


def test_tcp_client_reads_until_recv_raises(mp, tcp_server):
    """QuecPython apps loop on recv() and leave the loop on the exception: after the
    peer's FIN, recv() gives b'' once and then raises OSError(ENOTCONN), as lwIP's
    socket API (QuecPython's and ESP32's) does."""
    payload = pattern(20000)

    def serve(conn, addr):
        conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)
        recv_all(conn)

    server = tcp_server(serve)
    r = results(
        mp(
            f"""
import usocket, utime
sock = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
sock.settimeout(10)
sock.connect(("10.0.2.2", {server.port}))
got = bytearray()
empties = 0
while True:
    try:
        data = sock.recv(1024)
    except OSError as e:
        print("@ error =", repr(e.args[0]))
        break
    if not data:
        empties += 1
        if empties > 3:
            print("@ error =", repr("b'' for ever"))
            break
        continue
    got += data
sock.close()
print("@ got =", repr((len(got), sum(got))))
print("@ empties =", repr(empties))
"""
        )
        .check()
        .out
    )
    assert r["got"] == (len(payload), sum(payload))
    assert r["empties"] == 1
    assert r["error"] == errno.ENOTCONN


def test_udp_recvfrom_loop_until_timeout(mp, udp_echo_server):
    r = results(
        mp(
            f"""
import usocket
udp = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
udp.settimeout(2)
peer = usocket.getaddrinfo("10.0.2.2", {udp_echo_server.port})[0][-1]
for i in range(5):
    udp.sendto(b"report %d" % i, peer)
seen = []
while True:
    try:
        data, addr = udp.recvfrom(256)
    except OSError as e:
        print("@ end =", repr(e.args[0]))
        break
    seen.append((data, addr))
udp.close()
print("@ seen =", repr(seen))
"""
        )
        .check()
        .out
    )
    assert r["seen"] == [
        (b"report %d" % i, ("10.0.2.2", udp_echo_server.port)) for i in range(5)
    ]
    assert r["end"] == errno.ETIMEDOUT
    assert [d for d, _ in udp_echo_server.datagrams] == [
        b"report %d" % i for i in range(5)
    ]


def _has_thread(firmware):
    proc = subprocess.run(
        [firmware, "-c", "import _thread"], check=False, capture_output=True, timeout=30
    )
    return proc.returncode == 0


def test_tcp_ser_server_with_a_thread_per_client(mp, firmware):
    """QuecPython's server examples: IPPROTO_TCP_SER, accept() returning (conn, ip,
    port), and _thread.start_new_thread per client. Runs on the threaded firmware
    (`VARIANT=threaded`), the ESP32 concurrency model."""
    if not _has_thread(firmware):
        pytest.skip("this firmware has no _thread (build with VARIANT=threaded)")
    host_port = free_port()
    clients = 3
    fw = mp.spawn(
        f"""
import usocket, _thread, utime
lock = _thread.allocate_lock()
done = []

def client_thread(conn, ip, port):
    conn.settimeout(10)
    data = b""
    while not data.endswith(b"\\n"):
        chunk = conn.recv(64)
        if not chunk:
            break
        data += chunk
    conn.send(b"hello " + data)
    conn.close()
    with lock:
        done.append(ip)

server = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM, usocket.IPPROTO_TCP_SER)
server.setsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR, 1)
server.bind(("0.0.0.0", 8002))
server.listen(5)
print("listening")
server.settimeout(20)
for i in range({clients}):
    conn, ip, port = server.accept()
    _thread.start_new_thread(client_thread, (conn, ip, port))
t = utime.ticks_ms()
while len(done) < {clients} and utime.ticks_diff(utime.ticks_ms(), t) < 20000:
    utime.sleep_ms(10)
server.close()
print("@ done =", repr(sorted(done)))
""",
        hostfwd=[f"tcp:{host_port}:8002"],
    )
    fw.wait_for("listening")
    replies = [None] * clients

    def talk(i):
        with socket.create_connection(("127.0.0.1", host_port), timeout=20) as c:
            c.sendall(b"client %d\n" % i)
            replies[i] = recv_all(c)

    threads = [threading.Thread(target=talk, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    r = results(fw.wait(40).check().out)
    assert replies == [b"hello client %d\n" % i for i in range(clients)]
    assert r["done"] == ["10.0.2.2"] * clients


# --------------------------------------------------------------------------------------
# request: an upload with files


def _multipart_parts(req):
    """The request's multipart body parsed by CPython's email package."""
    ctype = dict(req.headers)["Content-Type"]
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + req.body
    )
    assert msg.is_multipart(), ctype
    parts = []
    for part in msg.iter_parts():
        body = part.get_payload(decode=True)
        parts.append(
            {
                "name": part.get_param("name", header="content-disposition"),
                "filename": part.get_filename(),
                "type": part.get_content_type(),
                "len": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
            }
        )
    return parts


def test_request_post_files_is_a_multipart_upload_streamed_from_flash(
    mp, http_server, tmp_path
):
    """A QuecPython upload: ``request.post(url, files={"filepath": ..., "filename":
    ...}, headers={"Content-Type": "multipart/form-data"})``. The body must parse as
    multipart/form-data, and a file larger than the whole heap still goes: it is
    streamed, not read into memory."""
    big = pattern(300 * 1024)
    (tmp_path / "log_big.bin").write_bytes(big)
    small = b"temperature,21.5\nhumidity,40\n"
    (tmp_path / "report.csv").write_bytes(small)
    seen = []

    def upload(req):
        parts = _multipart_parts(req)
        seen.append(
            {
                "content_type": dict(req.headers)["Content-Type"],
                "length": int(dict(req.headers)["Content-Length"]),
                "body": len(req.body),
                "parts": parts,
            }
        )
        return Response(200, {"Content-Type": "application/json"}, json.dumps(parts))

    http_server.route("POST", "/upload", upload)
    headers = {"Content-Type": "multipart/form-data"}
    r = results(
        mp(
            f"""
import request, gc
headers = {headers!r}
url = "http://10.0.2.2:{http_server.port}/upload"
resp = request.post(url, files={{"filepath": "log_big.bin", "filename": "log_big.bin"}},
                    headers=headers, timeout=20)
print("@ big =", repr((resp.status_code, len(resp.json()))))
print("@ headers_untouched =", repr(headers == {headers!r}))
resp = request.post(url, data={{"device": "qp-01"}},
                    files={{"filepath": "report.csv", "filename": "r.csv", "name": 'name="csv"',
                           "filepath1": "log_big.bin", "filename1": "b.bin"}}, timeout=20)
print("@ two =", repr(resp.status_code))
try:
    request.post(url, files={{"filepath": "report.csv"}})
except ValueError as e:
    print("@ missing =", repr(str(e)))
""",
            opts=["-X", "heapsize=160K"],
            timeout=60,
        )
        .check()
        .out
    )
    assert r["big"] == (200, 1)
    assert r["headers_untouched"] is True
    assert r["two"] == 200
    assert "filename" in r["missing"]
    first, second = seen
    assert first["content_type"].startswith("multipart/form-data; boundary=")
    assert first["length"] == first["body"]
    assert first["parts"] == [
        {
            "name": "file",
            "filename": "log_big.bin",
            "type": "application/octet-stream",
            "len": len(big),
            "sha256": hashlib.sha256(big).hexdigest(),
        }
    ]
    assert [(p["name"], p["filename"], p["len"]) for p in second["parts"]] == [
        ("device", None, len(b"qp-01")),
        ("csv", "r.csv", len(small)),
        ("file", "b.bin", len(big)),
    ]
    assert second["parts"][1]["sha256"] == hashlib.sha256(small).hexdigest()


# --------------------------------------------------------------------------------------
# dataCall and checkNet as applications use them


def test_datacall_apn_set_get_activate_with_callback(mp):
    """The dial-up pattern of QuecPython's solutions: store an APN, register the
    network callback, activate, then watch the link go down and up while the main
    loop only sleeps. The settings survive a restart (a second process)."""
    r = results(
        mp(
            """
import dataCall, checkNet, utime
events = []

def nw_cb(args):
    pdp, nw_sta = args[0], args[1]
    events.append((pdp, nw_sta))
    print("*** network %d %s ***" % (pdp, "connected" if nw_sta else "not connected"))

print("@ set =", repr(dataCall.setPDPContext(1, 0, "3gnet", "user", "pwd", 0)))
print("@ get =", repr(dataCall.getPDPContext(1)))
print("@ bad =", repr([dataCall.setPDPContext(0, 0, "", "", "", 0),
                       dataCall.setPDPContext(1, 3, "", "", "", 0),
                       dataCall.setPDPContext(1, 0, "a" * 65, "", "", 0),
                       dataCall.getPDPContext(9)]))
print("@ auto =", repr([dataCall.setAutoActivate(1, 1), dataCall.setAutoConnect(1, 0),
                        dataCall.setAutoActivate(1, 5)]))
print("@ cb =", repr(dataCall.setCallback(nw_cb)))
print("@ activate =", repr(dataCall.activate(1)))
print("@ ready =", repr(checkNet.CheckNetwork.check_datacall_status()))
print("@ deactivate =", repr(dataCall.deactivate(1)))
utime.sleep_ms(200)              # the callback runs while the app sleeps
print("@ down =", repr((list(events), dataCall.getInfo(1, 0)[2][0],
                        checkNet.CheckNetwork.check_datacall_status())))
print("@ start =", repr(dataCall.start(1, 0, "3gnet", "", "", 0)))
utime.sleep_ms(200)
print("@ events =", repr(events))
print("@ stop =", repr([dataCall.stop(1, 0), dataCall.activate(1), dataCall.activate(2)]))
"""
        )
        .check()
        .out
    )
    assert r["set"] == 0
    # Credentials without an authentication method get CHAP, as QuecPython does.
    assert r["get"] == (0, "3gnet", "user", "pwd", 2)
    assert r["bad"] == [-1, -1, -1, -1]
    assert r["auto"] == [0, 0, -1]
    assert r["cb"] == 0
    assert r["activate"] == 0
    assert r["ready"] == 1
    assert r["deactivate"] == 0
    assert r["down"] == ([(1, 0)], 0, 0)
    assert r["start"] == 0
    assert r["events"] == [(1, 0), (1, 1)]
    assert r["stop"] == [0, 0, -1]
    again = results(
        mp(
            """
import dataCall
print("@ get =", repr(dataCall.getPDPContext(1)))
print("@ apn =", repr(dataCall.getApn(0, 1)))
print("@ other =", repr(dataCall.getPDPContext(2)))
print("@ flags =", repr((dataCall.getAutoActivate(1), dataCall.getAutoConnect(1))))
"""
        )
        .check()
        .out
    )
    assert again == {
        "get": (0, "3gnet", "user", "pwd", 2),
        "apn": "3gnet",
        "other": (0, "", "", "", 0),
        "flags": (1, 0),
    }


def test_datacall_set_dns_server_goes_to_lwip_resolver(mp, dns_server, echo_server):
    """setDNSServer changes the server lwIP's resolver asks: a name resolves through
    the test DNS at 10.0.2.2, and stops resolving once the primary is an address the
    bridge drops. getInfo reports both servers."""
    dns_server.add("device.test", "10.0.2.2")
    r = results(
        mp(
            """
import dataCall, network, usocket
print("@ old =", repr(dataCall.setApn(1, 0, "cmnet", "", "", 0)))
print("@ set =", repr(dataCall.setDNSServer(1, 0, "10.0.2.2", "10.0.2.3")))
print("@ info =", repr(dataCall.getInfo(1, 0)))
print("@ resolved =", repr(usocket.getaddrinfo("device.test", 80)[0][-1]))
print("@ bad =", repr([dataCall.setDNSServer(1, 1, "10.0.2.2", "10.0.2.3"),
                       dataCall.setDNSServer(1, 0, "not-an-ip", "10.0.2.3")]))
print("@ moved =", repr(dataCall.setDnsserver(1, 0, "10.0.2.99", "10.0.2.3")))
print("@ lwip =", repr(network.ipconfig("dns")))
s = usocket.socket()
s.settimeout(1)
try:
    s.connect(("other.test", 80))
    print("@ lookup =", repr("resolved"))
except OSError as e:
    print("@ lookup =", repr(e.args[0]))
s.close()
""",
            timeout=60,
        )
        .check()
        .out
    )
    assert r["old"] == 0 and r["set"] == 0
    assert r["info"] == (1, 0, [1, 0, "10.0.2.15", "10.0.2.2", "10.0.2.3"])
    assert r["resolved"] == ("10.0.2.2", 80)
    assert r["bad"] == [-1, -1]
    assert r["moved"] == 0
    assert r["lwip"] == "10.0.2.99"
    assert r["lookup"] < 0  # no answer from a server the bridge drops
    assert ("other.test", "A") not in dns_server.queries


def test_checknet_at_boot_then_log(mp):
    """The start of most QuecPython main.py files: checkNet's banner and wait, then
    a logger with %-arguments (and the print-like form some scripts use)."""
    res = mp(
        """
import checkNet, log, utime

PROJECT_NAME = "QuecPython_Socket_example"
PROJECT_VERSION = "1.0.0"
checknet = checkNet.CheckNetwork(PROJECT_NAME, PROJECT_VERSION)
log.basicConfig(level=log.INFO)
socket_log = log.getLogger("SOCKET")

if __name__ == "__main__":
    stagecode, subcode = checknet.wait_network_connected(30)
    if stagecode == 3 and subcode == 1:
        checknet.poweron_print_once()
        socket_log.info("Network connection successful! stage=%d sub=%d", stagecode, subcode)
        socket_log.info("datacall %s", checknet.check_datacall_status())
        socket_log.debug("hidden %d", 1)
        socket_log.warning("apn", "cmnet")
        socket_log.error("%s:%d unreachable (%.1f s)", "10.0.2.2", 80, 1.5)
    else:
        socket_log.error("Network connection failed! stagecode = %d, subcode = %d",
                         stagecode, subcode)
"""
    ).check()
    lines = res.lines
    assert lines[0] == "=" * 50
    assert lines[1] == "PROJECT_NAME     : QuecPython_Socket_example"
    assert lines[2] == "PROJECT_VERSION  : 1.0.0"
    assert lines[5].startswith("NETWORK          : ")
    assert lines[6] == "=" * 50
    assert lines[7:] == [
        "INFO:SOCKET:Network connection successful! stage=3 sub=1",
        "INFO:SOCKET:datacall 1",
        "WARNING:SOCKET:apn cmnet",
        "ERROR:SOCKET:10.0.2.2:80 unreachable (1.5 s)",
    ]


# --------------------------------------------------------------------------------------
# ntptime against a named server

NTP_TO_1970 = 2208988800
# 2031-05-06 07:08:09 UTC
NTP_NOW = 1936249689


class _NtpResponder:
    """An SNTP server (RFC 4330) on 127.0.0.1:123: answers each client request with
    mode 4, stratum 2, its transmit time echoed as the originate time and a fixed
    transmit time, NTP_NOW. Requests after the first ``good`` get a kiss-o'-death
    (stratum 0), which a client must not take as the time."""

    def __init__(self, good):
        self.requests = []
        self.good = good
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._sock.bind(("127.0.0.1", 123))
        except OSError as exc:
            self._sock.close()
            reason = "needs root" if exc.errno == errno.EACCES else "is in use"
            pytest.skip(f"ntptime talks to port 123, which {reason}")
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                data, addr = self._sock.recvfrom(512)
            except TimeoutError:
                continue
            except OSError:
                return
            self.requests.append(data)
            if len(data) < 48 or data[0] & 7 != 3:
                continue
            ntp_secs = NTP_NOW + NTP_TO_1970
            reply = bytearray(48)
            reply[0] = (data[0] & 0x38) | 4  # LI 0, the client's version, mode 4
            reply[1] = 2 if len(self.requests) <= self.good else 0  # stratum
            reply[24:32] = data[40:48]  # originate = the client's transmit time
            struct.pack_into("!II", reply, 32, ntp_secs, 0)  # receive
            struct.pack_into("!II", reply, 40, ntp_secs, 0)  # transmit
            self._sock.sendto(bytes(reply), addr)

    def close(self):
        self._stop.set()
        self._sock.close()
        self._thread.join(5)


def test_ntptime_settime_from_a_named_server(mp, dns_server):
    dns_server.add("ntp.test", "10.0.2.2")
    server = _NtpResponder(good=2)
    try:
        r = results(
            mp(
                """
import ntptime, utime
print("@ default =", repr(ntptime.host))
print("@ sethost =", repr([ntptime.sethost("ntp.test"), ntptime.sethost(""), ntptime.sethost(5)]))
print("@ host =", repr(ntptime.host))
print("@ utc =", repr(utime.gmtime(ntptime.time())[:6]))
print("@ settime =", repr(ntptime.settime(8)))
print("@ local =", repr(ntptime.localtime()[:5]))
print("@ bad =", repr([ntptime.settime(13), ntptime.settime(-13)]))
ntptime.sethost("unknown.invalid")
print("@ no_name =", repr(ntptime.settime(0, 1, 1)))
ntptime.sethost("ntp.test")
print("@ kiss =", repr(ntptime.settime(0)))
print("@ kept =", repr(ntptime.localtime()[:3]))
"""
            )
            .check()
            .out
        )
    finally:
        server.close()
    utc = time.gmtime(NTP_NOW)
    assert r["default"] == "ntp.aliyun.com"
    assert r["sethost"] == [0, -1, -1]
    assert r["host"] == "ntp.test"
    assert r["utc"] == tuple(utc[:6])
    assert r["settime"] == 0
    local = time.gmtime(NTP_NOW + 8 * 3600)
    assert r["local"] == tuple(local[:5])
    assert r["bad"] == [-1, -1]
    assert r["no_name"] == -1
    assert r["kiss"] == -1
    assert r["kept"] == tuple(local[:3])
    assert ("ntp.test", "A") in dns_server.queries
    assert len(server.requests) == 3
    assert all(len(q) == 48 and q[0] & 7 == 3 for q in server.requests)
