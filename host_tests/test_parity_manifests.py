"""The ESP32 and RP2 board manifests freeze everything the port's stock manifest
freezes, plus the usocket package (issue 16 item 5). Checked with MicroPython's own
manifest loader (tools/manifestfile.py), against the stock manifests of the ports
in the MicroPython tree, over a stand-in micropython-lib (the real one is in no
registry): each package a one-module manifest, the networking bundle with the
members micropython-lib's bundle-networking 0.2.0 requires."""

import importlib.util
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MPY_DIR = REPO / "deps" / "micropython"

# micropython-lib's bundle-networking 0.2.0.
BUNDLE_NETWORKING = ("mip", "ntptime", "ssl", "requests", "webrepl", "urequests")

BOARDS = [
    # (our board, the port, the stock manifest it stands in for)
    ("ESP32_GENERIC", "esp32", "ports/esp32/boards/manifest.py"),
    ("RPI_PICO", "rp2", "ports/rp2/boards/manifest.py"),
    ("RPI_PICO_W", "rp2", "ports/rp2/boards/RPI_PICO_W/manifest.py"),
]


def _loader():
    spec = importlib.util.spec_from_file_location(
        "manifestfile", MPY_DIR / "tools" / "manifestfile.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fake_lib(root, names):
    """A micropython-lib layout: micropython/<name>/manifest.py freezing
    <name>.py (dots in a name become a package, as umqtt.simple is)."""
    for name in names:
        pkg = root / "micropython" / name
        pkg.mkdir(parents=True)
        if name == "bundle-networking":
            requires = "".join(f'require("{n}")\n' for n in BUNDLE_NETWORKING)
            (pkg / "manifest.py").write_text(requires)
            continue
        target = name.replace(".", "/") + ".py"
        (pkg / target).parent.mkdir(parents=True, exist_ok=True)
        (pkg / target).write_text(f"NAME = {name!r}\n")
        (pkg / "manifest.py").write_text(f'module("{target}", opt=3)\n')
    return root


STOCK_NAMES = sorted(
    {
        "aioble",
        "aioespnow",
        "bundle-networking",
        "dht",
        "ds18x20",
        "neopixel",
        "onewire",
        "umqtt.robust",
        "umqtt.simple",
        "upysh",
        *BUNDLE_NETWORKING,
    }
)


def _frozen(manifest, port, board_dir, lib):
    mf = _loader()
    m = mf.ManifestFile(
        mf.MODE_FREEZE,
        {
            "MPY_DIR": str(MPY_DIR),
            "BOARD_DIR": str(board_dir),
            "PORT_DIR": str(MPY_DIR / "ports" / port),
            "MPY_LIB_DIR": str(lib),
        },
    )
    cwd = os.getcwd()
    try:
        m.execute(str(manifest))
    finally:
        os.chdir(cwd)
    return {f.target_path: f.full_path for f in m.files()}


@pytest.mark.parametrize(("board", "port", "stock"), BOARDS)
def test_board_manifest_freezes_the_stock_set_and_ours(tmp_path, board, port, stock):
    lib = _fake_lib(tmp_path / "micropython-lib", STOCK_NAMES)
    ours = _frozen(
        REPO / "boards" / board / "manifest.py", port, REPO / "boards" / board, lib
    )
    theirs = _frozen(MPY_DIR / stock, port, (MPY_DIR / stock).parent, lib)
    missing = sorted(set(theirs) - set(ours))
    assert missing == [], f"{board} drops what stock {stock} freezes: {missing}"
    # Where both freeze a name (requests, urequests, ssl), ours is the one frozen.
    for target in ("requests.py", "urequests.py", "ssl.py"):
        if target in theirs:
            assert ours[target] == str(REPO / "frozen" / target), target
    for target in ("urequests.py", "checkNet.py", "request.py", "asyncio/core.py"):
        assert target in ours, target


@pytest.mark.parametrize(("board", "port", "stock"), BOARDS)
def test_board_manifest_builds_without_micropython_lib(
    tmp_path, capfd, board, port, stock
):
    """The Debian MicroPython tree has an empty lib/micropython-lib: the stock
    packages are left out with a note on stderr, our package is frozen."""
    empty = tmp_path / "empty-lib"
    empty.mkdir()
    ours = _frozen(
        REPO / "boards" / board / "manifest.py", port, REPO / "boards" / board, empty
    )
    assert "urequests.py" in ours and "asyncio/core.py" in ours
    assert "ntptime.py" not in ours or ours["ntptime.py"].startswith(
        str(REPO / "frozen")
    )
    assert "MPY_LIB_DIR has no micropython-lib package for" in capfd.readouterr().err
