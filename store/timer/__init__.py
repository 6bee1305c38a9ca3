"""Delivery at any time: the 5.x timer (TimerMessageStore) as a timing wheel plus an append-only timer log.

`wheel` (the timerwheel file: one 32-byte slot per precision tick), `log` (the timerlog files: 52-byte units
chained per slot), `checkpoint` (config/timercheck), `convert` (the message moves into and out of the timer
topic) and `service` (enqueue from the timer topic's consume queue, dequeue due slots, roll, recovery).
"""
