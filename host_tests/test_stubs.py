"""The type stubs in stubs/: mypy accepts real apps with them, rejects wrong calls,
they install as PEP 561 stub packages, and they name exactly what the firmware has."""

import ast
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STUBS = REPO / "stubs"
DATA = Path(__file__).resolve().parent / "data"

# Module -> whether the stub must name exactly what dir() shows (True), or only
# names that exist (False: utime is MicroPython's own module, stubbed in part).
STUBBED = {
    "usocket": True,
    "socket": True,
    "urequests": True,
    "requests": True,
    "checkNet": True,
    "log": True,
    "dataCall": True,
    "request": True,
    "ntptime": True,
    "umqtt": True,
    "utime": False,
}


def run_mypy(tmp_path, *files):
    """mypy on ``files`` with only stubs/ (and mypy's typeshed) to resolve imports."""
    env = dict(os.environ, MYPYPATH=str(STUBS))
    cmd = [
        sys.executable,
        "-m",
        "mypy",
        "--python-version",
        "3.11",
        "--no-site-packages",
        "--strict",
        "--cache-dir",
        str(tmp_path / "mypy_cache"),
        *(str(f) for f in files),
    ]
    proc = subprocess.run(
        cmd,
        check=False,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_stubs_typecheck_quecpython_example_and_urequests_app(tmp_path):
    # quec_example.py is seed 001's example, copied from the reference document.
    rc, out = run_mypy(tmp_path, DATA / "quec_example.py", DATA / "urequests_app.py")
    assert rc == 0, out
    assert "Success: no issues found in 2 source files" in out


def test_stubs_themselves_typecheck(tmp_path):
    rc, out = run_mypy(tmp_path, *sorted(STUBS.glob("*/__init__.pyi")))
    assert rc == 0, out


WRONG_CALLS = {
    # line -> what mypy must say about it
    'usocket.socket().connect("host")': 'Argument 1 to "connect" of "socket"',
    'urequests.get("http://h/", timeout="x")': 'Argument "timeout" to "get"',
    'urequests.post("http://h/", stream="yes")': 'Argument "stream" to "post"',
    'request.get("h", sizeof="big")': 'Argument "sizeof" to "get"',
    "log.getLogger(1)": 'Argument 1 to "getLogger"',
    'checkNet.CheckNetwork("p")': 'Missing positional argument "project_version"',
    "usocket.socket().recv()": 'Too few arguments for "recv"',
    "usocket.socket().sendall(1)": 'Argument 1 to "sendall"',
    "urequests.get(1)": 'Argument 1 to "get"',
    'urequests.Session().get("u", nosuch=1)': 'Unexpected keyword argument "nosuch"',
    'umqtt.MQTTClient("id")': 'Missing positional argument "server"',
    'umqtt.MQTTClient("id", "h").publish(b"t", 1)': 'Argument 2 to "publish"',
}


def test_stubs_catch_wrong_calls(tmp_path):
    header = ["import checkNet", "import log", "import request", "import urequests"]
    header += ["import umqtt", "import usocket"]
    lines = header + list(WRONG_CALLS)
    app = tmp_path / "wrong.py"
    app.write_text("\n".join(lines) + "\n")
    rc, out = run_mypy(tmp_path, app)
    assert rc == 1, out
    for lineno, call in enumerate(lines, 1):
        reported = [line for line in out.splitlines() if f"wrong.py:{lineno}:" in line]
        if call in WRONG_CALLS:
            assert any(WRONG_CALLS[call] in r for r in reported), (call, out)
        else:
            assert not reported, out


def test_stubs_install_as_stub_only_packages(tmp_path):
    """`pip install ./stubs` gives <module>-stubs packages (PEP 561); built here as
    a wheel with the venv's setuptools, offline."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(STUBS),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = tmp_path.glob("usocket_stubs-0.1.0-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in STUBBED:
        assert f"{module}-stubs/__init__.pyi" in names, sorted(names)


# --- stubs vs firmware -----------------------------------------------------------------


def _public(names):
    return {n for n in names if not n.startswith("_")}


def stub_tree(module):
    return ast.parse((STUBS / module / "__init__.pyi").read_text())


def stub_names(module):
    """Public names a stub declares, following `from x import *` re-exports."""
    names = set()
    for node in stub_tree(module).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    names |= stub_names(node.module)
                elif alias.asname == alias.name:  # explicit re-export
                    names.add(alias.name)
    return _public(names)


def stub_class_names(module, cls):
    """Public methods and attributes a stub class declares."""
    (node,) = [
        n
        for n in stub_tree(module).body
        if isinstance(n, ast.ClassDef) and n.name == cls
    ]
    names = set()
    for item in node.body:
        if isinstance(item, ast.FunctionDef):
            names.add(item.name)
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            names.add(item.target.id)
    return _public(names)


def callable_in_stub(cls, name):
    """Whether the stub class ``cls`` ("module.Class") declares ``name`` as a method."""
    module, _, cname = cls.partition(".")
    (node,) = [
        n
        for n in stub_tree(module).body
        if isinstance(n, ast.ClassDef) and n.name == cname
    ]
    return any(isinstance(i, ast.FunctionDef) and i.name == name for i in node.body)


def test_stub_names_match_firmware_dir(mp):
    # Modules a frozen module imports show up in its dir(); they are not its API.
    res = mp(
        f"""
        import sys
        for name in {sorted(STUBBED)!r}:
            m = __import__(name)
            public = [n for n in dir(m) if not n.startswith("_")
                      and type(getattr(m, n)) is not type(sys)]
            print(name, repr(sorted(public)))
        import usocket, umqtt
        for cls in ("usocket.socket", "umqtt.MQTTClient"):
            mod, _, name = cls.partition(".")
            c = getattr(__import__(mod), name)
            print(cls, repr(sorted(n for n in dir(c) if not n.startswith("_"))))
        """
    ).check()
    seen = {}
    for line in res.lines:
        name, _, names = line.partition(" ")
        seen[name] = set(ast.literal_eval(names))
    assert set(seen) == set(STUBBED) | {"usocket.socket", "umqtt.MQTTClient"}, res.out

    problems = []
    for module, exact in STUBBED.items():
        stub = stub_names(module)
        missing_in_stub = seen[module] - stub if exact else set()
        missing_in_firmware = stub - seen[module]
        if missing_in_stub or missing_in_firmware:
            problems.append(
                f"{module}: not in stub {sorted(missing_in_stub)}, "
                f"not in firmware {sorted(missing_in_firmware)}"
            )
    for cls in ("usocket.socket", "umqtt.MQTTClient"):
        stub = stub_class_names(*cls.split("."))
        # Instance attributes are in the stub, not in the class's dir().
        extra = stub - seen[cls]
        if cls == "umqtt.MQTTClient":
            extra = {n for n in extra if n.isupper() or callable_in_stub(cls, n)}
        if seen[cls] - stub or extra:
            problems.append(
                f"{cls}: not in stub {sorted(seen[cls] - stub)}, "
                f"not in firmware {sorted(extra)}"
            )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module", ["usocket", "urequests", "log"])
def test_stub_module_is_not_empty(module):
    # Guards the name test against a stub that fails to parse into anything.
    assert len(stub_names(module)) > 5, json.dumps(sorted(stub_names(module)))
