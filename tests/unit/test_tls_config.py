"""remoting/tls: the tls.* keys with Java's defaults and precedence (TlsSystemConfig,
TlsHelper.extractTlsConfigFromFile), and the SSLContexts TlsHelper.buildSslContext makes, checked by real in-memory handshakes (no sockets)."""
from __future__ import annotations

import datetime
import ssl

import pytest

from broker.config import load_settings
from remoting import tls
from remoting.config import RuntimeConfiguration
from tests.support.tlscerts import KEY_PASSWORD, Certs, make_certs


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


def no_file(tmp_path) -> dict[str, str]:
    return {"tls.config.file": str(tmp_path / "absent.properties")}


def test_defaults_are_javas(tmp_path):
    cfg = tls.load_tls_config(no_file(tmp_path), environ={})
    assert (cfg.server_mode, cfg.enable, cfg.test_mode_enable, cfg.server_need_client_auth) == (
        "permissive", False, True, "none")
    assert (cfg.server_auth_client, cfg.client_auth_server, cfg.server_cert_path, cfg.client_trust_cert_path) == (
        False, False, "", "")
    assert tls.TlsConfig().config_file == "/etc/rocketmq/tls.properties" and not cfg.enable_given
    assert set(tls.KEYS) == {
        "tls.server.mode", "tls.enable", "tls.config.file", "tls.test.mode.enable", "tls.server.need.client.auth",
        "tls.server.keyPath", "tls.server.keyPassword", "tls.server.certPath", "tls.server.authClient",
        "tls.server.trustCertPath", "tls.client.keyPath", "tls.client.keyPassword", "tls.client.certPath",
        "tls.client.authServer", "tls.client.trustCertPath"}


def test_java_value_parsing(tmp_path):
    cfg = tls.load_tls_config({**no_file(tmp_path), "tls.enable": "TRUE", "tls.test.mode.enable": "yes",
                               "tls.server.mode": "strict"}, environ={})
    # Boolean.parseBoolean: only "true" in any case; TlsMode.parse: an unknown name is permissive
    assert cfg.enable and cfg.enable_given and not cfg.test_mode_enable and cfg.server_mode == "permissive"
    assert [tls._need_client_auth(v) for v in ("REQUIRE", "optional", "", "sometimes")] == [
        "require", "optional", "none", "none"]


def test_precedence_conf_then_java_opt_then_tls_config_file(tmp_path):
    f = tmp_path / "tls.properties"
    f.write_text("tls.server.mode=disabled\ntls.enable=false\ntls.test.mode.enable=false\n"
                 "tls.server.certPath=/from/file.pem\ntls.client.authServer=true\n")
    props = {"tls.config.file": str(f), "tls.server.mode": "enforcing", "tls.enable": "true",
             "tls.server.certPath": "/from/conf.pem", "tls.server.keyPath": "/from/conf.key"}
    java_opt = "-Xmx1g -Dtls.server.keyPath=/from/java_opt.key -Dtls.enable=true -Dother.key=1"
    cfg = tls.load_tls_config(props, environ={"JAVA_OPT": java_opt})
    assert cfg.file_read == str(f)
    # the file sets everything but the mode, tls.enable and its own name (TlsSystemConfig)
    assert (cfg.server_mode, cfg.enable) == ("enforcing", True)
    assert (cfg.test_mode_enable, cfg.server_cert_path, cfg.client_auth_server) == (False, "/from/file.pem", True)
    assert cfg.server_key_path == "/from/java_opt.key"      # -D beats the daemon's file, the tls file says nothing
    assert tls.java_opt_properties("-Dtls.enable -Dtls.server.mode='enforcing' -Dtlsx=1") == {
        "tls.enable": "", "tls.server.mode": "enforcing"}


def test_secrets_never_shown(tmp_path, caplog):
    cfg = tls.load_tls_config({**no_file(tmp_path), "tls.server.keyPassword": "hunter2",
                               "tls.client.keyPassword": "hunter3"}, environ={})
    shown = dict(cfg.items())
    assert shown["tls.server.keyPassword"] == shown["tls.client.keyPassword"] == "***"
    with caplog.at_level("INFO"):
        tls.log_config(cfg)
    assert "hunter" not in caplog.text and "tls.server.keyPassword=***" in caplog.text


def test_broker_use_tls_follows_broker_startup(tmp_path):
    base = {"storePathRootDir": str(tmp_path / "s"), **no_file(tmp_path)}
    use = lambda **kv: load_settings(None, overrides={**base, **kv})[0].use_tls  # noqa: E731
    assert use() is False                                               # permissive: plain
    assert use(**{"tls.server.mode": "enforcing"}) is True              # enforcing: the broker's client too
    assert use(**{"tls.server.mode": "enforcing", "tls.enable": "false"}) is False   # -Dtls.enable wins
    assert use(**{"tls.enable": "true"}) is True
    assert use(**{"tls.server.mode": "enforcing", "useTLS": "false"}) is False       # the useTLS key wins
    settings, unknown = load_settings(None, overrides={**base, "tls.server.keyPassword": "pw", "tls.bogus": "1"})
    assert unknown == ["tls.bogus"]                                     # known tls keys are not "unknown"
    assert settings.tls.server_key_password == "pw"


def test_get_config_answer_leaves_out_key_passwords(tmp_path):
    rc = RuntimeConfiguration([], {"tls.server.keyPassword": "pw", "tls.server.keyPath": "/k"}, lambda: None)
    assert "tls.server.keyPassword" not in rc.format_all() and "tls.server.keyPath=/k" in rc.format_all()
    assert "tls.server.keyPassword=pw" in rc.format_all(secrets=True)   # the persisted file keeps it


# ----------------------------------------------------------------------------------------- contexts, handshakes
def handshake(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext) -> ssl.SSLObject:
    """Run a TLS handshake between the two contexts in memory; the server's SSLObject, or the first error."""
    sin, sout, cin, cout = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    server = server_ctx.wrap_bio(sin, sout, server_side=True)
    client = client_ctx.wrap_bio(cin, cout, server_side=False, server_hostname=None)
    done = {"s": False, "c": False}
    for _ in range(20):
        for name, obj in (("c", client), ("s", server)):
            if not done[name]:
                try:
                    obj.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
            sin.write(cout.read())
            cin.write(sout.read())
        if all(done.values()):
            # TLS 1.3: the server learns of a refused client certificate only on its first read
            client.write(b"x")
            sin.write(cout.read())
            server.read(1)
            return server
    raise AssertionError("handshake did not finish")


def props(tmp_path, d: dict[str, str]) -> tls.TlsConfig:
    return tls.load_tls_config({**no_file(tmp_path), **d}, environ={})


def test_test_mode_self_signed_server_and_trusting_client(tmp_path):
    c = props(tmp_path, {})
    server_ctx, client_ctx = tls.build_server_context(c), tls.build_client_context(c)
    assert server_ctx.verify_mode == ssl.CERT_OPTIONAL and client_ctx.verify_mode == ssl.CERT_NONE
    assert not client_ctx.check_hostname
    handshake(server_ctx, client_ctx)
    from cryptography import x509
    cert = x509.load_pem_x509_certificate(tls.self_signed_certificate()[0])
    assert cert.subject.rfc4514_string() == cert.issuer.rfc4514_string() == "CN=localhost"
    assert cert.not_valid_after_utc.year == 9999
    assert cert.not_valid_before_utc < datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=300)


def server_keys(c: Certs, **kv: str) -> dict[str, str]:
    return {"tls.test.mode.enable": "false", "tls.server.certPath": str(c.server_cert),
            "tls.server.keyPath": str(c.server_key), "tls.server.trustCertPath": str(c.ca), **kv}


def client_keys(c: Certs, cert=None, key=None, **kv: str) -> dict[str, str]:
    return {"tls.test.mode.enable": "false", "tls.client.authServer": "true",
            "tls.client.trustCertPath": str(c.ca), "tls.client.certPath": str(cert or c.client_cert),
            "tls.client.keyPath": str(key or c.client_key), **kv}


def test_client_certificates_required_and_verified(tmp_path, certs):
    server = tls.build_server_context(props(tmp_path, server_keys(
        certs, **{"tls.server.need.client.auth": "require", "tls.server.authClient": "true"})))
    assert server.verify_mode == ssl.CERT_REQUIRED
    ok = handshake(server, tls.build_client_context(props(tmp_path, client_keys(certs))))
    assert dict(x[0] for x in ok.getpeercert()["subject"])["commonName"] == "client"
    for cert, key, why in ((certs.expired_cert, certs.expired_key, "certificate has expired"),
                           (certs.other_client_cert, certs.other_client_key, "unable to get local issuer")):
        with pytest.raises(ssl.SSLCertVerificationError, match=why):   # the server refuses it
            handshake(server, tls.build_client_context(props(tmp_path, client_keys(certs, cert, key))))
    no_cert = tls.build_client_context(props(tmp_path, {"tls.test.mode.enable": "false"}))
    with pytest.raises(ssl.SSLError, match="peer did not return a certificate"):
        handshake(server, no_cert)


def test_client_verifies_the_server_only_when_asked(tmp_path, certs):
    stranger = tls.build_server_context(props(tmp_path, server_keys(
        certs, **{"tls.server.certPath": str(certs.other_server_cert),
                  "tls.server.keyPath": str(certs.other_server_key)})))
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(stranger, tls.build_client_context(props(tmp_path, client_keys(certs))))
    # authServer=false: Java's InsecureTrustManagerFactory, any server will do
    handshake(stranger, tls.build_client_context(props(tmp_path, client_keys(
        certs, **{"tls.client.authServer": "false"}))))
    handshake(tls.build_server_context(props(tmp_path, server_keys(certs))),
              tls.build_client_context(props(tmp_path, client_keys(certs))))


def test_key_password_and_bad_files(tmp_path, certs):
    enc = server_keys(certs, **{"tls.server.keyPath": str(certs.server_key_encrypted)})
    tls.build_server_context(props(tmp_path, {**enc, "tls.server.keyPassword": KEY_PASSWORD}))
    with pytest.raises(tls.TlsError, match="tls.server.certPath"):
        tls.build_server_context(props(tmp_path, {**enc, "tls.server.keyPassword": "wrong"}))
    with pytest.raises(tls.TlsError, match="tls.server.keyPath .*no such file"):
        tls.build_server_context(props(tmp_path, server_keys(certs, **{"tls.server.keyPath": "/nope.key"})))
    with pytest.raises(tls.TlsError, match="certPath and tls.server.keyPath are needed"):
        tls.build_server_context(props(tmp_path, {"tls.test.mode.enable": "false"}))
    with pytest.raises(tls.TlsError, match="tls.client.trustCertPath"):
        tls.build_client_context(props(tmp_path, client_keys(certs, **{"tls.client.trustCertPath": "/nope.pem"})))


def test_need_client_auth_without_auth_client(tmp_path, certs):
    # none, or optional without authClient: no certificate asked for (Java asks for one and ignores it)
    for need in ("none", "optional"):
        ctx = tls.build_server_context(props(tmp_path, server_keys(certs, **{"tls.server.need.client.auth": need})))
        assert ctx.verify_mode == ssl.CERT_NONE
    ctx = tls.build_server_context(props(tmp_path, server_keys(
        certs, **{"tls.server.need.client.auth": "optional", "tls.server.authClient": "true"})))
    assert ctx.verify_mode == ssl.CERT_OPTIONAL
