# Helpers of the urequests scripts in this directory (shipped beside them like
# fwtest): out() prints a value as the "R <json>" line the test reads back, and
# catch() turns what f raised into a value.
import json


def out(x):
    print("R " + json.dumps(x))


def catch(f):
    # [exception type, message, errno] of what f raised, or None.
    try:
        f()
    except Exception as e:  # noqa: BLE001  (any exception is a result)
        return [type(e).__name__, str(e), getattr(e, "errno", None)]
    return None
