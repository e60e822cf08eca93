"""Issue 18, item 4 (must show 3): the Cortex-M3 rows of `make bench` are exact.

boards/qemu-bench is the QEMU target with modlwip beside usocket; under
``-icount shift=0`` its counter (icount.count(), the MPS2's 25 MHz timer on QEMU's
virtual clock) reads instructions. bench/qemu_icount.py boots it once per module to
run bench/qemu_icount_guest.py from power-on. Here, with small workloads:

- QEMU's clock really counts instructions: a loop of exactly 2,000,000 instructions
  reads as that, plus the two count() calls around it;
- two boots with the same arguments give the same count for every workload, for
  both modules (and the guest checked every byte count and answer, or it would have
  failed);
- the per-function profile (QEMU's execution log) adds up to the counter's figure.
"""

import sys
from pathlib import Path

import pytest
from test_ecosystem import make

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import qemu_icount  # bench/ is not a package

QUICK = {
    "tcp_tx": 16 * 1024,
    "tcp_rx": 16 * 1024,
    "tcp_conn": 5,
    "tcp_rtt": 20,
    "tcp_readline": 5,
    "udp_rtt": 20,
    "http_get": 3,
}


@pytest.fixture(scope="module")
def firmware():
    proc = make("qemu-bench", timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return qemu_icount.FIRMWARE


@pytest.mark.parametrize("module", ["usocket", "lwip"])
def test_two_boots_count_the_same_instructions(firmware, module):
    first = qemu_icount.run_all(module, QUICK, firmware)
    second = qemu_icount.run_all(module, QUICK, firmware)
    assert first == second
    for name, res in first.items():
        assert res["module"] == module and res["n"] == QUICK[name], res
        assert res["instructions"] > 0, res


def test_the_counter_counts_instructions(firmware):
    # 2,000,000 instructions of subs/bne, and a few hundred for the calls around
    # them, read to 40 instructions: QEMU's virtual clock against a known loop.
    res = qemu_icount.run_guest("usocket", "spin", 1_000_000, firmware)
    assert 2_000_000 <= res["instructions"] < 2_005_000, res
    assert res["instructions"] % 40 == 0, res


def test_the_profile_accounts_for_every_counted_instruction(firmware):
    # bench/qemu_icount.py --profile: QEMU's log of every block it ran, attributed
    # to functions, adds up to what the counter measured (the two regions differ
    # only by the parts of the count() calls around them).
    funcs, counted = qemu_icount.profile("usocket", "tcp_rtt", 5, firmware)
    assert abs(sum(funcs.values()) - counted) < 400, (sum(funcs.values()), counted)
    assert funcs["tcp_input"] > 0 and funcs["usocket_stream_read"] > 0, funcs
