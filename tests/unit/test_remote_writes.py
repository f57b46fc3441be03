"""The one classification of remote writes (crmtui.connectors.writes) is complete and cited."""

from __future__ import annotations

import pytest

from crmtui.connectors import writes


def test_every_write_is_classified_with_its_documentation() -> None:
    assert writes.WRITES
    for key, w in writes.WRITES.items():
        assert key == f"{w.service} {w.endpoint}"
        assert w.service in ("copper", "mailchimp")
        assert w.check
        assert all(
            url.strip().startswith(("https://developer.copper.com/", "https://mailchimp.com/developer/"))
            for url in w.doc.split(";")
        ), key


@pytest.mark.parametrize(
    ("service", "endpoint", "safe"),
    [
        ("copper", "POST /people", False),  # a repeat creates a second person
        ("copper", "PUT /people/{id}", True),  # the same fields set twice (tags: the whole list)
        ("mailchimp", "PUT /lists/{id}/members/{id}", True),  # an upsert by hash
        ("mailchimp", "PATCH /lists/{id}/members/{id} email_address", False),  # the old hash is gone
        ("mailchimp", "POST /lists/{id}/members/{id}/tags", True),  # statuses, not increments
        ("mailchimp", "POST /lists/{id} update_existing", True),
        ("mailchimp", "POST /lists/{id}", False),
    ],
)
def test_the_writes_crmtui_makes(service: str, endpoint: str, safe: bool) -> None:
    assert writes.idempotent(service, endpoint) is safe


def test_an_unclassified_write_is_a_bug() -> None:
    with pytest.raises(KeyError):
        writes.idempotent("copper", "POST /people/bulk_create")
