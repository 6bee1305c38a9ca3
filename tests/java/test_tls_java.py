"""The Java 4.9.7 client with setUseTLS(true) against our NameServer and broker in tls.server.mode=enforcing: it
produces and consumes, once with Java's TLS test mode on both sides (self-signed server certificate, the client
trusting anything: the common set-up) and once with real certificates (the Java client verifying our servers
against a CA with -Dtls.client.authServer=true, and showing a client certificate our servers require). The same
program with setUseTLS(false) is refused."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.daemons import BrokerProcess, NamesrvProcess
from tests.support.tlscerts import Certs, client_props, make_certs, server_props

from .oracle import ORACLE_HOME, java_env

COUNT = 10


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


def run_java(java, work: Path, jvm_props: dict[str, str], *args: object, timeout: float = 180) -> list[str]:
    """OracleTls with the -D system properties given (TlsSystemConfig reads them); its log lines."""
    work.mkdir(parents=True, exist_ok=True)
    env = java_env(work / "home", java.classes, jvm_opts=" ".join(f"-D{k}={v}" for k, v in jvm_props.items()))
    log = work / "tls.log"
    with open(work / "OracleTls.stdout.txt", "ab") as out:
        rc = subprocess.run([str(ORACLE_HOME / "bin" / "run-class"), "OracleTls", *map(str, args), "-o", str(log)],
                            cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            timeout=timeout).returncode
    lines = log.read_text().splitlines() if log.exists() else []
    assert rc == 0, (rc, lines[-5:], (work / "OracleTls.stdout.txt").read_text(errors="replace")[-3000:])
    return lines


def daemon_log(daemon) -> str:
    return (daemon.workdir / "logs" / f"{daemon.module.split('.')[0]}.log").read_text(errors="replace")


@pytest.mark.parametrize("setup", ["test mode", "verified certificates"])
def test_java_client_with_use_tls_against_enforcing_daemons(java, tmp_path, certs, phase, setup):
    absent = str(tmp_path / "no-tls.properties")
    if setup == "test mode":
        server = {"tls.server.mode": "enforcing", "tls.config.file": absent}
        broker_client: dict[str, str] = {}
        jvm = {"tls.config.file": absent}      # tls.test.mode.enable defaults to true: trusts our self-signed one
    else:
        server = server_props(certs, need="require", auth_client=True)
        broker_client = {k: v for k, v in client_props(certs).items() if k != "tls.enable"}
        jvm = {k: v for k, v in client_props(certs).items() if k != "tls.enable"}
    with NamesrvProcess(tmp_path / "ns", **server) as ns, \
            BrokerProcess(tmp_path / "broker", ns.addr, **{**server, **broker_client}) as br:
        phase("our enforcing NameServer and broker up (the broker registered over TLS)")
        lines = run_java(java, tmp_path / "java", jvm, "-n", ns.addr, "-t", "JavaTlsTopic", "-c", COUNT,
                         "--tls", "true")
        phase("Java producer and consumer over TLS")
        sends = [line.split() for line in lines if line.startswith("SEND ")]
        assert len(sends) == COUNT and all(s[2] == "SEND_OK" for s in sends), lines
        assert f"DONE sent={COUNT} received={COUNT}" in lines, lines[-5:]
        received = {line.split()[1] for line in lines if line.startswith("MSG ")}
        assert {s[3] for s in sends} <= received
        for daemon in (ns, br):
            text = daemon_log(daemon)
            assert "insecure connection" not in text and "TLS handshake with" not in text, text[-3000:]


def test_java_client_without_tls_is_refused_by_enforcing_daemons(java, tmp_path):
    absent = str(tmp_path / "no-tls.properties")
    server = {"tls.server.mode": "enforcing", "tls.config.file": absent}
    with NamesrvProcess(tmp_path / "ns", **server) as ns, BrokerProcess(tmp_path / "broker", ns.addr, **server):
        lines = run_java(java, tmp_path / "java", {"tls.config.file": absent}, "-n", ns.addr, "-t", "JavaTlsTopic",
                         "-c", 2, "--tls", "false")
        assert not [line for line in lines if line.startswith("SEND ")], lines
        assert len([line for line in lines if line.startswith("FAIL ")]) == 2, lines
        assert ("Clients intend to establish an insecure connection while this server is running in SSL enforcing "
                "mode") in daemon_log(ns)


def test_our_broker_registers_over_tls_with_a_java_namesrv_in_enforcing_mode(java, tmp_path):
    """The other direction: our client side (the broker's registration, our remoting client) against Java's
    Netty SslHandler, the Java NameServer started with -Dtls.server.mode=enforcing (test mode, self-signed)."""
    import asyncio

    from remoting import tls
    from remoting.client import RemotingClient
    from remoting.codes import RequestCode
    from remoting.command import make_request
    from remoting.errors import RemotingError

    from . import oracle

    absent = str(tmp_path / "no-tls.properties")
    java_ns = oracle.JavaNamesrv(tmp_path / "java-ns")
    java_ns.jvm_opts = f"-Dtls.server.mode=enforcing -Dtls.config.file={absent}"
    with java_ns as ns, \
            BrokerProcess(tmp_path / "broker", ns.addr, **{"tls.server.mode": "enforcing",
                                                           "tls.config.file": absent}) as br:
        async def ask(ssl):
            client = RemotingClient(ssl=ssl)
            try:
                return await client.invoke(ns.addr, make_request(RequestCode.GET_BROKER_CLUSTER_INFO), 10)
            finally:
                await client.close()
        cfg = tls.load_tls_config({"tls.config.file": absent}, environ={})
        resp = asyncio.run(ask(tls.build_client_context(cfg)))
        assert resp.code == 0 and br.addr in resp.body.decode(), resp      # registered over TLS
        with pytest.raises(RemotingError):
            asyncio.run(ask(None))
        # the Java NameServer really ran enforcing (its refusal of the plain client goes to a remoting log that
        # the oracle's logback set-up does not write)
        out = "".join(p.read_text(errors="replace") for p in (tmp_path / "java-ns").rglob("namesrv.log"))
        assert "Server is running in TLS enforcing mode" in out
