"""The cyclic garbage collector, set for a long-running server, once everything start-up builds exists.

Measured on the callbacks bench (docs/performance.md, "Garbage collection pauses"): a full collection walked the
~160,000 objects the process holds from start-up on (modules, the app, its models) and paused the event loop for
73–91 ms, a few times a minute under load, which was most of the callback p99. Frozen, those objects are left out
of every collection (`gc.freeze`); collections then walk only what was made since, and the thresholds space them
out: a young collection every 5,000 net allocations instead of 700, the oldest every 100 middle ones instead of 10.
Memory held by garbage cycles waits a little longer for its collection; nothing else changes.
"""

import gc

_THRESHOLDS = (5_000, 20, 100)


def settle_garbage_collector() -> int:
    """Freeze what exists now and space collections out; how many objects were frozen."""
    gc.freeze()
    gc.set_threshold(*_THRESHOLDS)
    return gc.get_freeze_count()
