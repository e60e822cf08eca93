"""Run MicroPython's tests/run-multitests.py, unmodified, with one thing pinned.

Usage: python run_multitests.py MICROPYTHON_TESTS_DIR [run-multitests arguments]

When a test calls get_network_ip(), run-multitests injects ``HOST_IP`` from its
get_host_ip(), which finds the PC's LAN address by connecting a UDP socket towards
8.8.8.8. Here no test may involve an outside address, and the LAN address
is of no use anyway: the CPython-only "truth" runs (tests without a .exp file)
reach each other on 127.0.0.1, and the firmware and CPython instances announce
their addresses through the harness's ``nic`` (instance.py). So get_host_ip() is
replaced by one that returns 127.0.0.1 -- run-multitests' own fallback value --
and everything else runs as upstream wrote it.

One more change, to an error path only: upstream's PyInstanceSubProcess.write()
raises BrokenPipeError when it relays a BROADCAST to an instance that has already
exited (e.g. crashed with a traceback), and that aborts the whole run and hides the
instance's output. Here the write is dropped instead, so the test finishes, fails
and shows the traceback that explains it.
"""

import importlib.util
import os
import sys


def main():
    tests_dir = os.path.abspath(sys.argv[1])
    # run-multitests imports "run-tests" from its own directory.
    sys.path.insert(0, tests_dir)
    spec = importlib.util.spec_from_file_location(
        "run_multitests", os.path.join(tests_dir, "run-multitests.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.get_host_ip = lambda: "127.0.0.1"

    upstream_write = module.PyInstanceSubProcess.write

    def write(self, data):
        try:
            upstream_write(self, data)
        except BrokenPipeError:
            pass

    module.PyInstanceSubProcess.write = write
    sys.argv = [os.path.join(tests_dir, "run-multitests.py")] + sys.argv[2:]
    module.main()


if __name__ == "__main__":
    main()
