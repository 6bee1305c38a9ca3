"""RemotingCommand: the unit every request and response on a RocketMQ connection is made of."""
from __future__ import annotations

from dataclasses import dataclass, field

from .codes import CURRENT_VERSION, FLAG_ONEWAY, FLAG_RESPONSE, SerializeType


# init=False: the __init__ below is an ordinary method, so the compiled module runs it as C; the generated
# one would be exec'd Python (a dataclass __init__ was ~3k instructions per command). The fields, eq and
# repr stay the dataclass's.
@dataclass(slots=True, init=False)
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

    def __init__(self, code: int, language: str = "JAVA", version: int = CURRENT_VERSION, opaque: int = 0,
                 flag: int = 0, remark: str | None = None, ext_fields: dict[str, str] | None = None,
                 body: bytes | memoryview | None = None, serialize_type: SerializeType = SerializeType.JSON,
                 body_parts: list[bytes | memoryview] | None = None) -> None:
        self.code = code
        self.language = language
        self.version = version
        self.opaque = opaque
        self.flag = flag
        self.remark = remark
        self.ext_fields = ext_fields
        self.body = body
        self.serialize_type = serialize_type
        self.body_parts = body_parts

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


_new = object.__new__


def new_command(code: int, language: str, version: int, opaque: int, flag: int, remark: str | None,
                ext_fields: dict[str, str] | None, body: bytes | memoryview | None,
                serialize_type: SerializeType) -> RemotingCommand:
    """RemotingCommand(...) with every field but body_parts given, for the decoders and make_response: calling
    the class goes through type.__call__ and a tuple of arguments for __init__ (~2k instructions compiled)."""
    cmd = _new(RemotingCommand)
    cmd.code = code
    cmd.language = language
    cmd.version = version
    cmd.opaque = opaque
    cmd.flag = flag
    cmd.remark = remark
    cmd.ext_fields = ext_fields
    cmd.body = body
    cmd.serialize_type = serialize_type
    cmd.body_parts = None
    return cmd


def make_request(code: int, ext_fields: dict[str, str] | None = None, body: bytes | None = None,
                 *, oneway: bool = False, serialize_type: SerializeType = SerializeType.JSON) -> RemotingCommand:
    return RemotingCommand(code=int(code), ext_fields=ext_fields, body=body,
                           flag=FLAG_ONEWAY if oneway else 0, serialize_type=serialize_type)


def make_response(request: RemotingCommand, code: int, remark: str | None = None,
                  ext_fields: dict[str, str] | None = None, body: bytes | None = None) -> RemotingCommand:
    """A response to `request`: same opaque and serialization, response flag only (Java drops the oneway bit)."""
    return new_command(int(code), "JAVA", CURRENT_VERSION, request.opaque, FLAG_RESPONSE, remark, ext_fields, body,
                       request.serialize_type)
