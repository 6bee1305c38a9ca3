"""A consume-queue entry being written when the process died: struct writes each field's bytes last to first, so a
kill can leave a tags code or size with only its low bytes. Recovery re-dispatches the message and the entry is
written again (a kept torn tags code would hide the message from a consumer filtering by tag)."""
from __future__ import annotations

import pytest

from store import message as m
from tests.support.stores import open_store, small_config


def torn_put(root, field: int, value: int) -> tuple[int, int, int]:
    """Three messages; then the last entry's size (field 1) or tags code (field 2) overwritten with `value`,
    and the store left as after a crash. Returns the entry as it should be."""
    s = open_store(small_config(root, mappedFileSizeCommitLog=1 << 20))
    for i in range(3):
        props = m.properties_to_string({"TAGS": f"tag-{i}"})
        assert s.put_message(m.StoredMessage(topic="T", body=b"x" * (300 + i), queue_id=0, properties=props)).ok
    cq = s.consume_queue("T", 0)
    good = cq.entry(2)
    entry = list(good)
    entry[field] = value
    mf = cq.queue.find(2 * 20)
    import struct
    struct.pack_into(">qiq", mf.mm, 2 * 20 - mf.file_from_offset, *entry)
    s.close(clean=False)
    return good


@pytest.mark.parametrize("field,torn", [(2, 0x3C), (1, 0x2D)])
def test_a_torn_last_entry_is_written_again_on_recovery(tmp_path, field, torn):
    good = torn_put(tmp_path / "s", field, torn)
    assert good[field] & 0xFF != torn         # the case is a real change
    s = open_store(small_config(tmp_path / "s", mappedFileSizeCommitLog=1 << 20))
    try:
        assert not s.last_exit_ok
        cq = s.consume_queue("T", 0)
        assert cq.entry(2) == good and cq.max_offset() == 3
        assert good[2] == m.tags_code("tag-2")
        got = s.get_message("T", 0, 0, 10, None)
        assert got.status.name == "FOUND" and len(got.buffers) == 3
    finally:
        s.close(clean=False)
