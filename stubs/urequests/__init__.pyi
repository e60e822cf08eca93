"""urequests: HTTP/1.1 client shaped like CPython's requests (frozen/urequests.py)."""

from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import (
    Any,
    Final,
    Literal,
    Protocol,
    Self,
    TypeAlias,
    TypedDict,
    Unpack,
    overload,
    type_check_only,
)

__version__: Final[str]

MAX_LINE: int
MAX_HEADERS: int
MAX_HEADER_BYTES: int
MAX_REDIRECTS: int
MAX_IDLE: int

@type_check_only
class _Readable(Protocol):
    def read(self, n: int = ..., /) -> bytes | None: ...

# bytes/str as they are; a dict or pairs form-encoded; a generator or file is
# sent with chunked transfer encoding.
_Data: TypeAlias = (
    bytes
    | bytearray
    | memoryview
    | str
    | Mapping[str, Any]
    | Iterable[tuple[str, Any]]
    | Iterable[bytes]
    | _Readable
)
_Params: TypeAlias = Mapping[str, Any] | Iterable[tuple[str, Any]]
_Headers: TypeAlias = Mapping[str, str]
_Auth: TypeAlias = tuple[str, str]
# Seconds, or a (connect, read) pair.
_Timeout: TypeAlias = float | tuple[float, float]
# True: the trust store (frozen CA bundle + certs/), or the CA from set_default_ca();
# CA bytes; a CA file path; an SSLContext;
# False: skip verification (explicitly).
_Verify: TypeAlias = bool | bytes | str | Any
_Cert: TypeAlias = tuple[str | bytes, str | bytes | None] | str
_Files: TypeAlias = Mapping[str, Any]

@type_check_only
class _Options(TypedDict, total=False):
    headers: _Headers | None
    auth: _Auth | None
    timeout: _Timeout | None
    stream: bool
    allow_redirects: bool
    max_redirects: int
    files: _Files | None
    verify: _Verify | None
    cert: _Cert | None

@type_check_only
class _OptionsBody(_Options, total=False):
    data: _Data | None
    json: Any

@type_check_only
class _OptionsParams(_Options, total=False):
    params: _Params | None

@type_check_only
class _OptionsJsonParams(_OptionsParams, total=False):
    json: Any

@type_check_only
class _OptionsAll(_OptionsBody, total=False):
    params: _Params | None

class TooManyRedirects(ValueError): ...
class CertificateError(ValueError): ...
class HTTPError(OSError): ...
class InsecureRedirect(ValueError): ...  # a redirect from https to plain http

def set_default_ca(ca: bytes | str | None) -> None: ...

class Headers:
    """Response headers: read-only, case-insensitive lookups."""

    def __getitem__(self, name: str) -> str: ...
    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: str) -> str: ...
    @overload
    def get(self, name: str, default: object) -> object: ...
    def __contains__(self, name: str) -> bool: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[str]: ...
    def keys(self) -> list[str]: ...
    def values(self) -> list[str]: ...
    def items(self) -> list[tuple[str, str]]: ...

@type_check_only
class _Body:
    """Response.raw: a stream over the body (transfer decoding applied)."""

    sock: Any
    eof: bool
    def read(self, n: int = -1) -> bytes: ...
    def readinto(self, buf: bytearray | memoryview, n: int | None = None) -> int: ...
    def drain(self, limit: int) -> bool: ...
    def close(self) -> None: ...

class Response:
    status_code: int
    reason: str
    headers: Headers
    raw: _Body
    url: str
    encoding: str
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def close(self) -> None: ...
    @property
    def ok(self) -> bool: ...
    def raise_for_status(self) -> None: ...
    @property
    def content(self) -> bytes: ...
    @property
    def text(self) -> str: ...
    def json(self) -> Any: ...
    @overload
    def iter_content(
        self, chunk_size: int | None = 512, decode_unicode: Literal[False] = False
    ) -> Iterator[bytes]: ...
    @overload
    def iter_content(
        self, chunk_size: int | None, decode_unicode: Literal[True]
    ) -> Iterator[str]: ...
    @overload
    def iter_content(
        self, chunk_size: int | None = 512, *, decode_unicode: Literal[True]
    ) -> Iterator[str]: ...

def request(
    method: str,
    url: str,
    data: _Data | None = None,
    json: Any = None,
    headers: _Headers | None = None,
    params: _Params | None = None,
    auth: _Auth | None = None,
    timeout: _Timeout | None = None,
    stream: bool = False,
    allow_redirects: bool = True,
    max_redirects: int = ...,
    files: _Files | None = None,
    verify: _Verify | None = None,
    cert: _Cert | None = None,
) -> Response: ...
def head(url: str, **kw: Unpack[_OptionsAll]) -> Response: ...
def get(
    url: str, params: _Params | None = None, **kw: Unpack[_OptionsBody]
) -> Response: ...
def post(
    url: str, data: _Data | None = None, json: Any = None, **kw: Unpack[_OptionsParams]
) -> Response: ...
def put(
    url: str, data: _Data | None = None, **kw: Unpack[_OptionsJsonParams]
) -> Response: ...
def patch(
    url: str, data: _Data | None = None, **kw: Unpack[_OptionsJsonParams]
) -> Response: ...
def delete(url: str, **kw: Unpack[_OptionsAll]) -> Response: ...

class Session:
    """Keeps one idle connection per (scheme, host, port) for reuse."""

    headers: dict[str, str]
    auth: _Auth | None
    verify: _Verify | None
    cert: _Cert | None
    def __init__(
        self,
        headers: _Headers | None = None,
        auth: _Auth | None = None,
        verify: _Verify | None = True,
        cert: _Cert | None = None,
    ) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def request(
        self,
        method: str,
        url: str,
        data: _Data | None = None,
        json: Any = None,
        headers: _Headers | None = None,
        params: _Params | None = None,
        auth: _Auth | None = None,
        timeout: _Timeout | None = None,
        stream: bool = False,
        allow_redirects: bool = True,
        max_redirects: int = ...,
        files: _Files | None = None,
        verify: _Verify | None = None,
        cert: _Cert | None = None,
    ) -> Response: ...
    def head(self, url: str, **kw: Unpack[_OptionsAll]) -> Response: ...
    def get(self, url: str, **kw: Unpack[_OptionsAll]) -> Response: ...
    def post(
        self,
        url: str,
        data: _Data | None = None,
        json: Any = None,
        **kw: Unpack[_OptionsParams],
    ) -> Response: ...
    def put(
        self, url: str, data: _Data | None = None, **kw: Unpack[_OptionsJsonParams]
    ) -> Response: ...
    def patch(
        self, url: str, data: _Data | None = None, **kw: Unpack[_OptionsJsonParams]
    ) -> Response: ...
    def delete(self, url: str, **kw: Unpack[_OptionsAll]) -> Response: ...
