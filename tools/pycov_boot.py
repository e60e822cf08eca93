# MicroPython side of `make coverage` (tools/coverage_report.py): runs a test script on the
# coverage firmware (boards/unix-coverage) with sys.settrace recording which lines of
# the frozen modules run. The firmware is started as
#   micropython [options] pycov_boot.py SCRIPT [ARGS...]
# by the wrapper that tools/coverage_report.py writes; SCRIPT then runs as it would on its
# own: as __main__, with sys.argv = [SCRIPT, ARGS...] and SCRIPT's directory first
# on sys.path. Each line is appended to $USOCKET_PYCOV_FILE the first time it runs,
# so a firmware that a test kills has still recorded what it ran.
import os
import sys

_script = sys.argv[1]
sys.argv.pop(0)
sys.path[0] = _script.rsplit("/", 1)[0] if "/" in _script else ""
# The frozen modules' file names, as the frozen bytecode records them.
_frozen = set(os.getenv("USOCKET_PYCOV_MODULES").split(","))
# Open for the life of the process: the trace writes to it until the firmware exits.
_out = open(os.getenv("USOCKET_PYCOV_FILE"), "a")  # noqa: SIM115
_seen = set()


def _line(frame, event, arg):
    if event == "line":
        key = (frame.f_code.co_filename, frame.f_lineno)
        if key not in _seen:
            _seen.add(key)
            _out.write("{}:{}\n".format(*key))
            _out.flush()
    return _line


def _call(frame, event, arg):
    # Only frames of the frozen modules are traced line by line.
    if frame.f_code.co_filename in _frozen:
        return _line(frame, event, arg)
    return None


with open(_script) as f:
    _code = compile(f.read(), _script, "exec")
sys.settrace(_call)
# Running the test's script is this file's purpose.
exec(_code, {"__name__": "__main__", "__file__": _script})  # noqa: S102
