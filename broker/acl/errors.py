"""AclException as the broker's remoting layer reports it: SYSTEM_ERROR with RemotingHelper.exceptionSimpleDesc,
the exception's toString and the first frame of its stack trace (4.9.7 source lines)."""
from __future__ import annotations

EXCEPTION = "org.apache.rocketmq.acl.common.AclException"
_PPM = "org.apache.rocketmq.acl.plain.PlainPermissionManager"

# where each refusal is raised in 4.9.7 (PlainPermissionManager.java / PlainAccessValidator.java)
NO_ACCESS_KEY = f"{_PPM}.validate(PlainPermissionManager.java:663)"
NO_ACL_CONFIG = f"{_PPM}.validate(PlainPermissionManager.java:667)"
NO_RESOURCE = f"{_PPM}.validate(PlainPermissionManager.java:674)"
BAD_SIGNATURE = f"{_PPM}.validate(PlainPermissionManager.java:683)"
NEED_ADMIN = f"{_PPM}.checkPerm(PlainPermissionManager.java:580)"
NO_DEFAULT_PERM = f"{_PPM}.checkPerm(PlainPermissionManager.java:605)"
NO_LISTED_PERM = f"{_PPM}.checkPerm(PlainPermissionManager.java:610)"
PARSE = "org.apache.rocketmq.acl.plain.PlainAccessValidator.parse(PlainAccessValidator.java:134)"
CONFIG = f"{_PPM}.buildPlainAccessResource(PlainPermissionManager.java:626)"


class AclError(Exception):
    """A refusal (or a bad ACL config): `message` names the reason, never a secret of the server's."""

    def __init__(self, message: str | None, frame: str = CONFIG) -> None:
        super().__init__(message)
        self.message = message
        self.frame = frame

    @property
    def remark(self) -> str:
        text = EXCEPTION if self.message is None else f"{EXCEPTION}: {self.message}"
        return f"{text}, {self.frame}"
