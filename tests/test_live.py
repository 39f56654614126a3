"""The data-version token: one store read per process per tick, however many tabs poll."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from helios_dash.services.live import TickCache


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_one_read_per_tick_for_a_thousand_polls():
    reads = []
    clock = FakeClock()
    cache = TickCache(lambda: reads.append(1) or len(reads), seconds=5, clock=clock)
    with ThreadPoolExecutor(max_workers=16) as pool:
        values = list(pool.map(lambda _: cache.get(), range(1000)))
    assert len(reads) == 1 and set(values) == {1}
    clock.now += 4.9  # 104.9: still the tick that started at 100
    assert cache.get() == 1 and len(reads) == 1
    clock.now += 0.2  # 105.1: a new tick reads again
    assert cache.get() == 2 and len(reads) == 2


def test_poll_callback_publishes_only_changes(dash_app, app_store):
    from helios_dash.pages._shell import update_data_version
    from helios_dash.services.live import current_data_version

    version = current_data_version()
    published, label = update_data_version(1, None)
    assert published == version and label.startswith("updated ")
    unchanged = update_data_version(2, version)
    assert all(part is __import__("dash").no_update for part in unchanged)
