"""Test certificates, made fresh per test session with `cryptography`: a CA, a server certificate (CN=localhost,
SAN localhost / 127.0.0.1), a client certificate, an expired client certificate, a second CA with a client and a
server certificate of its own, and the server key again encrypted with a password. PEM files in one directory."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_PASSWORD = "s3cret-key-pass"


@dataclass(frozen=True)
class Certs:
    dir: Path
    ca: Path                   # the CA both sides trust
    server_cert: Path
    server_key: Path
    server_key_encrypted: Path  # the same key, encrypted with KEY_PASSWORD (PKCS#8)
    client_cert: Path
    client_key: Path
    expired_cert: Path          # signed by the CA, expired yesterday
    expired_key: Path
    other_ca: Path              # a CA nobody trusts
    other_client_cert: Path
    other_client_key: Path
    other_server_cert: Path
    other_server_key: Path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())   # fast; the key type changes nothing that is tested


def _cert(subject: str, key, issuer: str, issuer_key, *, ca: bool = False, server: bool = False,
          days: tuple[int, int] = (-1, 365)) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now + datetime.timedelta(days=days[0]))
         .not_valid_after(now + datetime.timedelta(days=days[1]))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
    else:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        b = b.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        if server:
            b = b.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ip_address("127.0.0.1"))]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def _pem_cert(c: x509.Certificate) -> bytes:
    return c.public_bytes(serialization.Encoding.PEM)


def _pem_key(k, password: str | None = None) -> bytes:
    enc = (serialization.BestAvailableEncryption(password.encode()) if password
           else serialization.NoEncryption())
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def make_certs(directory: Path) -> Certs:
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ca_key, other_key = _key(), _key()
    ca = _cert("rocketmq-py test CA", ca_key, "rocketmq-py test CA", ca_key, ca=True, days=(-1, 3650))
    other = _cert("some other CA", other_key, "some other CA", other_key, ca=True, days=(-1, 3650))
    s_key, c_key, e_key, oc_key, os_key = _key(), _key(), _key(), _key(), _key()
    files = {
        "ca": _write(d / "ca.pem", _pem_cert(ca)),
        "server_cert": _write(d / "server.pem", _pem_cert(_cert("localhost", s_key, "rocketmq-py test CA", ca_key,
                                                                server=True))),
        "server_key": _write(d / "server.key", _pem_key(s_key)),
        "server_key_encrypted": _write(d / "server-encrypted.key", _pem_key(s_key, KEY_PASSWORD)),
        "client_cert": _write(d / "client.pem", _pem_cert(_cert("client", c_key, "rocketmq-py test CA", ca_key))),
        "client_key": _write(d / "client.key", _pem_key(c_key)),
        "expired_cert": _write(d / "expired.pem", _pem_cert(_cert("expired client", e_key, "rocketmq-py test CA",
                                                                  ca_key, days=(-30, -1)))),
        "expired_key": _write(d / "expired.key", _pem_key(e_key)),
        "other_ca": _write(d / "other-ca.pem", _pem_cert(other)),
        "other_client_cert": _write(d / "other-client.pem", _pem_cert(_cert("stranger", oc_key, "some other CA",
                                                                            other_key))),
        "other_client_key": _write(d / "other-client.key", _pem_key(oc_key)),
        "other_server_cert": _write(d / "other-server.pem", _pem_cert(_cert("localhost", os_key, "some other CA",
                                                                            other_key, server=True))),
        "other_server_key": _write(d / "other-server.key", _pem_key(os_key)),
    }
    return Certs(d, **files)


def server_props(c: Certs, mode: str = "enforcing", *, need: str = "none", auth_client: bool = False,
                 cert: Path | None = None, key: Path | None = None) -> dict[str, str]:
    """tls.* keys for a daemon's properties file: real certificates (test mode off), no tls.config.file."""
    return {"tls.server.mode": mode, "tls.test.mode.enable": "false", "tls.config.file": str(c.dir / "absent"),
            "tls.server.certPath": str(cert or c.server_cert), "tls.server.keyPath": str(key or c.server_key),
            "tls.server.need.client.auth": need, "tls.server.authClient": str(auth_client).lower(),
            "tls.server.trustCertPath": str(c.ca)}


def client_props(c: Certs, *, cert: Path | None = None, key: Path | None = None,
                 auth_server: bool = True) -> dict[str, str]:
    """tls.* keys of a client that verifies the server against the CA and shows `cert` (the CA's client
    certificate by default)."""
    return {"tls.enable": "true", "tls.test.mode.enable": "false", "tls.config.file": str(c.dir / "absent"),
            "tls.client.authServer": str(auth_server).lower(), "tls.client.trustCertPath": str(c.ca),
            "tls.client.certPath": str(cert or c.client_cert), "tls.client.keyPath": str(key or c.client_key)}
