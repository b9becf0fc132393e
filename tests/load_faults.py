"""A block-by-block load that fails part-way, for the tests of resuming it."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import torrentwatch.import_magnetico as magnetico_loading
from common.errors import WarehouseError


def fail_block_load(
    monkeypatch, block: int, module: ModuleType = magnetico_loading
) -> Callable[[], None]:
    """Make the ``block``-th ``load_batch`` call of ``module`` (magnetico imports unless
    told: ``torrentwatch.monitor_load`` for landed magnet lists) fail as a full disk would (its
    transaction rolled back, the blocks before it committed); returns the call that
    puts the real load back."""
    real_load = module.load_batch
    calls = []

    def load_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == block:
            raise WarehouseError("disk full (simulated)")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(module, "load_batch", load_batch)
    return lambda: monkeypatch.setattr(module, "load_batch", real_load)
