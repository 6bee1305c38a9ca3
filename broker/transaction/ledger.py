"""Which transactions are still open, so none is decided twice.

Java 4.9.7 keeps no such state: END_TRANSACTION finds the half record by its commit-log offset and stores a
committed copy whatever happened before, so a commit after a rollback, a repeated commit, or the producer's
late answer to a half message the check has since copied (the copy is checked again) each deliver the
message again. Here every decision is keyed by the transaction (the half's UNIQ_KEY, which every copy keeps)
and refused once made. Nothing is persisted apart from the two topics: the ledger is rebuilt at start from
the half queue (from the check's offset on) and the op queue.

Memory: one entry per open transaction, plus the half-queue offsets decided since the check's offset (the
check advances that offset every `transactionCheckInterval`, and the entries below it are dropped).
"""
from __future__ import annotations

from store import message as m


def transaction_key(half: m.StoredMessage, props: dict[str, str] | None = None) -> str:
    """The transaction a half record belongs to: its client message id, kept by every checked copy (`props`:
    the record's property map when the caller has it parsed already)."""
    key = (half.props if props is None else props).get(m.PROPERTY_UNIQ_KEY)
    return key if key else f"#{half.physical_offset}"


class TransactionLedger:
    def __init__(self) -> None:
        self.open: dict[str, int] = {}        # transaction key -> queue offset of its newest half copy
        self.decided: set[int] = set()        # half-queue offsets with an op record, at or above `floor`
        self.floor = 0                        # the check's half-queue offset: everything below is settled

    def half_stored(self, key: str, queue_offset: int) -> None:
        self.open[key] = queue_offset

    def op_seen(self, half_queue_offset: int) -> None:
        if half_queue_offset >= self.floor:
            self.decided.add(half_queue_offset)

    def settle_decided(self) -> None:
        """After a rebuild: transactions whose newest copy has an op record are closed."""
        for key, offset in list(self.open.items()):
            if offset in self.decided:
                del self.open[key]

    def decision_targets(self, key: str, queue_offset: int) -> list[int] | None:
        """The half-queue offsets an END_TRANSACTION for the half at `queue_offset` closes (it and the newest
        copy the check made of it), or None when that transaction is already decided or discarded."""
        if queue_offset in self.decided:
            return None
        newest = self.open.get(key)
        if newest is None:
            # not open: below the floor it was settled (decided, discarded); at or above it, every half is
            # known, so an unknown one is an old record of a closed transaction
            return None
        return sorted({queue_offset, newest})

    def decided_now(self, key: str, offsets: list[int]) -> None:
        self.open.pop(key, None)
        for off in offsets:
            self.op_seen(off)

    def discarded(self, key: str) -> None:
        self.open.pop(key, None)

    def advance_floor(self, floor: int) -> None:
        if floor > self.floor:
            self.floor = floor
            self.decided = {off for off in self.decided if off >= floor}
