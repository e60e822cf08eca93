# ruff: noqa: F821  (require/options are provided by MicroPython's manifest loader)
# The micropython-lib packages a port's stock manifest freezes, for our board
# manifests, so that flashing usocket takes nothing away:
#     include("$(BOARD_DIR)/../stock_manifest.py", packages=("dht", ...))
#
# - bundle-networking is listed by its members (mip, ntptime, ssl, requests,
#   webrepl, urequests), because our frozen package provides some of them under
#   the same names. A name that frozen/ provides (frozen/<name>.py or a package
#   frozen/<name>/) is frozen from there, never from micropython-lib.
# - micropython-lib is in no package registry, and the MicroPython source package
#   that `make deps` fetches has an empty lib/micropython-lib. A package that
#   MPY_LIB_DIR does not have is left out with a note on stderr, so the default
#   targets still build; `make rp2 MPY_LIB_DIR=<micropython-lib checkout>` (or
#   esp32) freezes the whole stock set.
import os
import sys

options.defaults(packages=())

# The loader runs this file with its own directory as the working directory.
_ours = set()
for _entry in os.listdir("../frozen"):
    if _entry.endswith(".py") and _entry != "manifest.py":
        _ours.add(_entry[:-3])
    elif os.path.isfile(os.path.join("../frozen", _entry, "__init__.py")):
        _ours.add(_entry)

_missing = []
for _name in options.packages:
    if _name in _ours:
        continue
    try:
        require(_name)
    except ValueError as e:  # not in any library MPY_LIB_DIR names
        _missing.append(f"{_name} ({e})")
if _missing:
    print(
        "usocket board manifest: not frozen, MPY_LIB_DIR has no micropython-lib "
        "package for: " + ", ".join(_missing),
        file=sys.stderr,
    )
