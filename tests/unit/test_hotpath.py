"""The compiled hot path: it is really used when built, a stale or unwanted build is never used, a build without
a compiler still installs, and compiled and pure-Python modules give the same bytes and the same errors."""
from __future__ import annotations

import importlib.machinery
import json
import os
import random
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from remoting import hotpath

ROOT = Path(__file__).resolve().parents[2]
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def _can_compile() -> bool:
    try:
        import Cython  # noqa: F401
    except ImportError:
        return False
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(cc) is not None


def test_every_listed_module_runs_in_the_mode_asked_for():
    modes = hotpath.module_modes()
    assert set(modes) == set(hotpath.COMPILED)
    if hotpath.pure_requested():
        assert set(modes.values()) == {"pure"}
        assert "ROCKETMQ_PY_PURE set" in hotpath.describe()
    elif _can_compile():
        # `make install` on a machine with Cython and a C compiler must have compiled every one of them
        assert set(modes.values()) == {"compiled"}, modes
        assert hotpath.describe().startswith("compiled hot path")


def _fake_tree(tmp_path: Path, so_newer: bool) -> None:
    pkg = tmp_path / "remoting"
    pkg.mkdir()
    src, ext = pkg / "codec.py", pkg / f"codec{SUFFIX}"
    src.write_text("X = 1\n")
    ext.write_bytes(b"not really an extension")
    old, new = 1_700_000_000, 1_700_000_100
    os.utime(src, (old, new if not so_newer else old))
    os.utime(ext, (old, old if not so_newer else new))


def test_a_fresh_build_is_used(tmp_path, monkeypatch):
    _fake_tree(tmp_path, so_newer=True)
    monkeypatch.setattr(hotpath, "_ROOT", str(tmp_path))
    monkeypatch.delenv(hotpath.PURE_ENV, raising=False)
    assert hotpath._SourceFirst().find_spec("remoting.codec") is None   # the normal import picks the extension


def test_a_stale_build_is_ignored_with_a_warning(tmp_path, monkeypatch):
    _fake_tree(tmp_path, so_newer=False)
    monkeypatch.setattr(hotpath, "_ROOT", str(tmp_path))
    monkeypatch.delenv(hotpath.PURE_ENV, raising=False)
    with pytest.warns(RuntimeWarning, match="older than its source"):
        spec = hotpath._SourceFirst().find_spec("remoting.codec")
    assert spec is not None and spec.origin == str(tmp_path / "remoting" / "codec.py")


def test_pure_mode_loads_the_source_even_over_a_fresh_build(tmp_path, monkeypatch):
    _fake_tree(tmp_path, so_newer=True)
    monkeypatch.setattr(hotpath, "_ROOT", str(tmp_path))
    monkeypatch.setenv(hotpath.PURE_ENV, "1")
    spec = hotpath._SourceFirst().find_spec("remoting.codec")
    assert spec is not None and spec.origin.endswith("codec.py")
    assert hotpath._SourceFirst().find_spec("remoting.client") is None   # not a listed module: untouched


def test_a_build_without_a_compiler_warns_and_succeeds(tmp_path):
    pytest.importorskip("Cython")   # the venv's build extra; pip's own build gets it from pyproject.toml
    for rel in ["setup.py", "pyproject.toml", "README.md", "remoting/hotpath.py"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, tmp_path / rel)
    for name in hotpath.COMPILED:
        base = name.replace(".", "/")
        for ext in (".py", ".pxd", ".c"):
            if (ROOT / (base + ext)).exists():
                (tmp_path / base).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / (base + ext), tmp_path / (base + ext))
    env = dict(os.environ, CC="/bin/false", LDSHARED="/bin/false")
    proc = subprocess.run([sys.executable, "-W", "ignore", "setup.py", "-q", "build_ext", "--inplace"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "WARNING: rocketmq-py:" in proc.stderr
    assert not list(tmp_path.rglob(f"*{SUFFIX}"))


# ---------------------------------------------------------------- compiled == pure, on the same inputs

_CORPUS_SCRIPT = r"""
import json, random, sys
from remoting import codec, hotpath
from remoting.codes import SerializeType
from remoting.command import RemotingCommand
from store import message as m

def text(rng, n):
    alphabet = "abcXYZ019_#%\x01\x02 é中\U0001F600"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, n)))

def outcome(fn):
    try:
        r = fn()
    except Exception as e:
        return ["error", type(e).__name__, str(e)]
    return ["ok", repr(r) if not isinstance(r, (bytes, bytearray)) else bytes(r).hex()]

rng = random.Random(int(sys.argv[1]))
results = []
for i in range(400):
    ext = {text(rng, 12): text(rng, 40) for _ in range(rng.randint(0, 8))} if rng.random() < 0.9 else None
    cmd = RemotingCommand(code=rng.randint(-40000, 40000), language=rng.choice(["JAVA", "CPP", "PYTHON", "GO", "x"]),
                          version=rng.randint(-40000, 40000), opaque=rng.randint(-2**32, 2**32),
                          flag=rng.randint(-2**32, 2**32), remark=text(rng, 30) if rng.random() < 0.5 else None,
                          ext_fields=ext, body=bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40))) or None,
                          serialize_type=rng.choice([SerializeType.ROCKETMQ, SerializeType.JSON]))
    frame = outcome(lambda: codec.encode_frame(cmd))
    results.append(frame)
    if frame[0] == "ok":
        raw = bytearray.fromhex(frame[1])
        results.append(outcome(lambda: codec.decode_frame(bytes(raw))))
        for _ in range(3):   # damaged copies: the same error (or the same result) in both modes
            bad = bytearray(raw)
            if len(bad) > 8:
                bad[rng.randrange(8, len(bad))] = rng.getrandbits(8)
            results.append(outcome(lambda: codec.decode_frame(bytes(bad))))
            results.append(outcome(lambda: codec.decode_rocketmq_header(bytes(bad[8:]))))
    props = m.properties_to_string({text(rng, 8) or "k": text(rng, 20) or "v" for _ in range(rng.randint(0, 6))})
    rec = m.StoredMessage(topic=text(rng, 20) or "T", body=bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64))),
                          queue_id=rng.randint(0, 7), flag=rng.randint(-5, 5), queue_offset=rng.randint(0, 2**40),
                          physical_offset=rng.randint(0, 2**40), sys_flag=rng.choice([0, 1, 2, 4, 8]),
                          born_timestamp=rng.randint(0, 2**42),
                          born_host=rng.choice([("127.0.0.1", 5000), ("::1", 6000), ("10.1.2.3", 65535)]),
                          store_timestamp=rng.randint(0, 2**42), store_host=("192.168.0.7", 10911),
                          reconsume_times=rng.randint(0, 16), properties=props)
    enc = outcome(lambda: m.encode(rec))
    results.append(enc)
    if enc[0] == "ok":
        raw = bytearray.fromhex(enc[1])
        results.append(outcome(lambda: m.decode(bytes(raw))))
        raw[rng.randrange(len(raw))] ^= 0xFF
        results.append(outcome(lambda: m.decode(bytes(raw))))
    results.append(outcome(lambda: m.string_to_properties(props)))
    key = text(rng, 60)
    results.append(outcome(lambda: m.java_string_hash(key)))
    results.append(outcome(lambda: m.tags_code(key or None)))
print(json.dumps({"mode": hotpath.describe(), "results": results}))
"""


def _corpus(pure: bool, seed: int) -> dict:
    env = dict(os.environ)
    env.pop(hotpath.PURE_ENV, None)
    if pure:
        env[hotpath.PURE_ENV] = "1"
    proc = subprocess.run([sys.executable, "-c", _CORPUS_SCRIPT, str(seed)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.mark.parametrize("seed", [1, 2])
def test_compiled_and_pure_modules_agree_byte_for_byte(seed):
    seed += random.Random().randint(0, 10**6) * 10    # a new corpus each run, printed on failure
    compiled, pure = _corpus(False, seed), _corpus(True, seed)
    assert "ROCKETMQ_PY_PURE set" in pure["mode"]
    assert len(compiled["results"]) == len(pure["results"]) > 1000
    for i, (a, b) in enumerate(zip(compiled["results"], pure["results"])):
        assert a == b, f"seed {seed}, item {i}: compiled {a} != pure {b} ({compiled['mode']})"


def test_daemons_tune_the_collector_after_start():
    import gc

    from remoting import runtime
    before = gc.get_threshold()
    try:
        runtime.tune_gc()
        assert gc.get_threshold() == runtime.GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
