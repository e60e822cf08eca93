"""request: QuecPython's HTTP module over urequests (frozen/request.py).

``content``/``text`` are generators of pieces of at most ``sizeof`` bytes.
"""

from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, Self, TypeAlias, TypedDict, Unpack, type_check_only

from urequests import Headers, _Auth, _Body, _Data, _Params, _Timeout, _Verify

# QuecPython's {"cert": ..., "key": ...} client certificate, plus "cadata" (CA
# data or path) or "verify" (anything urequests accepts).
_SslParams: TypeAlias = Mapping[str, Any]
# QuecPython's upload: {"filepath": path, "filename": name}, optionally "name",
# and "filepath1"/"filename1"/"name1" for a second file.
_QuecFiles: TypeAlias = Mapping[str, str]

@type_check_only
class _Extra(TypedDict, total=False):
    params: _Params | None
    auth: _Auth | None
    allow_redirects: bool
    max_redirects: int
    verify: _Verify | None
    version: int

class Response:
    status_code: int
    reason: str
    headers: Headers
    url: str
    raw: _Body
    encoding: str
    # str pieces when decode=True (the default), else bytes.
    @property
    def content(self) -> Iterator[Any]: ...
    @property
    def text(self) -> Iterator[str]: ...
    def json(self) -> Any: ...
    # The next piece of at most ``sizeof`` bytes (b"" at the end).
    def recv_size(self) -> bytes: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

def request(
    method: str,
    url: str,
    data: _Data | None = None,
    json: Any = None,
    files: _QuecFiles | None = None,
    stream: object = None,
    decode: bool = True,
    sizeof: int = 255,
    timeout: _Timeout | None = None,
    headers: Mapping[str, str] | None = None,
    ssl_params: _SslParams | None = None,
    **kw: Unpack[_Extra],
) -> Response: ...
def get(
    url: str,
    data: _Data | None = None,
    json: Any = None,
    files: _QuecFiles | None = None,
    stream: object = None,
    decode: bool = True,
    sizeof: int = 255,
    timeout: _Timeout | None = None,
    headers: Mapping[str, str] | None = None,
    ssl_params: _SslParams | None = None,
    **kw: Unpack[_Extra],
) -> Response: ...
def post(
    url: str,
    data: _Data | None = None,
    json: Any = None,
    files: _QuecFiles | None = None,
    stream: object = None,
    decode: bool = True,
    sizeof: int = 255,
    timeout: _Timeout | None = None,
    headers: Mapping[str, str] | None = None,
    ssl_params: _SslParams | None = None,
    **kw: Unpack[_Extra],
) -> Response: ...
def put(
    url: str,
    data: _Data | None = None,
    json: Any = None,
    files: _QuecFiles | None = None,
    stream: object = None,
    decode: bool = True,
    sizeof: int = 255,
    timeout: _Timeout | None = None,
    headers: Mapping[str, str] | None = None,
    ssl_params: _SslParams | None = None,
    **kw: Unpack[_Extra],
) -> Response: ...
def patch(
    url: str,
    data: _Data | None = None,
    json: Any = None,
    files: _QuecFiles | None = None,
    stream: object = None,
    decode: bool = True,
    sizeof: int = 255,
    timeout: _Timeout | None = None,
    headers: Mapping[str, str] | None = None,
    ssl_params: _SslParams | None = None,
    **kw: Unpack[_Extra],
) -> Response: ...
def head(
    url: str,
    data: _Data | None = None,
    json: Any = None,
    files: _QuecFiles | None = None,
    stream: object = None,
    decode: bool = True,
    sizeof: int = 255,
    timeout: _Timeout | None = None,
    headers: Mapping[str, str] | None = None,
    ssl_params: _SslParams | None = None,
    **kw: Unpack[_Extra],
) -> Response: ...
def delete(
    url: str,
    data: _Data | None = None,
    json: Any = None,
    files: _QuecFiles | None = None,
    stream: object = None,
    decode: bool = True,
    sizeof: int = 255,
    timeout: _Timeout | None = None,
    headers: Mapping[str, str] | None = None,
    ssl_params: _SslParams | None = None,
    **kw: Unpack[_Extra],
) -> Response: ...
