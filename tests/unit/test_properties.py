"""Java properties files and the config loader."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from remoting.config import ConfigError, apply_properties, format_properties, parse_properties


def test_parse_properties_like_java():
    text = ("# comment\n! also comment\n  listenPort = 9876\nkey:value\nspaced value here\n"
            "multi=a\\\n    b\nuni=\\u0041\\tx\nempty=\n")
    assert parse_properties(text) == {"listenPort": "9876", "key": "value", "spaced": "value here",
                                      "multi": "ab", "uni": "A\tx", "empty": ""}


@dataclass
class _Cfg:
    listenPort: int = 1
    enable: bool = False
    name: str = "x"


def test_apply_sets_typed_fields_and_reports_unknown_keys():
    cfg = _Cfg()
    unknown = apply_properties({"listenPort": "10911 ", "enable": "TRUE", "name": " y", "typo": "1"}, cfg)
    assert (cfg.listenPort, cfg.enable, cfg.name, unknown) == (10911, True, " y", ["typo"])
    assert format_properties(cfg) == "listenPort=10911\nenable=true\nname= y\n"


@pytest.mark.parametrize("props", [{"listenPort": "98x"}, {"enable": "yes"}])
def test_bad_values_fail_loudly(props):
    with pytest.raises(ConfigError):
        apply_properties(props, _Cfg())
