"""Two event processors at once (serve's loop and a sync cycle) apply each queued event exactly once."""

from __future__ import annotations

import threading

from crmtui.config import Settings
from crmtui.engine.events_in import EventProcessor
from crmtui.store import Store


def test_each_event_is_applied_once_by_concurrent_processors(settings: Settings, store: Store) -> None:
    for i in range(150):
        store.events.enqueue(
            "mailchimp", "unsubscribe", {"type": "unsubscribe", "data": {"email": f"p{i}@exemple.fr"}}
        )
    done: list[int] = []

    def worker() -> None:
        own = Store(store.path)  # its own connections, as a second process would have
        stats = EventProcessor(settings, own).process_pending()
        done.append(stats.done)
        own.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(done) == 150
    assert store.events.queue_counts() == {"done": 150}
    actions = store.query("SELECT count(*) AS n FROM event_actions WHERE target = 'copper'")
    assert actions[0]["n"] == 150  # one Copper tag queued per address, never two
