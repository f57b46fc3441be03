"""RFM segment rules, one row per rule and boundary."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from crmtui.engine.etl import RfmThresholds, rfm_segment

AS_OF = date(2025, 6, 1)
TH = RfmThresholds()


@pytest.mark.parametrize(
    ("orders", "total", "days_ago", "expected"),
    [
        (0, 0.0, None, "PROSPECT"),
        (3, 200.0, 731, "INACTIVE"),
        (9, 9000.0, 731, "INACTIVE"),
        (3, 200.0, 730, "AT_RISK"),
        (9, 9000.0, 366, "AT_RISK"),
        (3, 200.0, 365, "STANDARD"),
        (1, 1000.0, 10, "VIP"),
        (6, 60.0, 10, "VIP"),
        (5, 999.99, 0, "STANDARD"),
    ],
)
def test_rfm_segment(orders: int, total: float, days_ago: int | None, expected: str) -> None:
    last = None if days_ago is None else AS_OF - timedelta(days=days_ago)
    assert rfm_segment(orders, total, last, AS_OF, TH) == expected


def test_thresholds_are_configurable() -> None:
    strict = RfmThresholds(vip_monetary=5000, vip_orders=20, at_risk_days=90, inactive_days=180)
    assert rfm_segment(6, 1200.0, AS_OF - timedelta(days=10), AS_OF, strict) == "STANDARD"
    assert rfm_segment(6, 1200.0, AS_OF - timedelta(days=100), AS_OF, strict) == "AT_RISK"
