"""The firmware half of a test as a real MicroPython script (host_tests/fw/), and
what a board needs beside it to run it.

A script under host_tests/fw/ imports its helpers from ``fwtest`` (res, err,
timed, param, ...), and from helper modules of its own directory. Its parameters, such as the port of a peer the test started on
the PC, are read from ``fwparams.py``, written beside the script by whoever runs
it: the test harness (host_tests/mprunner.py, on the host firmware and on the QEMU
target), ``make run-qemu SCRIPT=... PARAMS="port=8000"`` or ``make run PORT=...
SCRIPT=... PARAMS=...`` on a board (tools/board_run.py). So the same file runs
unchanged on all three.
"""

import ast
import re
from pathlib import Path

FW_DIR = Path(__file__).resolve().parent.parent / "host_tests" / "fw"
# The modules a script imports: `import x` or `from x import ...`, at any indent.
_IMPORTS = re.compile(r"^\s*(?:from\s+(\w+)\s+import|import\s+(\w+))", re.MULTILINE)


def _imported(source):
    return {a or b for a, b in _IMPORTS.findall(source)}


def companions(source, params=None, script_dir=None):
    """{file name: text} to put beside a script: the helper modules of its own
    directory that it imports (e.g. fw/tls/tlstest.py), and fwtest.py with
    fwparams.py when it, or one of those helpers, imports fwtest."""
    files = {}
    names = _imported(source)
    if script_dir is not None:
        for name in sorted(names):
            path = Path(script_dir) / f"{name}.py"
            if name != "fwtest" and path.is_file():
                files[path.name] = path.read_text()
                names |= _imported(files[path.name])
    if "fwtest" in names:
        files["fwtest.py"] = (FW_DIR / "fwtest.py").read_text()
        files["fwparams.py"] = f"P = {dict(params or {})!r}\n"
    return files


def load(script, params_text=""):
    """(source, companions) of the script at Path ``script`` with the parameters
    of a PARAMS string, for the tools that run one (qemu_run.py, board_run.py);
    raises OSError or ValueError."""
    source = script.read_text()
    return source, companions(source, parse_params(params_text), script.parent)


def parse_params(text):
    """'port=8000 peer=10.0.2.2 mode=timeout' -> {'port': 8000, 'peer': '10.0.2.2',
    ...}: a value that reads as a Python literal is that literal, else a string."""
    params = {}
    for item in (text or "").split():
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise ValueError(f"PARAMS: expected name=value, got {item!r}")
        try:
            params[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[name] = value
    return params
