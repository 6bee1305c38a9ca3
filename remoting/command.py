"""RemotingCommand: the unit every request and response on a RocketMQ connection is made of."""
from __future__ import annotations

from dataclasses import dataclass, field

from .codes import CURRENT_VERSION, FLAG_ONEWAY, FLAG_RESPONSE, SerializeType


@dataclass(slots=True)
class RemotingCommand:
    code: int
    language: str = "JAVA"
    version: int = CURRENT_VERSION
    opaque: int = 0
    flag: int = 0
    remark: str | None = None
    # None means "no extFields key at all"; {} is written as "extFields":{} (a header with only nulls).
    ext_fields: dict[str, str] | None = None
    body: bytes | memoryview | None = None
    serialize_type: SerializeType = SerializeType.JSON
    # Extra body buffers written after `body` without copying (scatter-gather pull bodies).
    body_parts: list[bytes | memoryview] | None = field(default=None, repr=False)

    @property
    def is_response(self) -> bool:
        return bool(self.flag & FLAG_RESPONSE)

    @property
    def is_oneway(self) -> bool:
        return bool(self.flag & FLAG_ONEWAY)

    def ext(self, key: str, default: str | None = None) -> str | None:
        if self.ext_fields is None:
            return default
        return self.ext_fields.get(key, default)

    def body_len(self) -> int:
        n = len(self.body) if self.body is not None else 0
        if self.body_parts:
            n += sum(len(p) for p in self.body_parts)
        return n


def make_request(code: int, ext_fields: dict[str, str] | None = None, body: bytes | None = None,
                 *, oneway: bool = False, serialize_type: SerializeType = SerializeType.JSON) -> RemotingCommand:
    return RemotingCommand(code=int(code), ext_fields=ext_fields, body=body,
                           flag=FLAG_ONEWAY if oneway else 0, serialize_type=serialize_type)


def make_response(request: RemotingCommand, code: int, remark: str | None = None,
                  ext_fields: dict[str, str] | None = None, body: bytes | None = None) -> RemotingCommand:
    """A response to `request`: same opaque and serialization, response flag only (Java drops the oneway bit)."""
    return RemotingCommand(code=int(code), opaque=request.opaque, flag=FLAG_RESPONSE, remark=remark,
                           ext_fields=ext_fields, body=body, serialize_type=request.serialize_type)
