#!/usr/bin/env python3
"""run-multitests.py instance ``exec:host_tests/peer/usocket_fw.py``: the usocket
host firmware (see instance.py)."""

import instance

instance.main("firmware")
