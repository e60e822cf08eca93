"""QuecPython's MQTT client: ``from umqtt import MQTTClient``.

    from umqtt import MQTTClient

    def sub_cb(topic, msg):
        print(topic, msg)

    c = MQTTClient("dev1", "broker.example", keepalive=60)
    c.set_callback(sub_cb)
    c.connect()
    c.subscribe(b"/dev1/cmd", qos=1)
    c.publish(b"/dev1/up", b"hello", qos=1)
    while True:
        c.wait_msg()

MQTT 3.1.1 (``version=4``, the default) or 3.1 (``version=3``), QoS 0 and 1,
retained messages, a last will, keepalive pings and, with ``reconn=True`` (the
default), automatic reconnection.

How this client works on a single-threaded firmware
---------------------------------------------------
QuecPython's client runs a thread for keepalive pings. This one needs none:
every call into the client (``wait_msg``, ``check_msg``, ``publish``,
``subscribe``) sends the ping that is due, and ``wait_msg`` wakes up for it
while it waits, so an app that loops on ``wait_msg`` or ``check_msg`` — the
usual QuecPython pattern — keeps its connection alive. When two threads share
a client (a ``wait_msg`` loop in one, ``publish`` in another), writes are
serialised by a lock and a QoS 1 ``publish`` leaves reading to the other
thread, as on QuecPython.

Reconnection (``reconn=True``): the connection counts as lost when the socket
fails, the broker closes it, ``pingmaxnum + 1`` pings go unanswered, or the
network interface goes down (checked at most once a second; the same
interface ``checkNet``/``dataCall`` watch). Then the error callback receives
``"reconnect_start"``; the client waits until the network is back, connects
again with the original ``clean_session``, subscribes again to every topic it
had subscribed to and passes ``"reconnect_success"`` to the error callback.
``wait_msg`` blocks until that is done; ``check_msg`` advances it one step
per call and returns None meanwhile, so a polling loop keeps running. With
``reconn=False`` the error callback receives the error's text and the call
that found the loss raises it.

``get_mqttsta()``, from the TCP state of the socket as QuecPython derives it:
0 connected, 1 connecting (TCP handshake or CONNECT sent, no CONNACK yet),
2 the broker closed the connection (not yet noticed by a read), -1 no
connection (never connected, lost, or after ``disconnect``/``close``).

Memory: a publish writes its header and then the caller's payload object; a
received payload is read into one bytes object of its exact size; pings and
acknowledgements use preallocated buffers, so keepalive allocates nothing.

Coexistence with micropython-lib: this package's only module is
``__init__``. ``umqtt.simple`` and ``umqtt.robust`` come from wherever they
are: frozen into the same package (the ports' network bundle), or installed
in a later ``sys.path`` entry (``/lib`` by mip on a board, a directory on
``MICROPYPATH`` on the host), in which case ``__path__`` is pointed there so
``from umqtt.simple import MQTTClient`` finds them.
"""

import select
import socket
import time

import _usocket_net

try:
    import _thread
except ImportError:
    _thread = None

# errno values (MicroPython's errno numbering on every port we build).
_EAGAIN = 11
_ECONNRESET = 104
_ENOTCONN = 107
_ETIMEDOUT = 110
_ENETDOWN = 100

# TCP states from getsocketsta() (lwIP's enum tcp_state).
_SYN_SENT = 2
_SYN_RCVD = 3
_ESTABLISHED = 4
_CLOSE_WAIT = 7
_LAST_ACK = 8

_PINGREQ = b"\xc0\x00"
_QOS = (b"\x00", b"\x01")
# _poll_packet(): another thread holds the socket's read side.
_BUSY = -1
_DISCONNECT = b"\xe0\x00"

# How long a reply (CONNACK, SUBACK, PUBACK) may take, and the socket timeout
# while a packet is being read or written; QuecPython uses 5 s and 20 s.
_REPLY_MS = 5000
_IO_TIMEOUT_S = 20
# The longest wait_msg() sleeps between checks of the network interface.
_NET_CHECK_MS = 1000
# Reconnection back-off after a failed attempt: 1 s, doubling to 8 s.
_RETRY_MIN_MS = 1000
_RETRY_MAX_MS = 8000


class MQTTException(Exception):
    """A broker refused something: CONNACK return code, or SUBACK failure (0x80)."""


class _NoLock:
    # Named parameters, not *args: collecting those would allocate a tuple.
    def acquire(self, waitflag=1, timeout=-1):
        return True

    def release(self):
        pass


def _ident():
    return _thread.get_ident() if _thread is not None else 0


def _as_bytes(x):
    # len() of a str counts characters; the wire needs its UTF-8 length.
    return x.encode() if isinstance(x, str) else x


def _first(d, keys):
    for k in keys:
        if d.get(k) is not None:
            return d[k]
    return None


class MQTTClient:
    CONNECTEXCE = -1
    CONNECTSUCCESS = 0
    ARECONNECT = 1
    SEVCLOSE = 2

    def __init__(
        self,
        client_id,
        server,
        port=0,
        user=None,
        password=None,
        keepalive=0,
        ssl=False,
        ssl_params=None,
        reconn=True,
        version=4,
        pingmaxnum=0,
    ):
        if keepalive != 0 and not 5 <= keepalive <= 65535:
            raise ValueError("keepalive must be 0 or 5..65535 s")
        if version not in (3, 4):
            raise ValueError("version must be 3 (MQTT 3.1) or 4 (MQTT 3.1.1)")
        if port == 0:
            port = 8883 if ssl else 1883
        self.client_id = client_id
        self.server = server
        self.port = port
        self.user = user
        self.pswd = password
        self.keepalive = keepalive
        self.ssl = ssl
        self.ssl_params = ssl_params if ssl_params is not None else {}
        self.reconn = reconn
        self.mqttversion = version
        self.pingmaxnum = pingmaxnum
        self.cb = None
        self.error_callback = None
        self.lw_topic = None
        self.lw_msg = None
        self.lw_qos = 0
        self.lw_retain = False
        self.sock = None  # what packets go through (the TLS object with ssl=True)
        self._raw = None  # the TCP socket, for getsocketsta()
        self._poller = None
        self._ctx = None  # the TLS context (ssl=True), made at the first connect
        self._pid = 0
        self._acks = set()  # packet ids sent and not yet acknowledged
        self._suback = None  # (pid, return code) of the last SUBACK
        self._subs = []  # [topic, qos] in subscription order, for resubscribing
        self._clean = True
        self._connected = False  # CONNACK received and the connection not lost
        self._lost = False  # lost, and reconnection (reconn=True) pending
        self._stopped = True  # never connected, or disconnect()/close()
        self._connecting = False  # a reconnection's TCP connect in progress
        self._connect_started = 0
        self._retry_at = None
        self._retry_ms = _RETRY_MIN_MS
        self._net_checked = time.ticks_ms()
        self._last_ping = 0
        self._ping_outstanding = False
        self._pings_left = pingmaxnum
        # One thread writes a packet at a time (_wlock) and one reads (_rlock,
        # held by thread _reader, which may re-enter from the message callback).
        self._reader = None
        self._wlock = _thread.allocate_lock() if _thread is not None else _NoLock()
        self._rlock = _thread.allocate_lock() if _thread is not None else _NoLock()
        self._b1 = bytearray(1)  # reading
        self._b2 = bytearray(2)  # reading
        self._wb2 = bytearray(2)  # writing
        self._hdr = bytearray(5)  # fixed header: type byte + up to 4 length bytes
        self._ack = bytearray(b"\x40\x02\x00\x00")  # PUBACK, pid filled in
        self._skip = bytearray(64)

    # ------------------------------------------------------------------ setup

    def set_callback(self, f):
        """``f(topic, msg)`` receives every PUBLISH (both bytes)."""
        self.cb = f

    def error_register_cb(self, func):
        """``func(event)``: "reconnect_start"/"reconnect_success" with reconn=True,
        the error's text with reconn=False."""
        self.error_callback = func

    def set_last_will(self, topic, msg, retain=False, qos=0):
        if not topic:
            raise ValueError("last will needs a topic")
        if qos not in (0, 1, 2):
            raise ValueError("qos must be 0, 1 or 2")
        self.lw_topic = topic
        self.lw_msg = msg
        self.lw_qos = qos
        self.lw_retain = retain

    # ------------------------------------------------------------- connection

    def connect(self, clean_session=True):
        """Connect to the broker; 0 on success. Failure raises ValueError whose
        text names the cause, as QuecPython's client does."""
        self._stopped = False
        self._clean = clean_session
        try:
            self._open(clean_session, None)
        except MQTTException as e:
            self._drop()
            raise ValueError(f"MQTT Connect error='{e.args[0]}' FAIL")
        except OSError as e:
            self._drop()
            code = e.errno
            if code == _ECONNRESET:
                why = "the server reset the connection: check address and port"
            elif code in (_ENOTCONN, 4):
                why = (
                    "the server closed the connection: check the connection parameters"
                )
            elif code == _ETIMEDOUT:
                why = "timeout: check the network"
            else:
                why = "FAIL"
            raise ValueError(f"MQTT Connect error='{code}' {why}")
        except ValueError:
            # The name did not resolve, or the TLS handshake's verdict (a
            # certificate not trusted) as ssl gives it.
            self._drop()
            raise
        self._lost = False
        return 0

    def _drop(self):
        # Close the sockets without any MQTT goodbye.
        for s in (self.sock, self._raw):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
        self.sock = None
        self._raw = None
        self._poller = None
        self._connected = False
        self._connecting = False
        self._ping_outstanding = False
        self._acks.clear()

    def _tcp_start(self, blocking):
        try:
            addr = socket.getaddrinfo(self.server, self.port)[0][-1]
        except (OSError, IndexError):
            # QuecPython's words for a name that does not resolve.
            raise ValueError(f"DNS Parsing '{self.server}'")
        raw = socket.socket()
        self._raw = raw
        if blocking:
            raw.settimeout(_IO_TIMEOUT_S)
            raw.connect(addr)
            return
        raw.setblocking(False)
        try:
            raw.connect(addr)
        except OSError as e:
            # EINPROGRESS (115) or EAGAIN: the handshake goes on in the background.
            if e.errno not in (115, _EAGAIN):
                raise
        self._connecting = True
        self._connect_started = time.ticks_ms()

    def _open(self, clean_session, raw_ready):
        """TCP (unless ``raw_ready``), TLS, CONNECT and CONNACK."""
        if not raw_ready:
            self._drop()
            self._tcp_start(True)
        raw = self._raw
        raw.settimeout(_IO_TIMEOUT_S)
        sock = raw
        if self.ssl:
            sock = self._wrap(raw)  # may replace self._raw
        self.sock = sock
        self._poller = select.poll()
        self._poller.register(sock, select.POLLIN)
        self._send_connect(clean_session)
        if not self._wait_for(0x20, _REPLY_MS):
            raise OSError(_ETIMEDOUT)
        self._connected = True
        self._ping_outstanding = False
        self._pings_left = self.pingmaxnum
        self._last_ping = time.ticks_ms()

    def _context(self):
        # One TLS context per client, kept across reconnections: the CAs it
        # loads (from ssl_params or the trust store) are parsed once.
        if self._ctx is None:
            import ssl

            p = self.ssl_params
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.verify_mode = p.get("cert_reqs", ssl.CERT_REQUIRED)
            ca = _first(p, ("cadata", "ca", "ca_certs"))
            if ca is not None:
                ctx.load_verify_locations(cadata=ca)
            # Else ssl verifies against its trust store (certs/, the CA bundle).
            # PEM given as str (read with open(..., "r")) is taken as data.
            cert = _first(p, ("cert", "certfile"))
            if cert is not None:
                ctx.load_cert_chain(cert, _first(p, ("key", "keyfile")))
            self._ctx = ctx
        return self._ctx

    def _wrap(self, raw):
        ctx = self._context()
        host = self.ssl_params.get("server_hostname", self.server)
        if hasattr(ctx, "_wrap"):
            # Our ssl may load a trust-store CA and handshake again on a new
            # connection: ours, so the TCP socket for getsocketsta() is known.
            raw, sock = ctx._wrap(raw, False, True, host, self._tcp_again)
            self._raw = raw
            return sock
        return ctx.wrap_socket(raw, server_hostname=host)

    def _tcp_again(self):
        self._tcp_start(True)
        return self._raw

    def _send_connect(self, clean_session):
        v3 = self.mqttversion == 3
        cid = _as_bytes(self.client_id)
        user = _as_bytes(self.user) if self.user else None
        pswd = _as_bytes(self.pswd) if self.pswd else None
        flags = 0x02 if clean_session else 0
        # Variable header: protocol name, level, flags, keepalive.
        body = bytearray(b"\x00\x06MQIsdp\x03" if v3 else b"\x00\x04MQTT\x04")
        body.append(0)  # flags, set below
        body.append(self.keepalive >> 8)
        body.append(self.keepalive & 0xFF)
        self._put_str(body, cid)
        if self.lw_topic:
            flags |= 0x04 | (self.lw_qos & 3) << 3 | (0x20 if self.lw_retain else 0)
            self._put_str(body, _as_bytes(self.lw_topic))
            self._put_str(body, _as_bytes(self.lw_msg))
        if user is not None:
            flags |= 0x80
            self._put_str(body, user)
        if pswd is not None:
            flags |= 0x40
            self._put_str(body, pswd)
        body[9 if v3 else 7] = flags
        self._wlock.acquire()
        try:
            self._write(self._hdr, self._fixed(0x10, len(body)))
            self._write(body)
        finally:
            self._wlock.release()

    @staticmethod
    def _put_str(buf, s):
        buf.append(len(s) >> 8)
        buf.append(len(s) & 0xFF)
        buf.extend(s)

    def _fixed(self, first, length):
        # Fixed header into self._hdr; returns its length.
        if length > 268435455:
            raise ValueError("MQTT packets are at most 256 MB")
        h = self._hdr
        h[0] = first
        i = 1
        while True:
            b = length & 0x7F
            length >>= 7
            h[i] = b | (0x80 if length else 0)
            i += 1
            if not length:
                return i

    def disconnect(self):
        """Send DISCONNECT (the broker drops the last will) and close."""
        if self.sock is not None and self._connected:
            self._wlock.acquire()
            try:
                self._write(_DISCONNECT)
            except OSError:
                pass
            finally:
                self._wlock.release()
        self._stopped = True
        self._lost = False
        self._drop()

    def close(self):
        """Release the socket without DISCONNECT (for an app's own reconnection)."""
        self._stopped = True
        self._lost = False
        self._drop()

    def get_mqttsta(self):
        raw = self._raw  # another thread may drop it meanwhile
        if raw is None or self._stopped:
            return -1
        st = raw.getsocketsta()
        if st in (_SYN_SENT, _SYN_RCVD):
            return 1
        if st == _ESTABLISHED:
            return 0 if self._connected else 1
        if st in (_CLOSE_WAIT, _LAST_ACK):
            return 2
        return -1

    # ----------------------------------------------------------------- output

    def _write(self, buf, n=None):
        # write(buf, off, max_len): the stream protocol's 4-argument form, the
        # same on every port and on TLS objects, and no memoryview to allocate.
        total = len(buf) if n is None else n
        done = 0
        while done < total:
            w = self._sock().write(buf, done, total - done)
            if not w:
                raise OSError(_ETIMEDOUT)
            done += w

    def ping(self):
        """Send PINGREQ (also sent automatically every keepalive period)."""
        self._wlock.acquire()
        try:
            self._write(_PINGREQ)
        finally:
            self._wlock.release()
        self._last_ping = time.ticks_ms()
        self._ping_outstanding = True

    def _next_pid(self):
        self._pid = self._pid + 1 if self._pid < 65535 else 1
        return self._pid

    def publish(self, topic, msg, retain=False, qos=0):
        """Publish ``msg``; with qos=1 wait up to 5 s for the broker's PUBACK.

        Returns True when sent (and acknowledged, qos=1), False when the
        connection failed meanwhile (with reconn=True reconnection follows at
        the next call); QuecPython's returns nothing and drops such a message
        silently too.
        """
        if qos not in (0, 1):
            raise ValueError("qos must be 0 or 1")
        topic = _as_bytes(topic)
        msg = _as_bytes(msg)
        if not self._connected and not self._service(False):
            return False
        # Due ping, and a waiting reply (a PINGRESP) read, so an app that only
        # publishes keeps its connection too (unless another thread is reading).
        try:
            self._poll_packet(0, False)
        except (OSError, MQTTException) as e:
            self._on_loss(e, False)
            return False
        size = 2 + len(topic) + len(msg) + (2 if qos else 0)
        pid = 0
        self._wlock.acquire()
        try:
            n = self._fixed(0x30 | qos << 1 | (1 if retain else 0), size)
            self._write(self._hdr, n)
            b2 = self._wb2
            b2[0] = len(topic) >> 8
            b2[1] = len(topic) & 0xFF
            self._write(b2)
            self._write(topic)
            if qos:
                pid = self._next_pid()
                self._acks.add(pid)
                b2[0] = pid >> 8
                b2[1] = pid & 0xFF
                self._write(b2)
            self._write(msg)
        except OSError as e:
            self._wlock.release()
            self._on_loss(e, False)
            return False
        self._wlock.release()
        if not qos:
            return True
        try:
            return self._await_ack(pid)
        except OSError as e:
            self._on_loss(e, False)
            return False

    def _await_ack(self, pid):
        deadline = time.ticks_add(time.ticks_ms(), _REPLY_MS)
        while pid in self._acks:
            left = time.ticks_diff(deadline, time.ticks_ms())
            if left <= 0:
                self._acks.discard(pid)
                return False
            if self._poll_packet(min(left, _NET_CHECK_MS), False) is _BUSY:
                # Another thread's wait_msg reads the socket and sees the PUBACK.
                time.sleep_ms(10)
        return True

    def subscribe(self, topic, qos=0):
        """Subscribe and wait for SUBACK. The topic is remembered and subscribed
        again after every reconnection (also when the connection is being
        re-established right now)."""
        if qos not in (0, 1):
            raise ValueError("qos must be 0 or 1")
        if self.cb is None:
            raise ValueError("set_callback() before subscribe()")
        for entry in self._subs:
            if entry[0] == topic:
                entry[1] = qos
                break
        else:
            self._subs.append([topic, qos])
        if not self._connected and not self._service(False):
            return  # reconnecting: subscribed once connected again
        try:
            self._subscribe(_as_bytes(topic), qos)
        except OSError as e:
            self._on_loss(e, True)

    def _subscribe(self, topic, qos):
        pid = self._next_pid()
        self._suback = None
        self._wlock.acquire()
        try:
            n = self._fixed(0x82, 2 + 2 + len(topic) + 1)
            self._write(self._hdr, n)
            b2 = self._wb2
            b2[0] = pid >> 8
            b2[1] = pid & 0xFF
            self._write(b2)
            b2[0] = len(topic) >> 8
            b2[1] = len(topic) & 0xFF
            self._write(b2)
            self._write(topic)
            self._write(_QOS[qos])
        finally:
            self._wlock.release()
        if not self._wait_for(0x90, _REPLY_MS, pid):
            raise OSError(_ETIMEDOUT)
        if self._suback[1] == 0x80:
            raise MQTTException(0x80)

    # ------------------------------------------------------------------ input

    def _sock(self):
        # disconnect() from another thread may close the socket under a reader.
        s = self.sock
        if s is None:
            raise OSError(_ENOTCONN)
        return s

    def _readinto(self, buf, n):
        got = self._sock().readinto(buf, n)
        if got == n:
            return
        # A short read: the rest through a view (rare, so its allocation is too).
        mv = memoryview(buf)
        got = got or 0
        while got < n:
            r = self._sock().readinto(mv[got:n])
            if not r:
                raise OSError(_ECONNRESET)
            got += r

    def _read_byte(self):
        self._readinto(self._b1, 1)
        return self._b1[0]

    def _read_u16(self):
        self._readinto(self._b2, 2)
        return self._b2[0] << 8 | self._b2[1]

    def _read_packet(self):
        """Read one whole packet (data is known to be waiting) and act on it.
        Returns the packet's first byte."""
        op = self._read_byte()
        size = 0
        shift = 0
        while True:
            b = self._read_byte()
            size |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
        kind = op & 0xF0
        if kind == 0x30:
            self._read_publish(op, size)
            return op
        if kind == 0xD0:  # PINGRESP
            self._ping_outstanding = False
            self._pings_left = self.pingmaxnum
        elif kind == 0x40 and size >= 2:  # PUBACK
            self._acks.discard(self._read_u16())
            size -= 2
        elif kind == 0x90 and size >= 3:  # SUBACK (one topic per SUBSCRIBE)
            pid = self._read_u16()
            self._suback = (pid, self._read_byte())
            size -= 3
        elif kind == 0x20 and size >= 2:  # CONNACK
            flags = self._read_u16()
            size -= 2
            if flags & 0xFF:
                raise MQTTException(flags & 0xFF)
        while size > 0:
            k = min(size, len(self._skip))
            self._readinto(self._skip, k)
            size -= k
        return op

    def _read_publish(self, op, size):
        tlen = self._read_u16()
        topic = self._sock().read(tlen)
        size -= 2 + tlen
        pid = 0
        if op & 0x06:
            pid = self._read_u16()
            size -= 2
        # The payload in one allocation of its exact size.
        msg = self._sock().read(size) if size else b""
        if len(topic) != tlen or len(msg) != size:
            raise OSError(_ECONNRESET)
        if self.cb is not None:
            self.cb(topic, msg)
        # Acknowledged once handled, so a message whose callback failed comes
        # again after a reconnection (clean_session=False).
        if op & 0x06 == 0x02:
            ack = self._ack
            ack[2] = pid >> 8
            ack[3] = pid & 0xFF
            self._wlock.acquire()
            try:
                self._write(ack)
            finally:
                self._wlock.release()

    def _keepalive(self):
        if not self.keepalive:
            return
        # QuecPython pings every keepalive - 3 s, whatever else is sent.
        period = (self.keepalive - 3) * 1000
        if time.ticks_diff(time.ticks_ms(), self._last_ping) < period:
            return
        if self._ping_outstanding:
            if self._pings_left <= 0:
                raise OSError(_ETIMEDOUT)
            self._pings_left -= 1
        self.ping()

    def _until_ping_ms(self):
        if not self.keepalive:
            return _NET_CHECK_MS
        left = (self.keepalive - 3) * 1000 - time.ticks_diff(
            time.ticks_ms(), self._last_ping
        )
        return max(0, min(left, _NET_CHECK_MS))

    def _check_net(self):
        # At most once a second, and without allocating: link up and connected
        # (the address check of checkNet's stage 3 would build a tuple).
        now = time.ticks_ms()
        if time.ticks_diff(now, self._net_checked) < _NET_CHECK_MS:
            return
        self._net_checked = now
        n = _usocket_net.nic()
        if n is not None and not (_usocket_net.link_up(n) and n.isconnected()):
            raise OSError(_ENETDOWN)

    def _poll_packet(self, timeout_ms, wait_turn=True):
        """Keepalive and link check, then wait up to ``timeout_ms`` for a packet
        and handle it. Returns its first byte, None if none came, or _BUSY when
        another thread is reading and ``wait_turn`` is False."""
        self._check_net()
        self._keepalive()
        me = _ident()
        if self._reader == me:  # re-entered from the message callback
            return self._poll_read(timeout_ms)
        if not self._rlock.acquire(wait_turn):
            return _BUSY
        self._reader = me
        try:
            return self._poll_read(timeout_ms)
        finally:
            self._reader = None
            self._rlock.release()

    def _poll_read(self, timeout_ms):
        poller = self._poller
        if poller is None:
            raise OSError(_ENOTCONN)
        for _obj, ev in poller.ipoll(timeout_ms):
            if not ev & select.POLLIN:  # error, hang-up, or closed meanwhile
                raise OSError(_ECONNRESET)
            return self._read_packet()
        return None

    def _wait_for(self, kind, timeout_ms, pid=None):
        # Handle packets until one of ``kind`` (and ``pid``) arrives.
        deadline = time.ticks_add(time.ticks_ms(), timeout_ms)
        while True:
            left = time.ticks_diff(deadline, time.ticks_ms())
            if left <= 0:
                return False
            if kind == 0x20:
                # No keepalive or link check before CONNACK.
                op = None
                for _obj, _ev in self._poller.ipoll(min(left, _NET_CHECK_MS)):
                    op = self._read_packet()
            else:
                op = self._poll_packet(min(left, _NET_CHECK_MS))
            if (
                op is not None
                and op is not _BUSY
                and op & 0xF0 == kind
                and (pid is None or (self._suback and self._suback[0] == pid))
            ):
                return True

    # ------------------------------------------------------- loss, reconnection

    def _on_loss(self, exc, report_raise):
        """The connection is gone. With reconn=True start reconnecting; else
        tell the error callback and, if ``report_raise``, raise ``exc``."""
        self._drop()
        if self._stopped:
            return  # disconnect()/close() from another thread: nothing was lost
        if self.reconn:
            if not self._lost:
                self._lost = True
                self._retry_at = None
                self._retry_ms = _RETRY_MIN_MS
                if self.error_callback is not None:
                    self.error_callback("reconnect_start")
            return
        self._stopped = True
        if self.error_callback is not None:
            self.error_callback(str(exc))
        if report_raise:
            raise exc

    def _reconnect_step(self):
        """One step of reconnection, never blocking for long. True when
        connected and subscribed again."""
        now = time.ticks_ms()
        if self._connecting:
            st = self._raw.getsocketsta()
            if st == _ESTABLISHED:
                self._connecting = False
                return self._resume()
            if st in (_SYN_SENT, _SYN_RCVD) and (
                time.ticks_diff(now, self._connect_started) < _IO_TIMEOUT_S * 1000
            ):
                return False
            self._failed_attempt()
            return False
        if self._retry_at is not None and time.ticks_diff(self._retry_at, now) > 0:
            return False
        if not _usocket_net.stage()[1]:
            return False  # wait for the network; no back-off meanwhile
        try:
            self._tcp_start(False)
        except (OSError, ValueError):  # ValueError: the name did not resolve
            self._failed_attempt()
        return False

    def _failed_attempt(self):
        self._drop()
        self._retry_at = time.ticks_add(time.ticks_ms(), self._retry_ms)
        self._retry_ms = min(self._retry_ms * 2, _RETRY_MAX_MS)

    def _resume(self):
        try:
            self._open(self._clean, True)
            for topic, qos in self._subs:
                self._subscribe(_as_bytes(topic), qos)
        except (OSError, MQTTException, ValueError):
            # ValueError: a TLS certificate not trusted; tried again later like
            # any failure, as the app cannot act on it from inside wait_msg.
            self._failed_attempt()
            return False
        self._lost = False
        self._retry_at = None
        self._retry_ms = _RETRY_MIN_MS
        if self.error_callback is not None:
            self.error_callback("reconnect_success")
        return True

    def _service(self, block):
        """Make sure the client is connected (reconnecting if needed); False
        when not connected (only when ``block`` is False)."""
        while True:
            if self._connected:
                return True
            if self._stopped or not self._lost:
                raise OSError(_ENOTCONN)
            if self._reconnect_step():
                return True
            if not block:
                return False
            time.sleep_ms(100)

    # ------------------------------------------------------------ public loop

    def wait_msg(self):
        """Block until one packet arrives and handle it (a PUBLISH goes to the
        callback); returns its first byte. Pings are sent while waiting; with
        reconn=True a lost connection is re-established before waiting on."""
        while True:
            if self._stopped:
                return None
            self._service(True)
            try:
                op = self._poll_packet(self._until_ping_ms())
            except (OSError, MQTTException) as e:
                self._on_loss(e, True)
                continue
            if op is not None:
                return op

    def check_msg(self):
        """Handle one waiting packet if there is one, without blocking (once
        connected). Returns its first byte or None."""
        if self._stopped:
            return None
        if not self._service(False):
            return None
        try:
            return self._poll_packet(0)
        except (OSError, MQTTException) as e:
            self._on_loss(e, True)
            return None


def _stock_path():
    # micropython-lib's umqtt.simple/robust installed in another sys.path entry
    # (mip's /lib on a board, MICROPYPATH on the host): this package has no
    # such modules of its own, so submodules are looked up there instead.
    import os
    import sys

    for entry in sys.path:
        d = entry + "/umqtt" if entry else "umqtt"
        if d == __path__ or entry.startswith(".frozen"):
            continue
        for name in ("/simple.py", "/simple.mpy", "/robust.py", "/robust.mpy"):
            try:
                os.stat(d + name)
                return d
            except OSError:
                pass
    return None


_stock = _stock_path()
if _stock is not None:
    __path__ = _stock
del _stock, _stock_path
