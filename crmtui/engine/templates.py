"""Email templates: Jinja2 (sandboxed), validation, HTML escaping and a derived text part.

A template has a subject, an HTML body and a text body, rendered by Jinja2's
:class:`~jinja2.sandbox.SandboxedEnvironment` (a template cannot reach Python internals, files or
the network). ``{{ name }}`` is replaced by the contact's value (``first_name``, ``email``...) or a
scenario value (``scenario_name``, ``unsubscribe_link``), as before; Jinja2 statements choose text
by the contact's values (the estate's "templates conditionnels")::

    {% if segment == "VIP" %}Votre remise VIP vous attend.{% else %}Découvrez nos cuvées.{% endif %}

Rules:

- a variable that is not known (:data:`KNOWN_VARIABLES` and the store's contact fields) is an error
  when the scenario is **validated**, as is a syntax error (part and line named), never a blank or
  a traceback in a sent email; rendering uses ``StrictUndefined``, so a name that slipped past
  validation raises :class:`TemplateProblem` instead of sending an empty value;
- a known variable the contact has no value for renders as "" (``None`` too);
- values are HTML-escaped in the HTML body exactly as before Jinja2 (``html.escape(quote=True)``:
  a contact named ``<script>`` stays text; ``tests/fixtures/templates_golden.json`` holds the old
  renderer's outputs), kept as they are in the text body, and stripped of line breaks in the
  subject (no header injection);
- ``{{tracking_base}}https://site/page`` (the estate's link form) is the plain link
  ``https://site/page``: the sender tracks it like any other link (signed click URL);
- when only HTML is given, the text part is derived from it (links kept as ``text (url)``).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, meta
from jinja2 import Template as JinjaTemplate
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

import crmtui.i18n.scenarios  # noqa: F401 - registers the footer strings
from crmtui.i18n import t

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
"""``{{ name }}``: letters, digits and underscores, spaces allowed inside the braces (a fallback
for :func:`variables` when a template does not parse)."""
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


class TemplateProblem(Exception):
    """A template that does not parse, names an undefined variable, or fails while rendering.

    Attributes:
        template: the template's name.
        part: ``subject``, ``html`` or ``text``.
        kind: ``syntax``, ``undefined`` or ``render``.
        detail: Jinja2's own words (for ``undefined``: the variable's name).
        line: the line in that part (0 when unknown).
    """

    def __init__(self, template: str, part: str, kind: str, detail: str, line: int = 0) -> None:
        self.template, self.part, self.kind, self.detail, self.line = template, part, kind, detail, line
        super().__init__(f"{template} ({part}, line {line}): {kind}: {detail}")


def _html_value(value: Any) -> Any:
    """Autoescaping as before Jinja2: ``html.escape(str(value), quote=True)`` (``&#x27;`` for ``'``),
    ``None`` as "", and markup that is already safe (``|safe``, ``|e``) left alone."""
    if value is None:
        return ""
    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value), quote=True))


def _text_value(value: Any) -> Any:
    return "" if value is None else value


def _environment(escape: bool) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        autoescape=escape,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        finalize=_html_value if escape else _text_value,
    )


_HTML_ENV = _environment(True)
_TEXT_ENV = _environment(False)
_PARTS = ("subject", "html", "text")


def _undefined_name(exc: UndefinedError) -> str:
    match = re.match(r"^'([^']+)' is undefined$", str(exc))
    return match.group(1) if match else ""


@functools.lru_cache(maxsize=512)
def _compiled(source: str, escape: bool) -> JinjaTemplate:
    return (_HTML_ENV if escape else _TEXT_ENV).from_string(source)


def _compile(template: Template, part: str, source: str) -> JinjaTemplate:
    try:
        return _compiled(source, part == "html")
    except TemplateSyntaxError as exc:
        raise TemplateProblem(
            template.name, part, "syntax", exc.message or str(exc), exc.lineno or 0
        ) from None


def syntax_problems(template: Template) -> list[TemplateProblem]:
    """The syntax errors of ``template``, one per part that does not parse (empty when it parses)."""
    found = []
    for part in _PARTS:
        source = getattr(template, part)
        if not source:
            continue
        try:
            _compile(template, part, source)
        except TemplateProblem as exc:
            found.append(exc)
    return found


def variables(text: str) -> list[str]:
    """The variable names ``text`` reads (sorted, each once; names it sets itself left out).

    A text that does not parse falls back to the plain ``{{ name }}`` occurrences.
    """
    try:
        return sorted(meta.find_undeclared_variables(_TEXT_ENV.parse(text)))
    except TemplateSyntaxError:
        return sorted(set(VARIABLE.findall(text)))


def unknown_variables(template: Template, known: Iterable[str] = KNOWN_VARIABLES) -> list[str]:
    """Variables used by ``template`` that are not in ``known`` (sorted, each once)."""
    allowed = set(known)
    used = set(variables(template.subject)) | set(variables(template.html)) | set(variables(template.text))
    return sorted(used - allowed)


def _render_part(template: Template, part: str, context: Mapping[str, Any]) -> str:
    source = getattr(template, part)
    compiled = _compile(template, part, source)
    try:
        return compiled.render(context)
    except UndefinedError as exc:
        name = _undefined_name(exc)
        kind, detail = ("undefined", name) if name else ("render", str(exc))
        raise TemplateProblem(template.name, part, kind, detail) from None
    except TemplateError as exc:
        raise TemplateProblem(template.name, part, "render", str(exc)) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        # e.g. ``{% if total_spent_eur > 100 %}`` for a contact without a value ("" > 100).
        raise TemplateProblem(template.name, part, "render", f"{type(exc).__name__}: {exc}") from None


def _untrack_prefix(text: str, base: str) -> str:
    """``{base}https://x`` → ``https://x`` (the estate's ``{{tracking_base}}URL`` link form)."""
    if not base:
        return text
    for scheme in ("https://", "http://"):
        text = text.replace(base + scheme, scheme)
    return text


def render(
    template: Template, values: Mapping[str, object], known: Iterable[str] = KNOWN_VARIABLES
) -> Rendered:
    """Render ``template`` with ``values``.

    Args:
        values: the contact's and the scenario's values (``None`` renders as "").
        known: variables that render as "" when ``values`` has none for this contact.

    Raises:
        TemplateProblem: a syntax error, a variable neither in ``values`` nor in ``known``
            (validation reports those first), or an error while rendering.
    """
    context: dict[str, Any] = dict.fromkeys(known, "")
    context.update(values)
    base = str(context.get("tracking_base") or "")
    subject = " ".join(_untrack_prefix(_render_part(template, "subject", context), base).split())
    body_html = ""
    if template.html:
        body_html = _untrack_prefix(_render_part(template, "html", context), html.escape(base, quote=True))
    if template.text:
        body_text = _untrack_prefix(_render_part(template, "text", context), base)
    elif body_html:
        body_text = html_to_text(body_html)
    else:
        body_text = ""
    return Rendered(subject=subject, html=body_html, text=body_text)


def uses_unsubscribe_link(template: Template) -> bool:
    """Whether a template places ``{{unsubscribe_link}}`` itself (in its HTML, or its text when text-only)."""
    body = template.html or template.text
    return "unsubscribe_link" in variables(body)


def with_unsubscribe_footer(rendered: Rendered, url: str) -> Rendered:
    """``include_unsubscribe``: a footer unsubscribe link for a template that has none of its own."""
    label = t("scenarios.footer.unsubscribe")
    body_html = rendered.html
    if body_html:
        footer = (
            '<p style="font-size:12px;color:#666666"><a href="'
            + html.escape(url, quote=True)
            + '">'
            + html.escape(label)
            + "</a></p>"
        )
        end = _BODY_END.search(body_html)
        body_html = (
            body_html[: end.start()] + footer + body_html[end.start() :] if end else body_html + footer
        )
    line = t("scenarios.footer.unsubscribe_text", url=url)
    body_text = rendered.text.rstrip("\n") + "\n\n" + line + "\n" if rendered.text.strip() else line + "\n"
    return Rendered(rendered.subject, body_html, body_text)


_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


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
