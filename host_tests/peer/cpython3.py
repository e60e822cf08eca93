#!/usr/bin/env python3
"""run-multitests.py instance ``exec:host_tests/peer/cpython3.py``: CPython, told
where a firmware peer reaches it (see instance.py)."""

import instance

instance.main("cpython")
