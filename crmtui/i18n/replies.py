"""User-facing text of reply detection (IMAP polling for ``stop_on_reply``), in French and English.

Importing this module merges :data:`REPLIES_CATALOGUE` into :data:`crmtui.i18n.CATALOGUE`.
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

REPLIES_CATALOGUE: dict[str, dict[str, str]] = {
    "replies.error": {
        "fr": "détection des réponses (IMAP) impossible : {error}",
        "en": "reply detection (IMAP) failed: {error}",
    },
    "replies.bug": {
        "fr": "détection des réponses (IMAP) interrompue par une erreur interne ({error}) ; voir le journal",
        "en": "reply detection (IMAP) stopped on an internal error ({error}); see the log",
    },
    "replies.summary": {
        "fr": "réponses (IMAP {folder}) : {read} message(s) lu(s), {matched} réponse(s) à nos e-mails, "
        "{stopped} séquence(s) arrêtée(s), {automatic} réponse(s) automatique(s) ignorée(s)",
        "en": "replies (IMAP {folder}): {read} message(s) read, {matched} reply(ies) to our emails, "
        "{stopped} sequence(s) stopped, {automatic} automatic reply(ies) ignored",
    },
    "replies.dry_run": {
        "fr": "réponses (simulation) : {stopped} séquence(s) seraient arrêtée(s), rien n'est enregistré",
        "en": "replies (dry run): {stopped} sequence(s) would stop, nothing recorded",
    },
    "replies.plain": {
        "fr": "IMAP_SSL=no : le mot de passe IMAP circule en clair vers {host} ; "
        "réservez-le à un serveur local (pont IMAP, bac à sable)",
        "en": "IMAP_SSL=no: the IMAP password travels in clear text to {host}; "
        "keep that for a server on this machine (an IMAP bridge, the sandbox)",
    },
    "replies.reset": {
        "fr": "le dossier IMAP {folder} a changé d'UIDVALIDITY : relu depuis le début (sans double effet)",
        "en": "IMAP folder {folder} changed its UIDVALIDITY: read again from the start (no effect twice)",
    },
}
"""Every replies key, fr + en with the same placeholders."""

CATALOGUE.update(REPLIES_CATALOGUE)
