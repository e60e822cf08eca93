"""How the package meets the tools around it: mip's package.json, and the Makefile's
deploy/run/flash targets, which must fail with one clear line (never a traceback)
when there is no PORT, no image or no board."""

import json
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FROZEN = REPO / "frozen"
BOGUS_PORT = "/dev/nonexistent-usocket-board"


def manifest_modules():
    text = (FROZEN / "manifest.py").read_text()
    mods = set(re.findall(r'^module\("([^"]+)"\)', text, re.MULTILINE))
    # package("umqtt") freezes every .py under frozen/umqtt.
    for pkg in re.findall(r'^package\("([^"]+)"\)', text, re.MULTILINE):
        mods |= {p.relative_to(FROZEN).as_posix() for p in (FROZEN / pkg).rglob("*.py")}
    return mods


def test_package_json_names_every_frozen_module_and_only_existing_files():
    pkg = json.loads((REPO / "package.json").read_text())
    assert set(pkg) <= {"urls", "deps", "version"}, pkg
    assert re.fullmatch(r"\d+\.\d+\.\d+", pkg["version"])
    manifest_version = re.search(
        r'version="([^"]+)"', (FROZEN / "manifest.py").read_text()
    )
    assert pkg["version"] == manifest_version.group(1)
    sources = {}
    for dest, src in pkg["urls"]:
        assert "\\" not in src, src  # mip wants forward slashes, even on Windows
        assert (REPO / src).is_file(), src
        assert dest == Path(src).relative_to("frozen").as_posix(), (dest, src)
        sources[dest] = src
    frozen_py = {p.relative_to(FROZEN).as_posix() for p in FROZEN.rglob("*.py")}
    frozen_py -= {"manifest.py"}
    assert set(sources) == frozen_py
    assert set(sources) == manifest_modules()


def make(*args, timeout=300):
    proc = subprocess.run(
        ["make", "-s", "-C", str(REPO), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc


def assert_clear_failure(proc, message):
    """Non-zero exit, the message on stderr, and nothing like a traceback."""
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "Traceback" not in out, out
    # make's own "*** Error" line and `make deps`' progress lines aside.
    ours = [
        line
        for line in proc.stderr.splitlines()
        if not line.startswith(("make", "deps:"))
    ]
    assert len(ours) == 1, proc.stderr
    assert message in ours[0], proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["deploy"], "deploy: PORT is not set"),
        (["deploy", f"PORT={BOGUS_PORT}"], f"deploy: no board at {BOGUS_PORT}"),
        (["run", "SCRIPT=app.py"], "run: PORT is not set"),
        (["run", f"PORT={BOGUS_PORT}", "SCRIPT=app.py"], "run: no board at"),
        (["run", "PORT=/dev/null"], "run: SCRIPT is not set"),
        (["flash-esp32"], "flash-esp32: PORT is not set"),
        (["flash-esp32", f"PORT={BOGUS_PORT}"], "flash-esp32: no board at"),
        (
            ["flash-esp32", "PORT=/dev/null", "ESP32_IMAGE=/nonexistent/firmware.bin"],
            "flash-esp32: no ESP32 image at /nonexistent/firmware.bin",
        ),
        (
            ["flash-rp2", "RP2_UF2=/nonexistent/firmware.uf2"],
            "flash-rp2: no RP2 image at /nonexistent/firmware.uf2",
        ),
    ],
)
def test_make_target_without_board_fails_clearly(args, message):
    assert_clear_failure(make(*args), message)


def test_flash_esp32_with_an_image_but_no_board_fails_clearly(tmp_path):
    image = tmp_path / "firmware.bin"
    image.write_bytes(b"\xe9" + bytes(255))
    proc = make("flash-esp32", f"PORT={BOGUS_PORT}", f"ESP32_IMAGE={image}")
    assert_clear_failure(proc, f"flash-esp32: no board at {BOGUS_PORT}")


def test_flash_rp2_with_an_image_but_no_board_fails_clearly(tmp_path):
    uf2 = tmp_path / "firmware.uf2"
    uf2.write_bytes(bytes(512))
    missing = tmp_path / "RPI-RP2"
    proc = make("flash-rp2", f"RP2_UF2={uf2}", f"RP2_MOUNT={missing}")
    assert_clear_failure(proc, f"flash-rp2: {missing} is not a mounted RPI-RP2 drive")
    proc = make("flash-rp2", f"RP2_UF2={uf2}", "RP2_MOUNT=", "PICOTOOL=")
    assert_clear_failure(proc, "flash-rp2: no board: hold BOOTSEL")


def test_mpremote_and_esptool_failures_are_one_line_not_tracebacks(tmp_path):
    # /dev/null exists but is no serial board: the tools themselves must fail and
    # the target must say so plainly.
    script = tmp_path / "app.py"
    script.write_text("print('hi')\n")
    proc = make("run", "PORT=/dev/null", f"SCRIPT={script}")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "mpremote: failed to access /dev/null" in proc.stderr
    image = tmp_path / "firmware.bin"
    image.write_bytes(bytes(256))
    proc = make("flash-esp32", "PORT=/dev/null", f"ESP32_IMAGE={image}")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "flash-esp32: esptool could not flash the board at /dev/null" in proc.stderr
