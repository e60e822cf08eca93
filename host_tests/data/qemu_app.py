# An app run on the QEMU target by `make run` (host_tests/test_qemu.py): it uses the
# deployed package (log, urequests) and usocket on the target's loopback interface.
import log
import urequests
import usocket

logger = log.getLogger("app")
srv = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
srv.setsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 7000))
srv.listen(1)
cli = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
cli.connect(("127.0.0.1", 7000))
conn, _ = srv.accept()
cli.sendall(b"ping")
logger.info(f"server got {conn.recv(4)}")
for s in (cli, conn, srv):
    s.close()
print("app ok", urequests.__file__)
