"""A magnetico load that fails part-way, for the tests of resuming it."""

from __future__ import annotations

from collections.abc import Callable

import monitors.magnetico_load as loading
from torrentwatch.errors import WarehouseError


def fail_block_load(monkeypatch, block: int) -> Callable[[], None]:
    """Make the ``block``-th block load of magnetico imports fail as a full disk would
    (its transaction rolled back, the blocks before it committed); returns the call
    that puts the real load back."""
    real_load = loading.load_batch
    calls = []

    def load_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == block:
            raise WarehouseError("disk full (simulated)")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(loading, "load_batch", load_batch)
    return lambda: monkeypatch.setattr(loading, "load_batch", real_load)
