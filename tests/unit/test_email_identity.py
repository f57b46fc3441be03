"""The one email normaliser (``crmtui.records.emails.email_key``), property-tested, and its users."""

from __future__ import annotations

import hashlib
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from crmtui.connectors.copper import CopperPerson
from crmtui.connectors.mailchimp import MailchimpMember
from crmtui.connectors.mailchimp import normalize_email as mailchimp_key
from crmtui.engine.identity import normalize_email as sync_key
from crmtui.engine.identity import subscriber_hash
from crmtui.records.emails import email_key
from crmtui.records.normalize import normalize_email as etl_email
from crmtui.sandbox.data import normalize_email as sandbox_key
from crmtui.store import Store
from crmtui.store.scenarios import Audience, scenario_repo

ASCII_LOCAL = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+", min_size=1
)
ACCENTED = st.text(alphabet="aeiouéèêëàâäîïôöùûüçñÉÈÀÇ", min_size=1, max_size=12)


def full_width(text: str) -> str:
    """ASCII printable characters as their full-width forms (U+FF01..U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(st.text())
def test_the_key_is_idempotent(text: str) -> None:
    key = email_key(text)
    assert email_key(key) == key


@given(st.text())
def test_the_key_is_the_same_in_every_layer(text: str) -> None:
    key = email_key(text)
    assert sync_key(text) == mailchimp_key(text) == sandbox_key(text) == key


@given(ACCENTED, ASCII_LOCAL)
def test_nfd_and_nfc_spellings_are_one_address(accented: str, domain: str) -> None:
    address = f"{accented}@{domain}.fr"
    assert email_key(unicodedata.normalize("NFD", address)) == email_key(
        unicodedata.normalize("NFC", address)
    )


@given(ASCII_LOCAL, ASCII_LOCAL)
def test_full_width_and_case_variants_are_one_address(local: str, domain: str) -> None:
    address = f"{local}@{domain}.fr"
    assert email_key(full_width(address)) == email_key(address) == email_key(address.upper())
    assert email_key(f"  {address}\u3000\ufeff") == email_key(address)


@given(st.text())
def test_the_key_has_no_surrounding_space_and_is_folded(text: str) -> None:
    key = email_key(text)
    assert key == key.strip()
    assert key == key.casefold() or email_key(key.casefold()) == key
    assert unicodedata.is_normalized("NFKC", key)


def test_examples() -> None:
    assert email_key(" Jean.Dupont@Exemple.FR ") == "jean.dupont@exemple.fr"
    assert email_key("ｊｅａｎ＠ｅｘｅｍｐｌｅ．ｆｒ") == "jean@exemple.fr"
    assert email_key("Ze\u0301lie@exemple.fr") == "z\u00e9lie@exemple.fr"
    assert email_key("Straße@exemple.de") == "strasse@exemple.de"
    assert email_key(None) == "" and email_key("") == "" and email_key(42) == ""


def test_mailchimp_hash_of_a_key_is_md5_of_it() -> None:
    key = email_key("ＪＥＡＮ@Exemple.fr")
    assert subscriber_hash("ＪＥＡＮ@Exemple.fr") == hashlib.md5(key.encode()).hexdigest()  # noqa: S324


def test_connector_records_give_the_key() -> None:
    person = CopperPerson.from_json({"id": 1, "name": "J", "emails": [{"email": "ｊean@Exemple.fr"}]})
    assert person.primary_email == "jean@exemple.fr"
    member = MailchimpMember.from_json({"id": "x", "email_address": "Je\u0301r\u00f4me@exemple.fr"})
    assert member.normalized_email == email_key("Jérôme@exemple.fr")


@given(ACCENTED, ASCII_LOCAL)
def test_etl_emails_are_the_same_key(local: str, domain: str) -> None:
    address = f"{local}@{domain.lower().strip('.-+_') or 'x'}.fr"
    try:
        etl = etl_email(unicodedata.normalize("NFD", full_width(address)))
    except ValueError:
        return  # email-validator refuses it; the key of what it accepts is what matters
    assert etl == email_key(address)


def test_an_audience_counts_each_spelling_once(store: Store) -> None:
    nfc = "zélie.andré@exemple.fr"
    spellings = [
        nfc,
        unicodedata.normalize("NFD", nfc),
        full_width("ZÉLIE.ANDRÉ@exemple.fr"),
        f" {nfc.upper()} ",
    ]
    repo = scenario_repo(store)
    assert repo.audience_emails(Audience(emails=spellings)) == [nfc]
