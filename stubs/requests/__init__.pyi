"""requests: urequests under CPython's name (the very same objects)."""

from urequests import *
from urequests import __version__ as __version__
