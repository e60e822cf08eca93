# log: "LEVEL:name:message" lines with %-arguments, per-logger and global levels
# (basicConfig), one logger per name, and set_output to any object with write().
import sys

import log

log.basicConfig(level=log.INFO)
a = log.getLogger("APP")
print(a is log.getLogger("APP"))
a.debug("hidden")
a.info("n=%d s=%s", 5, "x")
a.warning("w")
a.error("e %r", b"x")
a.critical("c")
a.setLevel(log.DEBUG)
a.debug("now %s", "shown")


class Sink:
    def __init__(self):
        self.lines = []

    def write(self, s):
        self.lines.append(s)


k = Sink()
log.set_output(k)
log.getLogger("B").info("to sink")
log.set_output(sys.stdout)
print(k.lines)
log.basicConfig(level=log.ERROR)
a.setLevel(log.NOTSET)
a.warning("dropped")
a.error("kept")
log.info("root dropped")
log.critical("root %d", 1)
print(log.CRITICAL, log.ERROR, log.WARNING, log.INFO, log.DEBUG, log.NOTSET)
