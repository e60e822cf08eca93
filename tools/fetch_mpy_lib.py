#!/usr/bin/env python3
"""Fetch MicroPython libraries published on PyPI into a directory the firmware can
import from, unmodified: ``fetch_mpy_lib.py DEST PIN...`` (PIN: name==version, as
MPY_LIB_SDISTS in versions.mk lists them).

The libraries' .py files land in DEST/lib with their package layout
(DEST/lib/umqtt/simple.py, ...); point MICROPYPATH at DEST/lib. A second run with
the same pins does nothing.

Old MicroPython sdists have no setup.py, so ``pip download`` fetches and unpacks
them and then gives up preparing metadata. That is all we need: pip runs with
--no-clean and its temporary directory pointed at DEST, and the unpacked source
is taken from there. Everything goes through pip and its configured index.
"""

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path


def _unpacked_roots(tmp, dl):
    """Source trees pip left: unpacked sdists in its temp dir, or archives it
    saved (when it could build the metadata)."""
    roots = [p for p in Path(tmp).glob("pip-download-*/*") if p.is_dir()]
    roots += [p for p in Path(tmp).glob("pip-req-build-*") if p.is_dir()]
    for archive in Path(dl).iterdir():
        out = Path(tmp) / ("unpacked-" + archive.name)
        if archive.name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(archive) as tar:
                tar.extractall(out, filter="data")
        elif archive.suffix == ".zip":
            with zipfile.ZipFile(archive) as z:
                z.extractall(out)
        else:
            continue
        roots += [p for p in out.iterdir() if p.is_dir()]
    return roots


def _modules(root):
    """The library's .py files (relative paths), not its packaging."""
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        # Symlinks point into the library's source repository (umqtt.robust's
        # umqtt/simple.py), which an sdist does not carry.
        if (
            path.is_symlink()
            or rel.name == "setup.py"
            or any(
                part.endswith(".egg-info") or part.startswith(".") for part in rel.parts
            )
        ):
            continue
        yield rel, path


def fetch(dest, pin):
    dest = Path(dest)
    stamp = dest / ".stamps" / pin
    if stamp.exists():
        return
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        dl = Path(tmp) / "dl"
        dl.mkdir()
        env = dict(os.environ, TMPDIR=tmp)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-clean",
                "--no-build-isolation",
                "--disable-pip-version-check",
                "-d",
                str(dl),
                pin,
            ],
            env=env,
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
        files = []
        for root in _unpacked_roots(tmp, dl):
            files += list(_modules(root))
        if not files:
            raise SystemExit(
                f"fetch_mpy_lib: pip fetched no Python files for {pin}:\n"
                f"{proc.stdout}{proc.stderr}"
            )
        for rel, path in files:
            target = dest / "lib" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text("\n".join(str(rel) for rel, _ in files) + "\n")


def main(argv):
    if len(argv) < 2:
        raise SystemExit("usage: fetch_mpy_lib.py DEST NAME==VERSION...")
    dest = Path(argv[0])
    dest.mkdir(parents=True, exist_ok=True)
    for pin in argv[1:]:
        fetch(dest, pin)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
