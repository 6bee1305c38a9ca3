"""Heartbeat enums arrive as names (Java, ali-ons) or ordinals (the C++ clients); the broker keeps Java's names."""
from broker.processors.client_manage import CONSUME_FROM, CONSUME_TYPES, MESSAGE_MODELS, enum_name


def test_ordinals_and_names_become_java_names():
    assert enum_name(0, CONSUME_TYPES, "CONSUME_PASSIVELY") == "CONSUME_ACTIVELY"   # a falsy ordinal is kept
    assert enum_name(1, CONSUME_TYPES, "x") == "CONSUME_PASSIVELY"
    assert enum_name(0, MESSAGE_MODELS, "CLUSTERING") == "BROADCASTING"
    assert enum_name("1", MESSAGE_MODELS, "x") == "CLUSTERING"
    assert enum_name(4, CONSUME_FROM, "x") == "CONSUME_FROM_FIRST_OFFSET"
    assert enum_name("CONSUME_FROM_TIMESTAMP", CONSUME_FROM, "x") == "CONSUME_FROM_TIMESTAMP"


def test_missing_or_unknown_values_take_the_default():
    for bad in (None, 9, -1, "nonsense", True, 1.5):
        assert enum_name(bad, MESSAGE_MODELS, "CLUSTERING") == "CLUSTERING"
