#!/usr/bin/env python3
"""Build the CA bundle frozen into the firmware (``_cabundle.py``).

    tools/cabundle.py --set common --out build/cabundle-common/_cabundle.py

Reads the root certificates of Debian's ``ca-certificates`` package (Mozilla's
list, one PEM file per CA in /usr/share/ca-certificates/mozilla), keeps the
chosen set, drops CAs that have expired, and writes a module with one bytes
constant, ``BUNDLE``. Frozen, that constant stays in flash: the firmware
parses a CA from it only when a server's chain needs that CA (frozen/ssl.py).

Format (big-endian): a 2-byte count, then per CA the DER length, the offset and
length of the subject Name inside the DER (2 bytes each), then the DER. The
first CA is the one a context starts with, so it is the most used one.

Sets: ``full`` (every CA of the package), ``common`` (the CAs behind most
public sites, COMMON below) and ``none`` (an empty bundle: only ``certs/`` on
the device is trusted). The file is rewritten only when its content changes,
so an unchanged bundle does not rebuild the firmware.
"""

import argparse
import base64
import datetime
import pathlib
import struct
import subprocess
import sys

SRC = "/usr/share/ca-certificates/mozilla"

# The "common" set: the roots that the big public CAs issue from (Let's
# Encrypt, DigiCert, Google Trust Services, Amazon, Sectigo/Comodo, GoDaddy and
# Starfield, GlobalSign, Microsoft, Entrust, IdenTrust, SSL.com), by file name
# in the package. The first one is what a TLS context starts with.
COMMON = (
    "ISRG_Root_X1",
    "ISRG_Root_X2",
    "DigiCert_Global_Root_G2",
    "DigiCert_Global_Root_CA",
    "DigiCert_Global_Root_G3",
    "DigiCert_High_Assurance_EV_Root_CA",
    "DigiCert_Trusted_Root_G4",
    "DigiCert_TLS_RSA4096_Root_G5",
    "DigiCert_TLS_ECC_P384_Root_G5",
    "GTS_Root_R1",
    "GTS_Root_R2",
    "GTS_Root_R3",
    "GTS_Root_R4",
    "GlobalSign_Root_CA",
    "GlobalSign_Root_CA_-_R3",
    "GlobalSign_ECC_Root_CA_-_R4",
    "GlobalSign_Root_R46",
    "GlobalSign_Root_E46",
    "Amazon_Root_CA_1",
    "Amazon_Root_CA_2",
    "Amazon_Root_CA_3",
    "Amazon_Root_CA_4",
    "Starfield_Services_Root_Certificate_Authority_-_G2",
    "Starfield_Root_Certificate_Authority_-_G2",
    "Go_Daddy_Root_Certificate_Authority_-_G2",
    "USERTrust_RSA_Certification_Authority",
    "USERTrust_ECC_Certification_Authority",
    "Comodo_AAA_Services_root",
    "Sectigo_Public_Server_Authentication_Root_R46",
    "Sectigo_Public_Server_Authentication_Root_E46",
    "Microsoft_RSA_Root_Certificate_Authority_2017",
    "Microsoft_ECC_Root_Certificate_Authority_2017",
    "Entrust_Root_Certification_Authority_-_G2",
    "IdenTrust_Commercial_Root_CA_1",
    "SSL.com_Root_Certification_Authority_RSA",
    "SSL.com_Root_Certification_Authority_ECC",
)


def tlv(b, i):
    """(tag, start of content, end of element) of the DER element at b[i]."""
    n = b[i + 1]
    j = i + 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[j : j + k], "big")
        j += k
    return b[i], j, j + n


def tbs_fields(der):
    """Offsets (start, end) of serial, sigalg, issuer, validity, subject."""
    _, i, _ = tlv(der, 0)
    _, i, end = tlv(der, i)
    fields = []
    while i < end and len(fields) < 6:
        tag, _, nxt = tlv(der, i)
        if tag != 0xA0:  # skip the optional [0] version
            fields.append((i, nxt))
        i = nxt
    return fields[:5]


def not_after(der):
    start, _ = tbs_fields(der)[3]
    _, i, _ = tlv(der, start)
    _, i, j = tlv(der, i)  # notBefore
    tag, i, j = tlv(der, j)  # notAfter
    text = der[i:j].decode()
    fmt = "%y%m%d%H%M%SZ" if tag == 0x17 else "%Y%m%d%H%M%SZ"
    return datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.UTC)


def pem_to_der(text):
    body = text.split("-----BEGIN CERTIFICATE-----", 1)[1]
    body = body.split("-----END CERTIFICATE-----", 1)[0]
    return base64.b64decode("".join(body.split()))


def package_version():
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "ca-certificates"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def build(names, src, now):
    out = bytearray(struct.pack(">H", 0))
    kept = []
    skipped = []
    for name in names:
        der = pem_to_der((src / f"{name}.crt").read_text(encoding="utf-8"))
        if not_after(der) <= now:
            skipped.append(name)
            continue
        s, e = tbs_fields(der)[4]
        out += struct.pack(">HHH", len(der), s, e - s) + der
        kept.append(name)
    out[0:2] = struct.pack(">H", len(kept))
    return bytes(out), kept, skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", choices=("full", "common", "none"), default="common")
    ap.add_argument("--src", default=SRC, help="directory of the package's .crt files")
    ap.add_argument("--out", required=True, help="the _cabundle.py to write")
    args = ap.parse_args()
    src = pathlib.Path(args.src)
    if args.set == "none":
        names = []
    elif args.set == "common":
        names = list(COMMON)
    else:
        available = sorted(p.stem for p in src.glob("*.crt"))
        names = [n for n in COMMON if n in available]
        names += [n for n in available if n not in names]
    missing = [n for n in names if not (src / f"{n}.crt").is_file()]
    if missing:
        sys.exit(f"cabundle: not in {src}: {', '.join(missing)}")
    now = datetime.datetime.now(datetime.UTC)
    data, kept, skipped = build(names, src, now)
    version = package_version() if names else "-"
    text = (
        "# Generated by tools/cabundle.py: do not edit.\n"
        f"# Debian ca-certificates {version}, set {args.set!r}: {len(kept)} CAs.\n"
        f"SET = {args.set!r}\n"
        f"SOURCE = {('ca-certificates ' + version)!r}\n"
        f"BUNDLE = {data!r}\n"
    )
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists() or out.read_text() != text:
        out.write_text(text)
    note = (
        f", {len(skipped)} expired left out ({', '.join(skipped)})" if skipped else ""
    )
    print(
        f"CA bundle {args.set!r}: {len(kept)} CAs from ca-certificates {version},"
        f" {len(data)} bytes of flash{note}"
    )


if __name__ == "__main__":
    main()
