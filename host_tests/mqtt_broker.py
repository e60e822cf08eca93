"""A real MQTT broker for the tests: Debian's mosquitto, started on a free port on
127.0.0.1 with a generated configuration (never the default 1883), plus its
command-line clients (mosquitto_pub / mosquitto_sub) as the independent peer.

    broker = Broker(tmp_path)                  # plain listener, anonymous allowed
    broker = Broker(tmp_path, persistence=True)         # sessions survive restarts
    broker = Broker(tmp_path, users={"u": "pw"})        # password file, no anonymous
    broker = Broker(tmp_path, certs=certs)     # plus a TLS listener (tls_port)
    broker.port, broker.tls_port               # the firmware reaches them at 10.0.2.2
    broker.stop(); broker.start()              # a restart keeps the same ports
    broker.close()                             # at the end: broker and subscribers
    broker.pause(); broker.resume()            # SIGSTOP/SIGCONT: a broker that hangs
    broker.log_text()                          # mosquitto's own log (log_type all)

``Subscriber`` runs mosquitto_sub in the background; ``publish()`` runs
mosquitto_pub once.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PUB = shutil.which("mosquitto_pub")
MOSQUITTO_SUB = shutil.which("mosquitto_sub")
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd")


def require_mosquitto():
    """Fail (not skip) when the Debian packages are missing: `make deps` installs
    them (APT_PACKAGES in versions.mk), so their absence is a setup bug."""
    missing = [
        name
        for name, path in (
            ("mosquitto", MOSQUITTO),
            ("mosquitto_pub", MOSQUITTO_PUB),
            ("mosquitto_sub", MOSQUITTO_SUB),
        )
        if not path or not os.path.exists(path)
    ]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not installed: run `make deps` "
            "(mosquitto and mosquitto-clients are in APT_PACKAGES)",
            pytrace=False,
        )


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port, proc, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Broker:
    def __init__(self, directory, *, users=None, certs=None, persistence=False):
        require_mosquitto()
        self.dir = Path(directory) / f"mosquitto-{free_port()}"
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.tls_port = free_port() if certs is not None else None
        self.log_path = self.dir / "mosquitto.log"
        self.conf_path = self.dir / "mosquitto.conf"
        lines = [
            # With persistence, sessions (subscriptions of clean_session=False
            # clients, queued QoS 1 messages) survive a restart, saved at SIGTERM.
            f"persistence {'true' if persistence else 'false'}",
            f"persistence_location {self.dir}/",
            # Run as whoever started it: as root, mosquitto would otherwise switch
            # to its own user, which cannot read this directory.
            f"user {pwd.getpwuid(os.getuid()).pw_name}",
            # Written to mosquitto.log by us (stderr is unbuffered).
            "log_dest stderr",
            "log_type all",
            "connection_messages true",
            "log_timestamp true",
            # Every listener has its own security settings.
            "per_listener_settings false",
            f"allow_anonymous {'false' if users else 'true'}",
        ]
        if users:
            pw = self.dir / "passwords"
            pw.write_text("")
            for user, password in users.items():
                subprocess.run(
                    [MOSQUITTO_PASSWD, "-b", str(pw), user, password],
                    check=True,
                    capture_output=True,
                    timeout=30,
                )
            lines.append(f"password_file {pw}")
        lines.append(f"listener {self.port} 127.0.0.1")
        if certs is not None:
            lines += [
                f"listener {self.tls_port} 127.0.0.1",
                f"cafile {certs.ca_pem_path}",
                f"certfile {certs.cert_pem_path}",
                f"keyfile {certs.key_pem_path}",
            ]
        self.conf_path.write_text("\n".join(lines) + "\n")
        self.proc = None
        self.subscribers = []  # closed by close()
        self.start()

    def start(self):
        """Start mosquitto (again) on the same ports."""
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.conf_path)],
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )
        # A restart right after a stop can find the port in TIME_WAIT for a moment;
        # mosquitto sets SO_REUSEADDR, so a retry or two is all it takes.
        for port in filter(None, (self.port, self.tls_port)):
            if not _wait_listening(port, self.proc):
                self.stop()
                raise RuntimeError(
                    f"mosquitto did not listen on {port}:\n{self.log_text()}"
                )

    def stop(self):
        """SIGTERM: mosquitto closes every client connection (FIN) and exits."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def close(self):
        """End of the test: stop the broker and every Subscriber made on it
        (mosquitto_sub would otherwise keep retrying to connect)."""
        for sub in self.subscribers:
            sub.close()
        self.stop()

    def pause(self):
        """SIGSTOP: connections stay open, nothing is answered."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, text, timeout=10, count=1):
        """Wait until mosquitto's log contains ``text`` (``count`` times); return
        the log."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.log_text()
            if log.count(text) >= count:
                return log
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in mosquitto's log:\n{log}")
            time.sleep(0.05)

    def client_args(self, user=None, password=None):
        args = ["-h", "127.0.0.1", "-p", str(self.port)]
        if user is not None:
            args += ["-u", user, "-P", password]
        return args


def publish(broker, topic, message=None, *, qos=0, retain=False, file=None, **kw):
    """One message with mosquitto_pub (``file``: the payload from a file)."""
    cmd = [MOSQUITTO_PUB, *broker.client_args(**kw), "-t", topic, "-q", str(qos)]
    if retain:
        cmd.append("-r")
    cmd += ["-f", str(file)] if file is not None else ["-m", message]
    subprocess.run(cmd, check=True, capture_output=True, timeout=30)


class Subscriber:
    """mosquitto_sub in the background until ``count`` messages came. Each
    message is a line ``<retain flag> <qos> <topic> <payload>`` (``lines()``),
    or with ``raw=True`` the one payload byte for byte (``payload()``)."""

    def __init__(self, broker, topic, *, count=1, qos=1, raw=False, **kw):
        self.broker = broker
        self.client_id = f"sub-{free_port()}"
        self.out = broker.dir / f"{self.client_id}.out"
        fmt = ["-F", "%p", "-N"] if raw else ["-F", "%r %q %t %p"]
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen(
                [
                    MOSQUITTO_SUB,
                    *broker.client_args(**kw),
                    "-i",
                    self.client_id,
                    "-t",
                    topic,
                    "-q",
                    str(qos),
                    "-C",
                    str(count),
                    *fmt,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        broker.subscribers.append(self)
        # Subscribed once the broker has answered the SUBSCRIBE.
        broker.wait_log(f"Sending SUBACK to {self.client_id}")

    def wait(self, timeout=30):
        """Wait until ``count`` messages came; fail with what did."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.close()
            raise AssertionError(
                "mosquitto_sub got fewer messages than expected:\n"
                + self.out.read_text(errors="replace")
            )
        return self

    def lines(self):
        return self.out.read_text(errors="replace").splitlines()

    def payload(self):
        return self.out.read_bytes()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
