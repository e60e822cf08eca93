"""`make run PORT=/dev/ttyACM0 SCRIPT=app.py [PARAMS="port=8000 peer=192.168.1.10"]`:
runs a script on a board with mpremote. A test script from host_tests/fw gets its
companions first (fwtest.py and fwparams.py with PARAMS, tools/fwfiles.py), copied
to the board's working directory, so the MCU suite's firmware halves run on a real
board unchanged. The output is the script's; the exit status is mpremote's.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fwfiles


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mpremote", default="mpremote")
    parser.add_argument("--params", default="")
    parser.add_argument("port")
    parser.add_argument("script", type=Path)
    args = parser.parse_args()
    try:
        _, files = fwfiles.load(args.script, args.params)
    except (OSError, ValueError) as e:
        sys.exit(f"run: {e}")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [args.mpremote, "connect", args.port]
        for name, text in files.items():
            (Path(tmp) / name).write_text(text)
            cmd += ["fs", "cp", str(Path(tmp) / name), f":{name}", "+"]
        cmd += ["run", str(args.script)]
        sys.exit(subprocess.call(cmd))


if __name__ == "__main__":
    main()
