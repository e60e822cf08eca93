"""socket: the firmware registers usocket under this name too (same module)."""

from usocket import *
from usocket import __version__ as __version__
