"""What crmtui's SES sender puts in ``Simple.Headers`` (crmtui.connectors.ses_ids)."""

from __future__ import annotations

from crmtui.connectors.ses import SesClient
from crmtui.connectors.ses_ids import delivered_message_id, provider_id_of, ses_headers
from crmtui.connectors.smtp import OutgoingEmail
from crmtui.secrets import Secret


def test_ses_headers_drop_what_ses_sets_and_carry_our_id_in_references() -> None:
    headers = {"Message-ID": "<k@d.fr>", "DATE": "x", "List-Unsubscribe": "<https://u>", "X-Campaign": "a"}
    assert ses_headers(headers, "k@d.fr") == [
        {"Name": "List-Unsubscribe", "Value": "<https://u>"},
        {"Name": "X-Campaign", "Value": "a"},
        {"Name": "References", "Value": "<k@d.fr>"},
    ]
    # A References the caller set is kept as is, never doubled.
    assert ses_headers({"references": "<a@b.fr>"}, "k@d.fr") == [{"Name": "references", "Value": "<a@b.fr>"}]


def test_the_sendemail_body_has_no_message_id_header() -> None:
    client = SesClient(
        None,  # type: ignore[arg-type]  # payload() does no I/O
        region="eu-west-3",
        access_key_id="AKIAEXAMPLE",
        secret_access_key=Secret("s"),
    )
    message = OutgoingEmail("k", "k@domaine-exemple.fr", "a@domaine-exemple.fr", "b@exemple.fr", "s", "", "t")
    names = [h["Name"] for h in client.payload(message)["Content"]["Simple"]["Headers"]]
    assert "Message-ID" not in names and names.count("References") == 1


def test_delivered_message_id_round_trips() -> None:
    mid = delivered_message_id("0107019a-abc-000000", "eu-west-3")
    assert mid == "0107019a-abc-000000@eu-west-3.amazonses.com"
    assert provider_id_of(f"<{mid}>") == "0107019a-abc-000000"
