# asyncio's open_connection(ssl=True) makes a bare SSLContext and a deferred
# handshake: with the test CA in certs/ it is verified, with none it fails.
try:
    import tls  # noqa: F401
except ImportError:
    print("SKIP")
    raise SystemExit

import asyncio

from fwtest import PEER, param, res

port = param("port")


async def get():
    r, w = await asyncio.open_connection(PEER, port, ssl=True)
    w.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    await w.drain()
    line = await r.readline()
    w.close()
    return line.decode().strip()


try:
    res("get", asyncio.run(get()))
except Exception as e:  # noqa: BLE001  (the exception is the result)
    res("get", [type(e).__name__, str(e)])
