"""Tracking tokens, link rewriting, machine-open detection and the inbound parsers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmtui.engine.events_parse import nest_form, parse_copper, parse_form, parse_mailchimp, parse_ses_record
from crmtui.engine.tracking import BadToken, TrackingSigner, machine_reason, track_html
from crmtui.sandbox.sns import ses_event

SECRET = "k" * 32
BASE = "https://crm.exemple.fr"


def test_tokens_round_trip_and_are_kind_bound() -> None:
    s = TrackingSigner(SECRET)
    assert s.verify("o", s.open_token("<abc@x>")).message_id == "abc@x"
    click = s.verify("c", s.click_token("abc@x", 3))
    assert (click.message_id, click.link_index) == ("abc@x", 3)
    unsub = s.verify("u", s.unsubscribe_token("abc@x", " Jean@Exemple.fr "))
    assert unsub.email == "jean@exemple.fr"
    with pytest.raises(BadToken):
        s.verify("c", s.open_token("abc@x"))  # an open token is not a click token
    with pytest.raises(BadToken):
        TrackingSigner("z" * 32).verify("o", s.open_token("abc@x"))  # another key


@given(st.text(max_size=80))
def test_arbitrary_strings_are_never_accepted(token: str) -> None:
    s = TrackingSigner(SECRET)
    for kind in ("o", "c", "u"):
        with pytest.raises(BadToken):
            s.verify(kind, token)


def test_tampered_token_rejected() -> None:
    s = TrackingSigner(SECRET)
    token = s.unsubscribe_token("m@x", "a@exemple.fr")
    body, mac = token.split(".")
    other = s.unsubscribe_token("m@x", "b@exemple.fr").split(".")[0]
    with pytest.raises(BadToken):
        s.verify("u", f"{other}.{mac}")
    with pytest.raises(BadToken):
        s.verify("u", f"{body}.{mac[:-2]}AA")


def test_short_secret_refused() -> None:
    with pytest.raises(ValueError):
        TrackingSigner("short")


def test_link_rewriting_keeps_what_must_not_be_tracked() -> None:
    s = TrackingSigner(SECRET)
    html = (
        '<html><body><a href="https://vins.exemple.fr/a?x=1&amp;y=2">A</a>'
        "<a class='b' href='http://exemple.fr/b'>B</a>"
        '<a href="mailto:x@exemple.fr">mail</a><a href="#top">top</a>'
        f'<a href="{BASE}/u/tok">unsub</a><a data-crmtui-notrack href="https://keep.exemple.fr">k</a>'
        "</body></html>"
    )
    tracked = track_html(html, message_id="m1@x", signer=s, base_url=BASE)
    assert tracked.links == ["https://vins.exemple.fr/a?x=1&y=2", "http://exemple.fr/b"]
    assert "vins.exemple.fr" not in tracked.html
    assert 'href="mailto:x@exemple.fr"' in tracked.html and f'href="{BASE}/u/tok"' in tracked.html
    assert "https://keep.exemple.fr" in tracked.html
    assert tracked.html.index("/t/o/") < tracked.html.index("</body>")
    assert f"{BASE}/t/c/" in tracked.html


@pytest.mark.parametrize(
    ("agent", "ip", "seconds", "expected"),
    [
        ("Mozilla/5.0", "", 3600, "apple_mpp"),
        ("Mozilla/5.0 (Macintosh)", "17.58.1.2", 3600, "apple_mpp"),
        ("Mozilla/5.0 (Windows NT 10.0) Firefox/120", "", 3600, ""),
        ("Mozilla/5.0 (Windows NT 10.0) Firefox/120", "", 2, "too_fast"),
        ("Mozilla/5.0 ... (via ggpht.com GoogleImageProxy)", "", 3600, ""),
        ("Mozilla/5.0 ... (via ggpht.com GoogleImageProxy)", "", 5, "proxy_prefetch"),
        ("Barracuda Sentinel (EE)", "", 3600, "scanner"),
        ("", "", 3600, "no_user_agent"),
    ],
)
def test_machine_opens(agent: str, ip: str, seconds: float, expected: str) -> None:
    assert machine_reason(agent, ip, seconds) == expected


def test_ses_records_both_field_names() -> None:
    for field in ("eventType", "notificationType"):
        record = ses_event(
            "Bounce",
            message_id="ses-1",
            recipient="a@exemple.fr",
            field=field,
            bounce={
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": "A@exemple.fr"}],
                "timestamp": "2025-01-01T00:00:00.000Z",
            },
        )
        event = parse_ses_record(json.dumps(record))
        assert (event.kind, event.bounce_type, event.recipients) == ("bounce", "Permanent", ["a@exemple.fr"])
    delay = parse_ses_record(ses_event("DeliveryDelay", message_id="m", recipient="x@y.fr", deliveryDelay={}))
    assert delay.kind == "delivery_delay"
    key = "a" * 64
    send = parse_ses_record(
        ses_event(
            "Send", message_id="m", recipient="x@y.fr", tags={"ledger_key": [key]}, header_message_id="<k@x>"
        )
    )
    assert send.ledger_keys == [key] and send.header_message_id == "k@x"
    with pytest.raises(ValueError):
        parse_ses_record('{"eventType": "Surprise"}')


def test_mailchimp_form_parsing() -> None:
    body = (
        b"type=unsubscribe&fired_at=2025-01-24+15%3A30%3A00&data%5Baction%5D=unsub&data%5Breason%5D=manual"
        b"&data%5Bemail%5D=Jean%40Exemple.fr&data%5Bmerges%5D%5BEMAIL%5D=jean%40exemple.fr&data%5Blist_id%5D=L1"
    )
    form = nest_form(parse_form(body, "application/x-www-form-urlencoded"))
    assert form["data"]["merges"]["EMAIL"] == "jean@exemple.fr"
    event = parse_mailchimp(form)
    assert (event.type, event.email, event.action, event.list_id) == (
        "unsubscribe",
        "jean@exemple.fr",
        "unsub",
        "L1",
    )
    with pytest.raises(ValueError):
        parse_mailchimp({"type": "nope"})


def test_multipart_form_parsing() -> None:
    body = b'--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--XyZ--\r\n'
    assert parse_form(body, 'multipart/form-data; boundary="XyZ"') == [("List-Unsubscribe", "One-Click")]


def test_copper_notification_parsing() -> None:
    note = parse_copper({"ids": [1, 2], "type": "person", "event": "update", "subscription_id": 7})
    assert note.ids == [1, 2] and note.event == "update"
    bad_notes: list[dict[str, Any]] = [
        {"ids": []},
        {"ids": ["x"], "event": "new"},
        {"ids": [1], "event": "explode"},
    ]
    for bad in bad_notes:
        with pytest.raises(ValueError):
            parse_copper(bad)
