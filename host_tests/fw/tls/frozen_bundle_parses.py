# What the firmware has frozen as its CA bundle: the set's name, the package it
# came from, and each CA's SHA-256 (the test compares them with Debian's files).
# Each CA must parse in mbedTLS, and be found by its subject Name.
try:
    import tls
except ImportError:
    print("SKIP")
    raise SystemExit

import binascii
import hashlib
import ssl

from fwtest import res

try:
    import _cabundle
except ImportError:
    res("set", None)
    raise SystemExit

ders = []
found = True
for start, n, name_start, name_len in ssl._bundle_records():
    der = ssl._BUNDLE[start : start + n]
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(der)  # raises if mbedTLS cannot parse it
    ders.append(binascii.hexlify(hashlib.sha256(der).digest()).decode())
    name = ssl._BUNDLE[name_start : name_start + name_len]
    found = found and ssl._bundle_find(name) == der
res("set", _cabundle.SET)
res("source", _cabundle.SOURCE)
res("found", found)
res("ders", ders)
