"""The records the transaction service writes, built as 4.9.7 builds them (TransactionalMessageBridge,
EndTransactionProcessor#endMessageTransaction, DefaultTransactionalMessageCheckListener). Pure functions.

Property strings are written from a java.util.HashMap, so their order is HashMap order of the keys in the
order Java put them; where Java writes the string *before* changing the map, the stored record keeps the old
entries (the committed record still carries TRAN_MSG, PGROUP, REAL_TOPIC, REAL_QID)."""
from __future__ import annotations

from store import message as m

HALF_TOPIC = "RMQ_SYS_TRANS_HALF_TOPIC"
OP_TOPIC = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
CHECK_MAX_TIME_TOPIC = "TRANS_CHECK_MAX_TIME_TOPIC"
CHECK_GROUP = "CID_RMQ_SYS_TRANS"        # MixAll.CID_SYS_RMQ_TRANS: the check's offsets on both queues
REMOVE_TAG = "d"

PROPERTY_TRAN_MSG = "TRAN_MSG"
PROPERTY_PRODUCER_GROUP = "PGROUP"
PROPERTY_REAL_TOPIC = "REAL_TOPIC"
PROPERTY_REAL_QUEUE_ID = "REAL_QID"
PROPERTY_CHECK_TIMES = "TRANSACTION_CHECK_TIMES"
PROPERTY_PREPARED_QUEUE_OFFSET = "TRAN_PREPARED_QUEUE_OFFSET"
PROPERTY_CHECK_IMMUNITY_SECONDS = "CHECK_IMMUNITY_TIME_IN_SECONDS"
PROPERTY_WAIT = "WAIT"


def is_half_request(props: dict[str, str]) -> bool:
    """Boolean.parseBoolean(TRAN_MSG): the send is a transaction's half (prepare) message."""
    return props.get(PROPERTY_TRAN_MSG, "").lower() == "true"


def to_half(msg: m.StoredMessage, props: dict[str, str]) -> None:
    """parseHalfMessageInner: the real topic and queue go into properties, the transaction type is cleared and
    the message goes to the half topic, queue 0. `props` is the send's property map (WAIT back in, as Java's
    map holds it), changed in place; the string is rewritten from it."""
    props[PROPERTY_REAL_TOPIC] = msg.topic
    props[PROPERTY_REAL_QUEUE_ID] = str(msg.queue_id)
    msg.sys_flag = msg.sys_flag & ~0xC
    msg.topic = HALF_TOPIC
    msg.queue_id = 0
    msg.properties = m.properties_to_string(m.reorder_properties_like_java(props))


def committed(half: m.StoredMessage, props: dict[str, str] | None = None) -> tuple[m.StoredMessage, dict[str, str]]:
    """endMessageTransaction + the commit: the message for the real topic/queue, type COMMIT, pointing at the
    half record. Its properties string is the half's map written before REAL_TOPIC/REAL_QID/TRAN_MSG are taken
    out; the returned map is Java's map after those removals (it decides WAIT and the delay branch). `props`,
    the half's parsed map if the caller has it, is changed in place."""
    props = half.props if props is None else props
    text = m.properties_to_string(m.reorder_properties_like_java(props))
    msg = m.StoredMessage(topic=props[PROPERTY_REAL_TOPIC], body=half.body, queue_id=int(props[PROPERTY_REAL_QUEUE_ID]),
                          flag=half.flag, sys_flag=(half.sys_flag & ~0xC) | m.TRANSACTION_COMMIT_TYPE,
                          born_timestamp=half.born_timestamp, born_host=half.born_host,
                          reconsume_times=half.reconsume_times,
                          prepared_transaction_offset=half.physical_offset, properties=text)
    for key in (PROPERTY_REAL_TOPIC, PROPERTY_REAL_QUEUE_ID, PROPERTY_TRAN_MSG):
        props.pop(key, None)
    return msg, props


def renewed(half: m.StoredMessage, props: dict[str, str]) -> m.StoredMessage:
    """renewHalfMessageInner: a copy of a checked half message at the end of its queue. Java copies neither
    the flag nor reconsumeTimes (both 0 in the copy); `props` is the half's map as the check left it."""
    return m.StoredMessage(topic=half.topic, body=half.body, queue_id=half.queue_id, sys_flag=half.sys_flag,
                           born_timestamp=half.born_timestamp, born_host=half.born_host,
                           properties=m.properties_to_string(m.reorder_properties_like_java(props)))


def immunity_renewed(half: m.StoredMessage, props: dict[str, str]) -> m.StoredMessage:
    """renewImmunityHalfMessageInner: as `renewed`, remembering the first copy's queue offset."""
    props[PROPERTY_PREPARED_QUEUE_OFFSET] = props.get(PROPERTY_PREPARED_QUEUE_OFFSET, str(half.queue_offset))
    return renewed(half, props)


# Java writes an op record's string from the Message's map (TAGS, and WAIT=true from the Message constructor)
# before it sets WAIT=false and the UNIQ_KEY, so neither the later WAIT nor a UNIQ_KEY reaches the store
_OP_PROPERTIES = m.properties_to_string(
    m.reorder_properties_like_java({PROPERTY_WAIT: "true", m.PROPERTY_TAGS: REMOVE_TAG}))


def op_record(half_queue_offset: int, queue_id: int, store_host: tuple[str, int], now_ms: int) -> m.StoredMessage:
    """The op ("d") record of a decided half message: its body is the half's queue offset in ASCII."""
    return m.StoredMessage(topic=OP_TOPIC, body=str(half_queue_offset).encode("utf-8"), queue_id=queue_id,
                           born_timestamp=now_ms, born_host=store_host, properties=_OP_PROPERTIES)


def discarded(half: m.StoredMessage, props: dict[str, str], queue_id: int) -> m.StoredMessage:
    """toMessageExtBrokerInner: a half message checked too often goes to TRANS_CHECK_MAX_TIME_TOPIC."""
    return m.StoredMessage(topic=CHECK_MAX_TIME_TOPIC, body=half.body, queue_id=queue_id, flag=half.flag,
                           sys_flag=half.sys_flag, born_timestamp=half.born_timestamp, born_host=half.born_host,
                           reconsume_times=half.reconsume_times,
                           properties=m.properties_to_string(m.reorder_properties_like_java(props)))


def resumed(msg: m.StoredMessage, props: dict[str, str]) -> m.StoredMessage:
    """RESUME_CHECK_HALF_MESSAGE's toMessageExtBrokerInner: a (discarded) half message back in the half queue,
    its check count reset to 0 by the caller's map."""
    return m.StoredMessage(topic=HALF_TOPIC, body=msg.body, queue_id=0, flag=msg.flag, sys_flag=msg.sys_flag,
                           born_timestamp=msg.born_timestamp, born_host=msg.born_host,
                           reconsume_times=msg.reconsume_times,
                           properties=m.properties_to_string(m.reorder_properties_like_java(props)))


def check_body(half: m.StoredMessage, props: dict[str, str]) -> bytes:
    """The CHECK_TRANSACTION_STATE body (MessageDecoder.encode of the checked copy, storeSize 0 so the size is
    computed): the record with the real topic and queue, its half-queue and commit-log offsets."""
    copy = m.StoredMessage(topic=props.get(PROPERTY_REAL_TOPIC, half.topic), body=half.body,
                           queue_id=int(props.get(PROPERTY_REAL_QUEUE_ID, half.queue_id)), flag=half.flag,
                           queue_offset=half.queue_offset, physical_offset=half.physical_offset,
                           sys_flag=half.sys_flag, born_timestamp=half.born_timestamp, born_host=half.born_host,
                           store_timestamp=half.store_timestamp, store_host=half.store_host,
                           reconsume_times=half.reconsume_times,
                           prepared_transaction_offset=half.prepared_transaction_offset,
                           properties=m.properties_to_string(m.reorder_properties_like_java(props)))
    return bytes(m.encode(copy))


def java_long(text: str | None) -> int:
    """Long.parseLong with the service's fallback of -1 for anything unparsable."""
    try:
        return int(text) if text is not None and text.strip() == text else -1
    except ValueError:
        return -1
