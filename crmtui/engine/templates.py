"""Email templates: ``{{variables}}``, validation, HTML escaping and a derived text part.

A template has a subject, an HTML body and a text body. ``{{ name }}`` is replaced by the contact's
value (``first_name``, ``email``...) or a scenario value (``scenario_name``, ``unsubscribe_link``).
Rules:

- a variable that is not known is an error when the scenario is **validated**, never a blank
  in a sent email;
- values are HTML-escaped in the HTML body (a contact named ``<script>`` stays text), kept as
  they are in the text body, and stripped of line breaks in the subject (no header injection);
- when only HTML is given, the text part is derived from it (links kept as ``text (url)``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
"""``{{ name }}``: letters, digits and underscores, spaces allowed inside the braces."""

RECOMMENDATION_VARIABLES = frozenset(
    {"recommended_product", "recommended_product_url", "recommendation_reason"}
)
"""Filled from the recommendation engine (empty when the contact has no recommendation)."""

BASE_VARIABLES = frozenset(
    {
        "domain",
        "email",
        "contact_name",
        "first_name",
        "last_name",
        "siret",
        "phone",
        "scenario_name",
        "unsubscribe_link",
        "tracking_base",
        *RECOMMENDATION_VARIABLES,
    }
)
"""Variables every template may use."""

CONTACT_FIELDS = frozenset(
    {
        # synced contacts
        "copper_id",
        "mailchimp_status",
        "copper_tags",
        # canonical customers (ETL)
        "customer_key",
        "company",
        "mobile",
        "zip_code",
        "city",
        "country",
        "segment",
        "first_purchase_date",
        "last_purchase_date",
        "total_spent_eur",
        "purchase_count",
        "average_order_value_eur",
        "preferred_category",
        "source",
    }
)
"""Contact fields a template may use besides :data:`BASE_VARIABLES` (columns of ``contacts`` and
``customers``)."""

KNOWN_VARIABLES = BASE_VARIABLES | CONTACT_FIELDS
"""Every variable a template may use."""


@dataclass(frozen=True)
class Template:
    """One email template of a scenario.

    Attributes:
        name: unique within the scenario.
        subject: the subject line (plain text, may hold variables).
        html: the HTML body ("" for a text-only email).
        text: the text body ("" to derive it from the HTML).
    """

    name: str
    subject: str
    html: str = ""
    text: str = ""


@dataclass(frozen=True)
class Rendered:
    """A template rendered for one contact."""

    subject: str
    html: str
    text: str


def variables(text: str) -> list[str]:
    """The variable names used in ``text``, in order of appearance (repeats kept)."""
    return VARIABLE.findall(text)


def unknown_variables(template: Template, known: Iterable[str] = KNOWN_VARIABLES) -> list[str]:
    """Variables used by ``template`` that are not in ``known`` (sorted, each once)."""
    allowed = set(known)
    used = set(variables(template.subject)) | set(variables(template.html)) | set(variables(template.text))
    return sorted(used - allowed)


def _fill(text: str, values: Mapping[str, str], escape: bool) -> str:
    def sub(match: re.Match[str]) -> str:
        value = values.get(match.group(1), "")
        return html.escape(value, quote=True) if escape else value

    return VARIABLE.sub(sub, text)


def render(template: Template, values: Mapping[str, object]) -> Rendered:
    """Render ``template`` with ``values`` (missing values become "", None too).

    Validation (:func:`unknown_variables`) is what rejects unknown names; rendering never fails.
    """
    text_values = {k: "" if v is None else str(v) for k, v in values.items()}
    subject = " ".join(_fill(template.subject, text_values, escape=False).split())
    body_html = _fill(template.html, text_values, escape=True) if template.html else ""
    if template.text:
        body_text = _fill(template.text, text_values, escape=False)
    elif body_html:
        body_text = html_to_text(body_html)
    else:
        body_text = ""
    return Rendered(subject=subject, html=body_html, text=body_text)


class _TextExtractor(HTMLParser):
    """Collects the readable text of an HTML body; links become ``text (url)``."""

    _BLOCK = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr"})
    _SKIP = frozenset({"style", "script", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            self._href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in ("p", "div", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6"):
            self.parts.append("\n")
        if tag == "a" and self._href:
            href = self._href.pop()
            if href and not href.startswith("#"):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(body: str) -> str:
    """A readable text version of an HTML body (the text part of a multipart email)."""
    parser = _TextExtractor()
    parser.feed(body)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"
