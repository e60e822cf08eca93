"""QuecPython's ``log``: small leveled logging with ``LEVEL:name:msg`` lines.

    import log
    log.basicConfig(level=log.INFO)
    app_log = log.getLogger("APP")
    app_log.info("sent %d bytes", n)      # -> INFO:APP:sent 12 bytes

Output goes to ``sys.stdout`` unless ``basicConfig(stream=...)`` or
``set_output(stream)`` chose another object with ``write`` (a UART, a file).
The global level starts at INFO, as on QuecPython; a logger's own level
(``setLevel``) overrides it when not NOTSET.
"""

import sys

CRITICAL = 50
ERROR = 40
WARNING = 30
INFO = 20
DEBUG = 10
NOTSET = 0

_names = {
    CRITICAL: "CRITICAL",
    ERROR: "ERROR",
    WARNING: "WARNING",
    INFO: "INFO",
    DEBUG: "DEBUG",
    NOTSET: "NOTSET",
}

_level = INFO
_stream = None  # None: sys.stdout, looked up when writing
_loggers = {}


def _name(level):
    return _names.get(level) or f"Level {level}"


class Logger:
    def __init__(self, name):
        self.name = name
        self.level = NOTSET

    def setLevel(self, level):
        self.level = level

    def isEnabledFor(self, level):
        return level >= (self.level or _level)

    def log(self, level, msg, *args):
        if level < (self.level or _level):
            return
        if args:
            try:
                msg = msg % args
            except (TypeError, ValueError):
                # A bad format must not take the application down with it.
                msg = " ".join([str(msg)] + [str(a) for a in args])
        (_stream or sys.stdout).write(f"{_name(level)}:{self.name}:{msg}\n")

    def debug(self, msg, *args):
        self.log(DEBUG, msg, *args)

    def info(self, msg, *args):
        self.log(INFO, msg, *args)

    def warning(self, msg, *args):
        self.log(WARNING, msg, *args)

    warn = warning

    def error(self, msg, *args):
        self.log(ERROR, msg, *args)

    def critical(self, msg, *args):
        self.log(CRITICAL, msg, *args)

    def exception(self, msg, *args):
        """Log at ERROR and print the exception being handled."""
        self.log(ERROR, msg, *args)
        exc = sys.exc_info()[1] if hasattr(sys, "exc_info") else None
        if exc is not None:
            sys.print_exception(exc, _stream or sys.stdout)


def getLogger(name="root"):
    """The logger called ``name``; the same object on every call."""
    logger = _loggers.get(name)
    if logger is None:
        logger = _loggers[name] = Logger(name)
    return logger


def basicConfig(level=INFO, stream=None, **_):
    """Set the global level and, if given, the output stream.

    Other keyword arguments CPython's logging takes (format, filename) are
    accepted and ignored so shared code keeps working.
    """
    global _level
    _level = level
    if stream is not None:
        set_output(stream)


def set_output(stream):
    """Send log lines to ``stream`` (anything with ``write``)."""
    global _stream
    if not hasattr(stream, "write"):
        raise ValueError("log output needs an object with write()")
    _stream = stream


def setLevel(level):
    global _level
    _level = level


def debug(msg, *args):
    getLogger().debug(msg, *args)


def info(msg, *args):
    getLogger().info(msg, *args)


def warning(msg, *args):
    getLogger().warning(msg, *args)


def error(msg, *args):
    getLogger().error(msg, *args)


def critical(msg, *args):
    getLogger().critical(msg, *args)
