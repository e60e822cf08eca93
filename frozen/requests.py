"""``requests`` is ``urequests`` under CPython's name, for shared code.

The functions and classes are the very same objects, so module state such as
``set_default_ca()`` is shared too.
"""

from urequests import *
from urequests import __version__  # noqa: F401
