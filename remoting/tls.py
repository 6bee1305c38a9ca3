"""TLS as Apache RocketMQ 4.9.7 configures it (TlsSystemConfig, TlsHelper, TlsMode): the `tls.*` keys with Java's
names and defaults, where they come from, and the `ssl.SSLContext`s built from them.

Where the keys come from, lowest first:
- Java's defaults;
- the daemon's own properties file (`-c`; Java takes these keys only as `-D` system properties, we take both);
- `-Dtls.*=...` words in the `JAVA_OPT` environment variable, as Apache's start scripts pass them to the JVM;
- the file named by `tls.config.file` (default /etc/rocketmq/tls.properties), read when it exists, as
  TlsHelper.extractTlsConfigFromFile does: it sets every key except `tls.server.mode`, `tls.enable` and
  `tls.config.file` itself.

The contexts follow TlsHelper.buildSslContext:
- server, test mode (`tls.test.mode.enable`, true by default): a self-signed certificate for CN=localhost made at
  run time (Netty's SelfSignedCertificate); client certificates optional, checked against the system CAs;
- server, otherwise: `tls.server.certPath`/`keyPath`/`keyPassword`; `tls.server.need.client.auth`
  none/optional/require; client certificates verified against `tls.server.trustCertPath` (or the system CAs)
  when `tls.server.authClient` is true;
- client, test mode: no verification of the server, no client certificate;
- client, otherwise: the server verified against `tls.client.trustCertPath` (or the system CAs) when
  `tls.client.authServer` is true, else not at all; a client certificate when `tls.client.certPath` is set.
Neither side checks host names (Netty's SslContext does not).

One difference, forced by Python's ssl module (it has no verify callback): Java's `authClient=false` with
`need.client.auth=require` asks for a client certificate and accepts any; here one is still required but it is
verified against `tls.server.trustCertPath` (or the system CAs), which is stricter. With `optional` and
`authClient=false` no certificate is asked for (Java asks and ignores it; nothing in RocketMQ reads it).
"""
from __future__ import annotations

import asyncio
import datetime
import logging
import os
import secrets
import shlex
import ssl
import tempfile
from dataclasses import dataclass
from typing import Mapping

from .config import parse_properties, shown_value

log = logging.getLogger("remoting")

DISABLED, PERMISSIVE, ENFORCING = "disabled", "permissive", "enforcing"
TLS_MODES = (DISABLED, PERMISSIVE, ENFORCING)
DEFAULT_CONFIG_FILE = "/etc/rocketmq/tls.properties"
HANDSHAKE_MAGIC = 0x16            # the first byte of a TLS handshake record
HANDSHAKE_TIMEOUT = 10.0          # Netty SslHandler's default handshakeTimeoutMillis

# Java property name -> TlsConfig field
KEYS: dict[str, str] = {
    "tls.server.mode": "server_mode",
    "tls.enable": "enable",
    "tls.config.file": "config_file",
    "tls.test.mode.enable": "test_mode_enable",
    "tls.server.need.client.auth": "server_need_client_auth",
    "tls.server.keyPath": "server_key_path",
    "tls.server.keyPassword": "server_key_password",
    "tls.server.certPath": "server_cert_path",
    "tls.server.authClient": "server_auth_client",
    "tls.server.trustCertPath": "server_trust_cert_path",
    "tls.client.keyPath": "client_key_path",
    "tls.client.keyPassword": "client_key_password",
    "tls.client.certPath": "client_cert_path",
    "tls.client.authServer": "client_auth_server",
    "tls.client.trustCertPath": "client_trust_cert_path",
}
# what tls.config.file may not set (TlsSystemConfig: "except tlsMode and tlsEnable")
_NOT_FROM_FILE = frozenset({"tls.server.mode", "tls.enable", "tls.config.file"})


class TlsError(ValueError):
    """A TLS context could not be built from the configuration (missing or unreadable files, bad key password)."""


@dataclass
class TlsConfig:
    server_mode: str = PERMISSIVE
    enable: bool = False
    config_file: str = DEFAULT_CONFIG_FILE
    test_mode_enable: bool = True
    server_need_client_auth: str = "none"
    server_key_path: str = ""
    server_key_password: str = ""
    server_cert_path: str = ""
    server_auth_client: bool = False
    server_trust_cert_path: str = ""
    client_key_path: str = ""
    client_key_password: str = ""
    client_cert_path: str = ""
    client_auth_server: bool = False
    client_trust_cert_path: str = ""
    # not keys: whether tls.enable was given at all (the broker's useTLS defaults to mode == enforcing without
    # it), and the tls.config.file that was read, if any
    enable_given: bool = False
    file_read: str = ""

    def set(self, key: str, raw: str) -> None:
        name = KEYS[key]
        if name == "server_mode":
            value: object = parse_mode(raw)
        elif isinstance(getattr(self, name), bool):
            value = raw.strip().lower() == "true"    # Boolean.parseBoolean: anything else is false
            if name == "enable":
                self.enable_given = True
        else:
            value = raw
        setattr(self, name, value)

    def items(self) -> list[tuple[str, str]]:
        """(key, value) of every key, secrets masked: what a log line may show (logTheFinalUsedTlsConfig)."""
        out = []
        for key, name in KEYS.items():
            v = getattr(self, name)
            v = ("true" if v else "false") if isinstance(v, bool) else v
            out.append((key, shown_value(key, v) if v else v))
        return out


def parse_mode(raw: str) -> str:
    """TlsMode.parse: an unknown name is permissive (with a warning here; Java says nothing)."""
    mode = raw.strip()
    if mode not in TLS_MODES:
        log.warning("tls.server.mode %r is not one of %s: permissive", raw, ", ".join(TLS_MODES))
        return PERMISSIVE
    return mode


def is_tls_key(key: str) -> bool:
    return key in KEYS


def java_opt_properties(java_opt: str) -> dict[str, str]:
    """The `-Dtls.*=value` words of a JAVA_OPT string (`-Dkey` alone is the empty string, as in Java)."""
    out: dict[str, str] = {}
    try:
        words = shlex.split(java_opt)
    except ValueError:
        words = java_opt.split()
    for word in words:
        if word.startswith("-Dtls."):
            key, _, value = word[2:].partition("=")
            if key in KEYS:
                out[key] = value
    return out


def load_tls_config(props: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None) -> TlsConfig:
    """The TLS settings of a daemon or tool: its properties file's tls.* keys, JAVA_OPT's -Dtls.*, then the
    tls.config.file when it exists (see the module doc)."""
    cfg = TlsConfig()
    env = os.environ if environ is None else environ
    system = {k: v for k, v in (props or {}).items() if k in KEYS}
    system.update(java_opt_properties(env.get("JAVA_OPT", "")))
    for key, raw in system.items():
        cfg.set(key, raw)
    path = cfg.config_file
    if path and os.path.isfile(path) and os.access(path, os.R_OK):
        try:
            with open(path, encoding="latin-1") as f:   # Properties.load(InputStream) reads ISO 8859-1
                from_file = parse_properties(f.read())
        except OSError as e:
            log.warning("tls config file %s could not be read: %s", path, e)
        else:
            cfg.file_read = path
            for key, raw in from_file.items():
                if key in KEYS and key not in _NOT_FROM_FILE:
                    cfg.set(key, raw)
    return cfg


def log_config(cfg: TlsConfig, logger: logging.Logger = log) -> None:
    """TlsHelper.logTheFinalUsedTlsConfig, passwords masked."""
    logger.info("tls config file %s", f"{cfg.file_read} read" if cfg.file_read
                else f"{cfg.config_file} does not exist, skipped")
    logger.info("tls config: %s", ", ".join(f"{k}={v}" for k, v in cfg.items()
                                             if k not in ("tls.server.mode", "tls.enable", "tls.config.file")))


# ---------------------------------------------------------------------------------------------------- contexts
def _need_client_auth(raw: str) -> str:
    """TlsHelper.parseClientAuthMode: NONE / OPTIONAL / REQUIRE by name, case-insensitive, else NONE."""
    v = (raw or "").strip().lower()
    return v if v in ("none", "optional", "require") else "none"


def _readable(key: str, path: str) -> str:
    if not os.path.isfile(path):
        raise TlsError(f"{key} {path}: no such file")
    if not os.access(path, os.R_OK):
        raise TlsError(f"{key} {path}: not readable")
    return path


def _load_chain(ctx: ssl.SSLContext, side: str, cert: str, key: str, password: str) -> None:
    _readable(f"tls.{side}.certPath", cert)
    if key:
        _readable(f"tls.{side}.keyPath", key)
    try:
        ctx.load_cert_chain(cert, key or None, password or None)
    except ssl.SSLError as e:
        raise TlsError(f"tls.{side}.certPath {cert} / keyPath {key or '-'}: {e.reason or e}") from None


def _load_trust(ctx: ssl.SSLContext, key: str, path: str, purpose: ssl.Purpose) -> None:
    if path:
        try:
            ctx.load_verify_locations(cafile=_readable(key, path))
        except ssl.SSLError as e:
            raise TlsError(f"{key} {path}: {e.reason or e}") from None
    else:
        ctx.load_default_certs(purpose)


def build_server_context(cfg: TlsConfig) -> ssl.SSLContext:
    """TlsHelper.buildSslContext(false). Raises TlsError for files that are missing or do not load."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if cfg.test_mode_enable:
        cert_pem, key_pem = self_signed_certificate()
        _load_pem_chain(ctx, cert_pem, key_pem)
        ctx.verify_mode = ssl.CERT_OPTIONAL       # ClientAuth.OPTIONAL, the default trust manager
        ctx.load_default_certs(ssl.Purpose.CLIENT_AUTH)
        return ctx
    if not cfg.server_cert_path or not cfg.server_key_path:
        raise TlsError("tls.server.certPath and tls.server.keyPath are needed when tls.test.mode.enable is false")
    _load_chain(ctx, "server", cfg.server_cert_path, cfg.server_key_path, cfg.server_key_password)
    need = _need_client_auth(cfg.server_need_client_auth)
    if need == "none" or (need == "optional" and not cfg.server_auth_client):
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if not cfg.server_auth_client:
        log.warning("tls.server.need.client.auth=require with tls.server.authClient=false: Java accepts any client "
                    "certificate; here it must verify against %s", cfg.server_trust_cert_path or "the system CAs")
    _load_trust(ctx, "tls.server.trustCertPath", cfg.server_trust_cert_path, ssl.Purpose.CLIENT_AUTH)
    ctx.verify_mode = ssl.CERT_REQUIRED if need == "require" else ssl.CERT_OPTIONAL
    return ctx


def build_client_context(cfg: TlsConfig) -> ssl.SSLContext:
    """TlsHelper.buildSslContext(true). Raises TlsError for files that are missing or do not load."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    if cfg.test_mode_enable:
        ctx.verify_mode = ssl.CERT_NONE          # InsecureTrustManagerFactory
        return ctx
    if cfg.client_auth_server:
        _load_trust(ctx, "tls.client.trustCertPath", cfg.client_trust_cert_path, ssl.Purpose.SERVER_AUTH)
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.verify_mode = ssl.CERT_NONE
    if cfg.client_cert_path:
        _load_chain(ctx, "client", cfg.client_cert_path, cfg.client_key_path, cfg.client_key_password)
    return ctx


def client_context_if_enabled(cfg: TlsConfig, use_tls: bool | None = None) -> ssl.SSLContext | None:
    """The client context when TLS is on for this client (`use_tls`, else `tls.enable`), else None."""
    on = cfg.enable if use_tls is None else use_tls
    if not on:
        return None
    ctx = build_client_context(cfg)
    log.info("SSL enabled for client (tls.test.mode.enable=%s, tls.client.authServer=%s)",
             "true" if cfg.test_mode_enable else "false", "true" if cfg.client_auth_server else "false")
    return ctx


def _load_pem_chain(ctx: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    """load_cert_chain reads files only: the pair goes through a private temporary directory, removed at once."""
    with tempfile.TemporaryDirectory(prefix="rocketmq-tls-") as d:
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        for path, data in ((cert, cert_pem), (key, key_pem)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        ctx.load_cert_chain(cert, key)


def self_signed_certificate(fqdn: str = "localhost") -> tuple[bytes, bytes]:
    """Netty's SelfSignedCertificate: RSA 2048, SHA256withRSA, CN=fqdn, valid from a year ago to 9999-12-31;
    (certificate PEM, unencrypted PKCS#8 key PEM)."""
    # cryptography is imported here: only a server in test mode with TLS clients needs it
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fqdn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(int.from_bytes(secrets.token_bytes(8), "big") >> 1 or 1)
            .not_valid_before(now - datetime.timedelta(days=365))
            .not_valid_after(datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc))
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


# ------------------------------------------------------------------------------------------------ server side
class ServerTls:
    """A daemon's server-side TLS: the mode every listener of the daemon applies to a new connection, and the one
    context they share (NettyRemotingServer.loadSslContext). A context that cannot be built is logged, and TLS
    connections are then closed, as Java does with a null sslContext. In test mode the self-signed certificate is
    made on a worker thread when the first TLS connection arrives, so a daemon that never sees one never pays
    for the RSA key."""

    def __init__(self, cfg: TlsConfig | None = None, mode: str | None = None) -> None:
        self.cfg = cfg or TlsConfig()
        self.mode = mode or self.cfg.server_mode
        self._ctx: ssl.SSLContext | None = None
        self._failed = False
        self._pending: asyncio.Future | None = None   # asyncio.Future of the test-mode context while it is being made

    def prepare(self, logger: logging.Logger = log) -> None:
        """At daemon start: log the mode, build the context now unless disabled or in test mode."""
        logger.info("Server is running in TLS %s mode", self.mode)
        if self.mode == DISABLED:
            return
        log_config(self.cfg, logger)
        if self.cfg.test_mode_enable:
            logger.info("TLS test mode: a self-signed certificate is made at the first TLS connection")
            return
        try:
            self._ctx = build_server_context(self.cfg)
            logger.info("SSLContext created for server")
        except (TlsError, OSError) as e:
            self._failed = True
            logger.error("Failed to create SSLContext for server: %s", e)

    async def context(self) -> ssl.SSLContext | None:
        if self._ctx is not None or self._failed or self.mode == DISABLED:
            return self._ctx
        if self._pending is None:
            loop = asyncio.get_running_loop()
            self._pending = loop.run_in_executor(None, build_server_context, self.cfg)
        try:
            ctx = await asyncio.shield(self._pending)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - cryptography missing, or anything the build raised
            if not self._failed:
                self._failed = True
                log.error("Failed to create SSLContext for server: %s", e)
            return None
        self._ctx = ctx
        return ctx

