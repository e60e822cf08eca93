"""umqtt: QuecPython's MQTT client (frozen/umqtt/__init__.py).

``from umqtt import MQTTClient``. micropython-lib's ``umqtt.simple`` and
``umqtt.robust`` share the package name but are not part of these stubs.
"""

from collections.abc import Callable
from typing import Any

class MQTTException(Exception): ...

class MQTTClient:
    CONNECTEXCE: int
    CONNECTSUCCESS: int
    ARECONNECT: int
    SEVCLOSE: int
    client_id: str | bytes
    server: str
    port: int
    user: str | bytes | None
    pswd: str | bytes | None
    keepalive: int
    ssl: bool
    ssl_params: dict[str, Any]
    reconn: bool
    mqttversion: int
    pingmaxnum: int
    def __init__(
        self,
        client_id: str | bytes,
        server: str,
        port: int = 0,
        user: str | bytes | None = None,
        password: str | bytes | None = None,
        keepalive: int = 0,
        ssl: bool = False,
        ssl_params: dict[str, Any] | None = None,
        reconn: bool = True,
        version: int = 4,
        pingmaxnum: int = 0,
    ) -> None: ...
    def set_callback(self, f: Callable[[bytes, bytes], object]) -> None: ...
    def error_register_cb(self, func: Callable[[str], object]) -> None: ...
    def set_last_will(
        self, topic: str | bytes, msg: str | bytes, retain: bool = False, qos: int = 0
    ) -> None: ...
    def connect(self, clean_session: bool = True) -> int: ...
    def disconnect(self) -> None: ...
    def close(self) -> None: ...
    def ping(self) -> None: ...
    def publish(
        self, topic: str | bytes, msg: str | bytes, retain: bool = False, qos: int = 0
    ) -> bool: ...
    def subscribe(self, topic: str | bytes, qos: int = 0) -> None: ...
    def wait_msg(self) -> int | None: ...
    def check_msg(self) -> int | None: ...
    def get_mqttsta(self) -> int: ...
