# A small urequests app, type-checked against stubs/ by test_stubs.py (never run).
import json

import log
import urequests

app_log = log.getLogger("HTTP")


def fetch_status(base: str) -> dict[str, object]:
    r = urequests.get(base + "/status", params={"verbose": 1}, timeout=(2, 5))
    try:
        r.raise_for_status()
        app_log.info("%s %d %s", r.url, r.status_code, r.reason)
        ctype = r.headers.get("content-type", "")
        if "json" not in ctype:
            raise ValueError("not JSON: " + ctype)
        data: dict[str, object] = r.json()
        return data
    finally:
        r.close()


def upload(base: str, readings: list[float]) -> int:
    with urequests.Session(headers={"User-Agent": "sensor/1.0"}) as s:
        total = 0
        for i, value in enumerate(readings):
            with s.post(base + "/log", json={"i": i, "v": value}, timeout=5) as r:
                total += len(r.content)
        with s.get(base + "/big", stream=True, verify=False) as r:
            for chunk in r.iter_content(1024):
                total += len(chunk)
        return total


def send_form(base: str) -> str:
    r = urequests.request(
        "PUT",
        base + "/form",
        data={"name": "probe", "unit": "C"},
        auth=("user", "secret"),
        allow_redirects=False,
    )
    text = r.text
    r.close()
    return text


if __name__ == "__main__":
    print(json.dumps(fetch_status("http://10.0.2.2:8080")))
    print(upload("http://10.0.2.2:8080", [21.5, 21.7]))
    print(send_form("http://10.0.2.2:8080"))
