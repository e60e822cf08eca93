"""`make` runs this: the firmware fetches a page from a local HTTP server through
lwIP and libslirp, so a fresh build shows the whole path working in one command."""

import argparse
import http.server
import os
import subprocess
import sys
import tempfile
import threading

PAGE = b"hello from the PC, served on 127.0.0.1 and fetched through lwIP\n"

SCRIPT = """
import sys, socket
port = int(sys.argv[1])
addr = socket.getaddrinfo("10.0.2.2", port)[0][-1]
s = socket.socket()
s.settimeout(10)
s.connect(addr)
s.sendall(b"GET /demo HTTP/1.0\\r\\nHost: 10.0.2.2\\r\\n\\r\\n")
reply = s.read()
s.close()
head, _, body = reply.partition(b"\\r\\n\\r\\n")
print("firmware:", sys.implementation._machine)
print("status:  ", head.split(b"\\r\\n")[0].decode())
print("body:    ", body.decode().strip())
"""


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, fmt, *args):
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--firmware", required=True)
    args = ap.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(SCRIPT)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("USOCKET_")}
        proc = subprocess.run(
            [args.firmware, f.name, str(server.server_address[1])],
            env=env,
            timeout=30,
            capture_output=True,
            check=False,
            text=True,
        )
    finally:
        os.unlink(f.name)
        server.shutdown()
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit("demo failed")


if __name__ == "__main__":
    main()
