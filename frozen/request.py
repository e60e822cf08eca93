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
- ``files`` uploads files as multipart/form-data (see ``request``).
- ``get``/``post``/... take the same arguments as ``request`` after the
  method, in the same order.
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

    def recv_size(self):
        """The next piece of at most ``sizeof`` bytes of the body (b"" at its end)."""
        return self._r.raw.read(self._sizeof)

    def close(self):
        self._r.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._r.close()


def _field_name(spec, default):
    # QuecPython's "name" is the part's Content-Disposition parameters as one
    # string (name="x" or name="x"; filename="y"); a bare word is taken as the name.
    if spec is None:
        return default
    spec = str(spec)
    i = spec.find('name="')
    if i < 0:
        return spec
    i += 6
    j = spec.find('"', i)
    return spec[i:j] if j > i else default


def _upload_parts(files):
    """QuecPython's ``files`` as urequests' ``(name, (filename, file, type))``
    list, with the files opened; the caller closes them."""
    if not isinstance(files, dict):
        raise TypeError("files must be a dict with 'filepath' and 'filename'")
    parts = []
    # QuecPython's keys: filepath/filename/name, and filepath1/filename1/name1 for
    # a second file.
    for suffix in ("", "1"):
        path = files.get("filepath" + suffix)
        if path is None and suffix:
            break
        fname = files.get("filename" + suffix)
        if not path or not fname:
            raise ValueError(
                f"Missing key parameters 'filepath{suffix}' and 'filename{suffix}'"
            )
        name = _field_name(files.get("name" + suffix), "file")
        ctype = files.get("content_type" + suffix) or "application/octet-stream"
        try:
            # Closed by request() once the body is sent; read block by block.
            f = open(path, "rb")  # noqa: SIM115
        except OSError:
            _close_parts(parts)
            raise
        parts.append((name, (fname, f, ctype)))
    return parts


def _close_parts(parts):
    for _name, (_fname, f, _ctype) in parts or ():
        f.close()


def _without_multipart_type(headers):
    # A Content-Type of bare "multipart/form-data" (QuecPython's examples set
    # it) would lack the boundary; urequests writes the full one instead. The
    # caller's dict is never changed.
    if not headers:
        return headers
    out = {}
    for k, v in headers.items():
        if k.lower() == "content-type" and "boundary=" not in str(v):
            continue
        out[k] = v
    return out


def request(
    method,
    url,
    data=None,
    json=None,
    files=None,
    stream=None,
    decode=True,
    sizeof=255,
    timeout=None,
    headers=None,
    ssl_params=None,
    **kw,
):
    """Send one HTTP request; returns a ``Response`` whose body is streamed.

    ``files`` uploads as multipart/form-data, QuecPython's way:
    ``{"filepath": "/usr/a.txt", "filename": "a.txt"}``, optionally ``"name"``
    (the form field, default ``file``) and ``filepath1``/``filename1``/
    ``name1`` for a second file; ``data`` given as a dict alongside becomes
    ordinary form fields. Each file is streamed from the filesystem. ``stream``
    is accepted and ignored (the body is always streamed, as on QuecPython).
    """
    if "://" not in url:
        url = "http://" + url
    if not isinstance(sizeof, int) or sizeof < 1:
        raise ValueError("sizeof must be a positive int")
    kw.pop("version", None)  # QuecPython's HTTP/1.0-or-1.1 switch: always 1.1
    parts = None
    if files:
        if data is not None and not isinstance(data, dict):
            raise TypeError("with files, data must be a dict of form fields")
        parts = _upload_parts(files)
        headers = _without_multipart_type(headers)
    elif isinstance(data, (dict, list)) and json is None:
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
    try:
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
            files=parts,
            **kw,
        )
    finally:
        # The body has been sent (or the request failed): the files are done.
        _close_parts(parts)
    return Response(r, decode, sizeof)


def _method(name):
    # One wrapper per HTTP method, all with request()'s signature after the
    # method; a factory keeps the frozen bytecode to one copy of it.
    def call(
        url,
        data=None,
        json=None,
        files=None,
        stream=None,
        decode=True,
        sizeof=255,
        timeout=None,
        headers=None,
        ssl_params=None,
        **kw,
    ):
        return request(
            name,
            url,
            data,
            json,
            files,
            stream,
            decode,
            sizeof,
            timeout,
            headers,
            ssl_params,
            **kw,
        )

    return call


get = _method("GET")
post = _method("POST")
put = _method("PUT")
patch = _method("PATCH")
head = _method("HEAD")
delete = _method("DELETE")
