"""User-facing text about bad input (undecodable files, out-of-range options), in French and English.

Importing this module merges :data:`INPUT_CATALOGUE` into :data:`crmtui.i18n.CATALOGUE`.
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

INPUT_CATALOGUE: dict[str, dict[str, str]] = {
    "input.env_not_utf8": {
        "fr": "{path} n'est pas en UTF-8 : octet {byte} ligne {line}, colonne {column}",
        "en": "{path} is not UTF-8: byte {byte} on line {line}, column {column}",
    },
    "input.env_not_utf8.fix": {
        "fr": "enregistrez le fichier en UTF-8 (par exemple : iconv -f latin1 -t utf-8 {path})",
        "en": "save the file as UTF-8 (for instance: iconv -f latin1 -t utf-8 {path})",
    },
    "input.env_unreadable": {
        "fr": "{path} ne peut pas être lu : {detail}",
        "en": "{path} cannot be read: {detail}",
    },
    "input.env_unreadable.fix": {
        "fr": "vérifiez le propriétaire et les droits de {path} (ls -l {path})",
        "en": "check the owner and permissions of {path} (ls -l {path})",
    },
    "input.var_not_utf8": {
        "fr": "{var} contient des octets qui ne sont pas de l'UTF-8",
        "en": "{var} holds bytes that are not UTF-8",
    },
    "input.var_not_utf8.fix": {
        "fr": "redéfinissez {var} en UTF-8 (vérifiez la locale du shell ou du crontab)",
        "en": "set {var} again in UTF-8 (check the locale of the shell or crontab)",
    },
    "input.file_not_utf8": {
        "fr": "{path} n'est pas en UTF-8 : octet {byte} ligne {line}, colonne {column} ; enregistrez-le en UTF-8",
        "en": "{path} is not UTF-8: byte {byte} on line {line}, column {column}; save it as UTF-8",
    },
    "input.file_unreadable": {
        "fr": "{path} ne peut pas être lu : {detail}",
        "en": "{path} cannot be read: {detail}",
    },
    "input.file_unwritable": {
        "fr": "{path} ne peut pas être écrit : {detail}",
        "en": "{path} cannot be written: {detail}",
    },
    "input.out_of_range": {
        "fr": "{option} doit être entre {low} et {high} (reçu : {value})",
        "en": "{option} must be between {low} and {high} (got: {value})",
    },
}
"""Every bad-input key, fr + en with the same placeholders."""

CATALOGUE.update(INPUT_CATALOGUE)
