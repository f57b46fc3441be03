"""The plain-text account of an erasure run (``crmtui erase`` prints it; the console shows it)."""

from __future__ import annotations

from crmtui.engine.erase import EraseOutcome, EraseResult
from crmtui.i18n import t
from crmtui.text import printable


def _who(result: EraseResult, show_addresses: bool) -> str:
    ref = f"#{result.op_id}" if result.op_id else ""
    if show_addresses:
        return f"{printable(result.email)} {ref}".strip()
    return ref or t("erase.unnamed")


def _answer(system: str, answer: str) -> str:
    return t(f"erase.answer.{answer}") if f"erase.answer.{answer}" in _KNOWN else printable(answer)


_KNOWN = {
    f"erase.answer.{a}"
    for a in (
        "deleted",
        "absent",
        "failed",
        "not_configured",
        "pending",
        "present",
        "subscribed",
        "unsubscribed",
        "cleaned",
        "archived",
        "transactional",
    )
}


def render_outcome(outcome: EraseOutcome, *, show_addresses: bool = True) -> str:
    """One block per address: what each system answered, rows and files; then the verdict."""
    lines: list[str] = [t("erase.dry_run_title") if outcome.dry_run else t("erase.title")]
    if not outcome.results:
        lines.append("  " + t("erase.nothing"))
    for r in outcome.results:
        lines.append("")
        if r.already:
            lines.append(t("erase.already", who=_who(r, show_addresses)))
            continue
        lines.append(_who(r, show_addresses))
        lines.append("  Mailchimp: " + _answer("mailchimp", r.mailchimp))
        copper = _answer("copper", r.copper)
        if r.copper_people:
            copper += " " + t("erase.people", n=r.copper_people)
        lines.append("  Copper: " + copper)
        rows = sum(r.store.values())
        lines.append("  " + t("erase.store", rows=rows, tables=len(r.store)))
        for table, n in sorted(r.store.items()):
            lines.append(f"    {table}: {n}")
        if r.files:
            lines.append("  " + t("erase.files", n=len(r.files)))
            for path, action, n in r.files:
                key = "erase.file.deleted" if action == "deleted" else "erase.file.rewritten"
                if action.startswith("failed:"):
                    lines.append("    " + t("erase.file.failed", path=printable(path), reason=action[7:]))
                else:
                    lines.append("    " + t(key, path=printable(path), n=n))
        else:
            lines.append("  " + t("erase.files_none"))
        for error in r.errors:
            lines.append("  ✘ " + printable(error))
    lines.append("")
    if outcome.dry_run:
        lines.append(t("erase.dry_run_done"))
    elif outcome.confirmed:
        lines.append(t("erase.all_confirmed"))
    else:
        if not outcome.compacted:
            lines.append(t("erase.not_compacted"))
        if not all(r.confirmed for r in outcome.results):
            lines.append(t("erase.unconfirmed"))
    return "\n".join(lines)
