"""QuecPython's ``request`` HTTP module, as a thin layer over ``urequests``.

    import request
    r = request.get("http://example.test/data", sizeof=512)
    for piece in r.text:          # generator of up to ``sizeof``-byte pieces
        print(piece)

Differences from ``urequests`` are QuecPython's:

- ``content`` and ``text`` are *generators* of pieces of at most ``sizeof``
  bytes (``content`` yields str when ``decode=True``, the default, else
  bytes); the body is streamed, never held whole. Decoding never splits a
  UTF-8 character between two pieces. Once read, the body is gone: a second
  iteration yields nothing, as on QuecPython.
- A URL without a scheme gets ``http://``.
- ``data`` that is a dict or list is sent as JSON (QuecPython documents
  ``data`` as "JSON format"); str/bytes are sent as they are.
- ``ssl_params`` is QuecPython's ``{"cert": ..., "key": ...}`` client
  certificate, plus ``"cadata"`` (CA data or path) or ``"verify"`` (anything
  ``urequests`` accepts, e.g. False). Without either, https verifies against
  ``urequests.set_default_ca()`` and fails clearly if none is set.
"""

import json as _json

import urequests


class Response:
    def __init__(self, resp, decode, sizeof):
        self._r = resp
        self.status_code = resp.status_code
        self.reason = resp.reason
        self.headers = resp.headers
        self.url = resp.url
        self.raw = resp.raw
        self.encoding = resp.encoding
        self._decode = decode
        self._sizeof = sizeof

    def _pieces(self, decode):
        try:
            yield from self._r.iter_content(self._sizeof, decode)
        finally:
            self._r.close()

    @property
    def content(self):
        return self._pieces(self._decode)

    @property
    def text(self):
        return self._pieces(True)

    def json(self):
        """The (rest of the) body parsed as JSON; None if there is none."""
        try:
            body = self._r.raw.read()
            # QuecPython gives None when the body is empty or already read.
            return _json.loads(body) if body else None
        finally:
            self._r.close()

    def close(self):
        self._r.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._r.close()


def request(
    method,
    url,
    data=None,
    json=None,
    headers=None,
    decode=True,
    sizeof=255,
    timeout=None,
    ssl_params=None,
    **kw,
):
    if "://" not in url:
        url = "http://" + url
    if not isinstance(sizeof, int) or sizeof < 1:
        raise ValueError("sizeof must be a positive int")
    if isinstance(data, (dict, list)) and json is None:
        json, data = data, None
    verify = kw.pop("verify", None)
    cert = None
    if ssl_params:
        if "cert" in ssl_params:
            cert = (ssl_params["cert"], ssl_params.get("key"))
        if "verify" in ssl_params:
            verify = ssl_params["verify"]
        elif ssl_params.get("cadata") is not None:
            verify = ssl_params["cadata"]
    r = urequests.request(
        method,
        url,
        data=data,
        json=json,
        headers=headers,
        timeout=timeout,
        stream=True,
        verify=verify,
        cert=cert,
        **kw,
    )
    return Response(r, decode, sizeof)


def _method(name):
    # One wrapper per HTTP method, all with QuecPython's signature; a factory keeps
    # the frozen bytecode to one copy of it.
    def call(
        url,
        data=None,
        json=None,
        headers=None,
        decode=True,
        sizeof=255,
        timeout=None,
        ssl_params=None,
        **kw,
    ):
        return request(
            name, url, data, json, headers, decode, sizeof, timeout, ssl_params, **kw
        )

    return call


get = _method("GET")
post = _method("POST")
put = _method("PUT")
patch = _method("PATCH")
head = _method("HEAD")
delete = _method("DELETE")
