"""TLS on the real daemons (subprocesses on uvloop), configured with Java's tls.* keys: an enforcing NameServer and
broker that only talk TLS (the broker registers over TLS with a client certificate), a permissive broker serving
both kinds on one port, a disabled NameServer refusing TLS, bad client certificates refused with a log line,
tls.config.file, and mqadmin with JAVA_OPT=-Dtls.enable=true."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from remoting import fastjson, tls
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from remoting.errors import RemotingConnectError, RemotingError
from store import message as m
from tests.support.daemons import BrokerProcess, NamesrvProcess
from tests.support.tlscerts import Certs, client_props, make_certs, server_props


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


def client(c: Certs | None = None, cert: Path | None = None, key: Path | None = None) -> RemotingClient:
    """Our remoting client over TLS: verifying the server against the test CA and showing `cert` when `c` is
    given, else in test mode (trusting anything, no certificate)."""
    if c is None:
        cfg = tls.load_tls_config({"tls.config.file": "/nonexistent"}, environ={})
    else:
        cfg = tls.load_tls_config(client_props(c, cert=cert, key=key), environ={})
    return RemotingClient(ssl=tls.build_client_context(cfg))


def log_of(daemon) -> Path:
    return daemon.workdir / "logs" / f"{daemon.module.split('.')[0]}.log"


def wait_log(daemon, needle: str, timeout: float = 10.0) -> str:
    """The first line of the daemon's log file holding `needle` (the server may log after the client saw the
    close); AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        path = log_of(daemon)
        text = path.read_text(errors="replace") if path.exists() else ""
        for line in text.splitlines():
            if needle in line:
                return line
        assert time.monotonic() < deadline, f"no {needle!r} in {path}:\n{text[-3000:]}"
        time.sleep(0.05)


def call(c: RemotingClient, addr: str, code: int, ext: dict | None = None, body: bytes | None = None):
    async def go():
        try:
            return await c.invoke(addr, make_request(code, ext, body), 5)
        finally:
            await c.close()
    return asyncio.run(go())


@pytest.fixture(scope="module")
def enforcing_pair(certs, tmp_path_factory):
    """A NameServer and a broker in enforcing mode with real certificates; both ask clients for a certificate
    signed by the test CA; the broker registers with its own client certificate (useTLS follows enforcing)."""
    base = tmp_path_factory.mktemp("enforcing")
    need = dict(need="require", auth_client=True)
    with NamesrvProcess(base / "namesrv", **server_props(certs, **need)) as ns:
        broker_keys = {**server_props(certs, **need), **client_props(certs)}
        broker_keys.pop("tls.enable")      # not given: useTLS = (tls.server.mode == enforcing), as BrokerStartup
        with BrokerProcess(base / "broker", ns.addr, **broker_keys) as br:
            yield ns, br


def test_enforcing_broker_registers_with_the_enforcing_namesrv_over_tls(enforcing_pair, certs):
    ns, br = enforcing_pair
    wait_log(br, f"registered to name server {ns.addr}")
    wait_log(ns, f"broker registered: cluster DefaultCluster, broker broker-a, id 0, address {br.addr}")
    resp = call(client(certs), ns.addr, RequestCode.GET_BROKER_CLUSTER_INFO)
    assert resp.code == ResponseCode.SUCCESS
    assert br.addr in fastjson.loads(resp.body)["brokerAddrTable"]["broker-a"]["brokerAddrs"].values()


def test_enforcing_refuses_plain_connections_with_a_log_line(enforcing_pair):
    ns, br = enforcing_pair
    for daemon, port in ((ns, ns.port), (br, br.port), (br, br.port - 2)):   # the VIP port too
        with pytest.raises(RemotingError):
            call(RemotingClient(), f"127.0.0.1:{port}", RequestCode.GET_BROKER_RUNTIME_INFO)
    for daemon in (ns, br):
        line = wait_log(daemon, "Clients intend to establish an insecure connection while this server is running "
                                "in SSL enforcing mode")
        assert "closing 127.0.0.1:" in line


def test_enforcing_broker_serves_send_and_pull_over_tls(enforcing_pair, certs):
    _ns, br = enforcing_pair
    info = call(client(certs), br.addr, RequestCode.GET_BROKER_RUNTIME_INFO)
    assert info.code == ResponseCode.SUCCESS and b"brokerVersionDesc" in info.body
    body = os.urandom(3000)       # bigger than one TLS record is not needed; random so it cannot be guessed

    async def go():
        c = client(certs)
        try:
            sent = await c.invoke(br.addr, make_request(RequestCode.SEND_MESSAGE, {
                "producerGroup": "PID_tls", "topic": "TlsTopic", "defaultTopic": "TBW102",
                "defaultTopicQueueNums": "4", "queueId": "0", "sysFlag": "0", "bornTimestamp": "1700000000000",
                "flag": "0", "properties": "TAGS\x01T\x02"}, body), 5)
            assert sent.code == ResponseCode.SUCCESS, sent
            pulled = await c.invoke(br.addr, make_request(RequestCode.PULL_MESSAGE, {
                "consumerGroup": "CID_tls", "topic": "TlsTopic", "queueId": "0", "queueOffset": "0",
                "maxMsgNums": "32", "sysFlag": "4", "commitOffset": "0", "suspendTimeoutMillis": "0",
                "subscription": "*", "subVersion": "0", "expressionType": "TAG"}), 5)
            return sent, pulled
        finally:
            await c.close()
    sent, pulled = asyncio.run(go())
    assert pulled.code == ResponseCode.SUCCESS, pulled
    got = m.decode(pulled.body)
    assert got.body == body and got.topic == "TlsTopic" and sent.ext("queueOffset") == "0"


@pytest.mark.parametrize("which", ["expired", "other CA", "none"])
def test_bad_client_certificates_are_refused_with_a_log_line(enforcing_pair, certs, which):
    _ns, br = enforcing_pair
    cert, key, reason = {
        "expired": (certs.expired_cert, certs.expired_key, "certificate verify failed: certificate has expired"),
        "other CA": (certs.other_client_cert, certs.other_client_key,
                     "certificate verify failed: unable to get local issuer certificate"),
        "none": (None, None, "PEER_DID_NOT_RETURN_A_CERTIFICATE"),
    }[which]
    if cert is None:
        c = RemotingClient(ssl=tls.build_client_context(tls.load_tls_config(
            {**client_props(certs), "tls.client.certPath": ""}, environ={})))
    else:
        c = client(certs, cert, key)
    with pytest.raises(RemotingError):
        call(c, br.addr, RequestCode.GET_BROKER_RUNTIME_INFO)
    line = wait_log(br, f"connection closed: {reason}")
    assert "broker: TLS handshake with 127.0.0.1:" in line


def test_client_refuses_a_server_it_cannot_verify(tmp_path, certs):
    keys = server_props(certs, cert=certs.other_server_cert, key=certs.other_server_key)
    with NamesrvProcess(tmp_path / "namesrv", **keys) as ns:
        with pytest.raises(RemotingConnectError, match="certificate verify failed"):
            call(client(certs), ns.addr, RequestCode.GET_BROKER_CLUSTER_INFO)


def test_permissive_broker_serves_plain_and_tls_on_one_port(namesrv, tmp_path):
    # Java's defaults: tls.server.mode=permissive, tls.test.mode.enable=true (a self-signed certificate)
    with BrokerProcess(tmp_path / "broker", namesrv.addr, **{"tls.config.file": str(tmp_path / "absent")}) as br:
        plain = call(RemotingClient(), br.addr, RequestCode.GET_BROKER_RUNTIME_INFO)
        secure = call(client(), br.addr, RequestCode.GET_BROKER_RUNTIME_INFO)
        assert plain.code == secure.code == ResponseCode.SUCCESS
        wait_log(br, "Server is running in TLS permissive mode")


def test_disabled_namesrv_refuses_tls(tmp_path):
    with NamesrvProcess(tmp_path / "namesrv", **{"tls.server.mode": "disabled"}) as ns:
        with pytest.raises(RemotingError):
            call(client(), ns.addr, RequestCode.GET_BROKER_CLUSTER_INFO)
        assert call(RemotingClient(), ns.addr, RequestCode.GET_BROKER_CLUSTER_INFO).code == ResponseCode.SUCCESS
        line = wait_log(ns, "Clients intend to establish an SSL connection while this server is running in SSL "
                            "disabled mode")
        assert "closing 127.0.0.1:" in line


def test_keys_from_tls_config_file(tmp_path, certs):
    """The tls.config.file sets the certificate (TlsHelper.extractTlsConfigFromFile); the mode stays the -c
    file's. A client verifying against the CA only succeeds when the file's certificate is served."""
    f = tmp_path / "tls.properties"
    f.write_text(f"tls.test.mode.enable=false\ntls.server.certPath={certs.server_cert}\n"
                 f"tls.server.keyPath={certs.server_key_encrypted}\ntls.server.keyPassword=s3cret-key-pass\n"
                 "tls.server.mode=disabled\n")
    with NamesrvProcess(tmp_path / "namesrv", **{"tls.config.file": str(f), "tls.server.mode": "enforcing"}) as ns:
        assert call(client(certs), ns.addr, RequestCode.GET_BROKER_CLUSTER_INFO).code == ResponseCode.SUCCESS
        with pytest.raises(RemotingError):
            call(RemotingClient(), ns.addr, RequestCode.GET_BROKER_CLUSTER_INFO)
        text = log_of(ns).read_text()
        assert f"tls config file {f} read" in text and "s3cret" not in text
        # GET_NAMESRV_CONFIG never shows a key password either
        conf = call(client(certs), ns.addr, RequestCode.GET_NAMESRV_CONFIG)
        assert b"s3cret" not in (conf.body or b"")


def test_mqadmin_with_java_opt_tls_enable(enforcing_pair, certs):
    ns, br = enforcing_pair
    args = [sys.executable, "-m", "tools.mqadmin", "clusterList", "-n", ns.addr]
    env = {k: v for k, v in os.environ.items() if k != "JAVA_OPT"}
    plain = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)
    assert plain.returncode != 0 and br.addr not in plain.stdout
    java_opt = " ".join(f"-D{k}={v}" for k, v in client_props(certs).items())
    secure = subprocess.run(args, capture_output=True, text=True, timeout=60, env={**env, "JAVA_OPT": java_opt})
    assert secure.returncode == 0, secure.stderr
    assert br.addr in secure.stdout


def test_broker_with_an_untrusted_client_certificate_cannot_register(tmp_path, certs):
    with NamesrvProcess(tmp_path / "namesrv", **server_props(certs, need="require", auth_client=True)) as ns:
        keys = {**client_props(certs, cert=certs.other_client_cert, key=certs.other_client_key),
                "tls.server.mode": "permissive"}       # tls.enable=true: the broker's client uses TLS
        with BrokerProcess(tmp_path / "broker", ns.addr, **keys) as br:
            wait_log(br, f"register broker to name server {ns.addr} failed")
            wait_log(ns, "certificate verify failed: unable to get local issuer certificate")
            resp = call(client(certs), ns.addr, RequestCode.GET_BROKER_CLUSTER_INFO)
            assert br.addr not in resp.body.decode()


def test_a_broker_whose_client_context_cannot_be_built_does_not_start(namesrv, tmp_path):
    """Java would log it and register in plain text; a broker told to use TLS refuses to start instead."""
    keys = {"tls.enable": "true", "tls.test.mode.enable": "false", "tls.client.authServer": "true",
            "tls.client.trustCertPath": str(tmp_path / "missing-ca.pem"), "tls.config.file": str(tmp_path / "x")}
    br = BrokerProcess(tmp_path / "broker", namesrv.addr, **keys)
    with pytest.raises(RuntimeError, match="before booting"):
        br.start()
    assert br.proc.wait(timeout=10) == 1
    assert f"tls.client.trustCertPath {tmp_path / 'missing-ca.pem'}: no such file" in br.stderr()
