"""TLS material (a throw-away PKI made with openssl) and the HTTPS server."""

import os
import random
import ssl
import subprocess

from .base import FIRMWARE_HOST
from .web import HttpServer

# --------------------------------------------------------------------------------------
# TLS material


class Certs:
    """A throw-away PKI made with the ``openssl`` CLI (no Python crypto package is
    needed): a CA, a server certificate signed by it for IP 10.0.2.2 and DNS
    test.example, and a second, unrelated CA with the same subject name, so a
    client trusting the wrong CA fails on the signature, not just a name lookup.

    RSA-2048 and SHA-256 because MicroPython's mbedTLS config (TLS 1.2,
    ECDHE-RSA + AES-GCM) and CPython's default server ciphers both accept them.
    """

    CA_SUBJECT = "/CN=usocket test CA"

    def __init__(self, directory):
        self.dir = os.fspath(directory)
        os.makedirs(self.dir, exist_ok=True)
        self.ca_pem_path = self._path("ca.pem")
        self.ca_key_path = self._path("ca.key")
        self.wrong_ca_pem_path = self._path("wrong_ca.pem")
        self.cert_pem_path = self._path("server.pem")
        self.key_pem_path = self._path("server.key")
        self._make_ca(self.ca_pem_path, self.ca_key_path)
        self._make_ca(self.wrong_ca_pem_path, self._path("wrong_ca.key"))
        self._make_server()
        self.ca_pem = self._read(self.ca_pem_path)
        self.ca_der = ssl.PEM_cert_to_DER_cert(self.ca_pem.decode())
        self.wrong_ca_pem = self._read(self.wrong_ca_pem_path)
        self.wrong_ca_der = ssl.PEM_cert_to_DER_cert(self.wrong_ca_pem.decode())
        self.cert_pem = self._read(self.cert_pem_path)
        self.cert_der = ssl.PEM_cert_to_DER_cert(self.cert_pem.decode())
        self.key_pem = self._read(self.key_pem_path)
        # The key in DER too: mbedTLS-based ssl.wrap_socket(key=...) accepts both.
        self.key_der = self._openssl(
            "pkey", "-in", self.key_pem_path, "-outform", "DER"
        )

    def _path(self, name):
        return os.path.join(self.dir, name)

    @staticmethod
    def _read(path):
        with open(path, "rb") as f:
            return f.read()

    @staticmethod
    def _openssl(*args):
        proc = subprocess.run(
            ["openssl", *args], check=False, capture_output=True, timeout=60
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"openssl {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}"
            )
        return proc.stdout

    def _make_ca(self, pem, key):
        self._openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-sha256", "-nodes", "-days", "3650",
            "-keyout", key, "-out", pem, "-subj", self.CA_SUBJECT,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )  # fmt: skip

    def _make_server(self):
        csr = self._path("server.csr")
        ext = self._path("server.ext")
        with open(ext, "w") as f:
            f.write(
                "basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                f"subjectAltName=DNS:test.example,IP:{FIRMWARE_HOST}\n"
            )
        self._openssl(
            "req", "-new", "-newkey", "rsa:2048", "-sha256", "-nodes",
            "-keyout", self.key_pem_path, "-out", csr, "-subj", "/CN=test.example",
        )  # fmt: skip
        self._openssl(
            "x509", "-req", "-in", csr, "-CA", self.ca_pem_path, "-CAkey", self.ca_key_path,
            "-set_serial", str(random.SystemRandom().getrandbits(63)), "-days", "825",
            "-sha256", "-extfile", ext, "-out", self.cert_pem_path,
        )  # fmt: skip

    def server_context(self):
        """An ssl.SSLContext serving the server certificate."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_pem_path, self.key_pem_path)
        return ctx

    def client_context(self):
        """A CPython client context that trusts only the test CA."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cafile=self.ca_pem_path)
        return ctx


class HttpsServer(HttpServer):
    """HttpServer behind TLS with the Certs PKI. ``url()`` gives
    ``https://10.0.2.2:PORT/...``; the CA is exposed as ``ca_pem_path``, ``ca_pem``,
    ``ca_der``, and an unrelated CA as ``wrong_ca_der``. ``errors`` also collects
    failed handshakes (e.g. the firmware rejecting the certificate)."""

    def __init__(self, certs, *, host=FIRMWARE_HOST):
        self.certs = certs
        self.ca_pem_path = certs.ca_pem_path
        self.ca_pem = certs.ca_pem
        self.ca_der = certs.ca_der
        self.wrong_ca_der = certs.wrong_ca_der
        self.wrong_ca_pem = certs.wrong_ca_pem
        super().__init__(ssl_context=certs.server_context(), host=host)
