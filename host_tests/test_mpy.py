"""`make mpy`: the frozen Python compiled to .mpy files a board can load from /lib,
by the mpy-cross that matches the firmware."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_make_mpy_builds_loadable_modules(mp):
    subprocess.run(
        ["make", "-s", "-C", str(REPO), "mpy"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    mpy_dir = REPO / "build" / "mpy"
    names = sorted(p.stem for p in mpy_dir.glob("*.mpy"))
    assert {"urequests", "checkNet", "log", "dataCall", "request", "ssl"} <= set(names)
    packages = sorted(p.parent.name for p in mpy_dir.glob("*/__init__.mpy"))
    assert packages == ["umqtt"]
    out = (
        mp(
            f"""
        import sys
        # Import from the .mpy files, not from the frozen copies.
        sys.path[:] = ["{mpy_dir}"]
        for name in {names + packages!r}:
            m = __import__(name)
            print(name, m.__file__)
        """
        )
        .check()
        .out
    )
    for name in names:
        assert f"{name} {mpy_dir}/{name}.mpy" in out
    for name in packages:
        assert f"{name} {mpy_dir}/{name}/__init__.mpy" in out
