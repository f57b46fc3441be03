"""Scenario migrations (numbers 20–29): scenarios, steps, variants, sequences, the send ledger.

The ledger (``operation_ledger``) is what makes sending exactly-once: a row is claimed under a
SHA-256 key of (scenario, step, contact, template) in the same ``BEGIN IMMEDIATE`` transaction that
checks every constraint, and ``UNIQUE(scenario_id, step_id, contact)`` guarantees at most one send
per contact and step even if the variant weights change between a claim and a retry.

Ledger states: ``claimed`` (a process is sending it), ``sent`` (the provider accepted it),
``failed`` (the provider refused this recipient), ``deferred`` (known not sent: throttled, quota,
outside the window after a claim; it may be claimed again), ``unknown`` (the process died or the
provider did not answer: never re-sent automatically; settled by provider events or an operator).
"""

from __future__ import annotations

import sqlite_utils

from crmtui.store.migrations import migration, run_script


@migration(20, "scenarios: definitions, steps, variants, sequences, ledger, emails, suppressions")
def _m0020(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE scenarios (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'draft',        -- draft/active/paused/stopped
            daily_cap INTEGER NOT NULL DEFAULT 0,        -- sends per local day; 0 = no cap
            cooldown_days REAL NOT NULL DEFAULT 0,       -- quiet days after a send of another scenario
            window_start TEXT NOT NULL DEFAULT '09:00',  -- local HH:MM, inclusive
            window_end TEXT NOT NULL DEFAULT '18:00',    -- local HH:MM, exclusive; 24:00 = end of day
            send_days TEXT NOT NULL DEFAULT '[1,2,3,4,5]',  -- ISO weekdays (JSON), 1 = Monday
            timezone TEXT NOT NULL DEFAULT 'Europe/Paris',
            min_validation_score INTEGER NOT NULL DEFAULT 0, -- 0-100 (email syntax/domain checks)
            only_deliverable INTEGER NOT NULL DEFAULT 1,
            exclude_domains TEXT NOT NULL DEFAULT '[]',  -- JSON list
            stop_on_reply INTEGER NOT NULL DEFAULT 1,
            stop_on_unsubscribe INTEGER NOT NULL DEFAULT 1,
            include_unsubscribe INTEGER NOT NULL DEFAULT 1,
            audience TEXT NOT NULL DEFAULT '{}',         -- JSON: copper_tags, mailchimp_tags, segments, sources, emails
            auto_winner TEXT NOT NULL DEFAULT '{}',      -- JSON: enabled, metric, min_sends, alpha
            sender TEXT NOT NULL DEFAULT 'auto',         -- auto/ses/smtp
            sent INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            opened INTEGER NOT NULL DEFAULT 0,
            clicked INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE scenario_templates (
            scenario_id INTEGER NOT NULL REFERENCES scenarios(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            subject TEXT NOT NULL,
            html TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (scenario_id, name)
        );

        CREATE TABLE scenario_steps (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scenario_id INTEGER NOT NULL REFERENCES scenarios(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            trigger TEXT NOT NULL DEFAULT 'entry',       -- entry/delay/opened/not_opened/clicked
            delay_days REAL NOT NULL DEFAULT 0,
            delay_hours REAL NOT NULL DEFAULT 0,
            parent_position INTEGER,                     -- the step this one follows (NULL: the previous one)
            template TEXT NOT NULL,                      -- default template name
            winner_variant_id INTEGER,                   -- set by the automatic winner or an operator
            UNIQUE (scenario_id, position)
        );

        CREATE TABLE step_variants (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            step_id INTEGER NOT NULL REFERENCES scenario_steps(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            template TEXT NOT NULL,
            weight REAL NOT NULL DEFAULT 1,
            sent INTEGER NOT NULL DEFAULT 0,
            opened INTEGER NOT NULL DEFAULT 0,
            clicked INTEGER NOT NULL DEFAULT 0,
            UNIQUE (step_id, name)
        );

        CREATE TABLE contact_sequences (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scenario_id INTEGER NOT NULL REFERENCES scenarios(id) ON DELETE CASCADE,
            contact TEXT NOT NULL,                       -- normalized email
            current_position INTEGER,                    -- the last step sent (NULL: none yet)
            next_position INTEGER,                       -- the step due next (NULL: finished or waiting)
            next_send_at TEXT,                           -- UTC ISO; NULL while waiting for an event
            status TEXT NOT NULL DEFAULT 'active',       -- active/waiting/held/completed/stopped/filtered/unsubscribed
            reason TEXT,
            test INTEGER NOT NULL DEFAULT 0,             -- enrolled while the scenario was a draft
            sent INTEGER NOT NULL DEFAULT 0,
            opened INTEGER NOT NULL DEFAULT 0,
            clicked INTEGER NOT NULL DEFAULT 0,
            entered_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (scenario_id, contact)
        );
        CREATE INDEX contact_sequences_due ON contact_sequences(status, next_send_at);
        CREATE INDEX contact_sequences_contact ON contact_sequences(contact);

        CREATE TABLE operation_ledger (
            key TEXT PRIMARY KEY,                        -- sha256(scenario, step, contact, template)
            scenario_id INTEGER NOT NULL,
            step_id INTEGER NOT NULL,
            position INTEGER NOT NULL,
            contact TEXT NOT NULL,
            template TEXT NOT NULL,
            variant_id INTEGER,
            status TEXT NOT NULL,                        -- claimed/sent/failed/deferred/unknown
            local_day TEXT NOT NULL,                     -- the scenario's local date of the claim (daily cap)
            claimed_at TEXT NOT NULL,
            owner TEXT NOT NULL,                         -- host:pid:token of the claiming process
            attempts INTEGER NOT NULL DEFAULT 1,
            sender TEXT,
            message_id TEXT NOT NULL,                    -- our deterministic Message-ID
            provider_id TEXT,                            -- the provider's message id
            sent_at TEXT,
            error TEXT,
            settled_by TEXT,                             -- provider/operator, for unknown rows settled later
            UNIQUE (scenario_id, step_id, contact)
        );
        CREATE INDEX operation_ledger_cap ON operation_ledger(scenario_id, local_day, status);
        CREATE INDEX operation_ledger_contact ON operation_ledger(contact, claimed_at);
        CREATE INDEX operation_ledger_status ON operation_ledger(status);

        CREATE TABLE campaign_emails (
            message_id TEXT PRIMARY KEY,                 -- our Message-ID (without <>)
            ledger_key TEXT NOT NULL UNIQUE,
            scenario_id INTEGER NOT NULL,
            step_id INTEGER NOT NULL,
            variant_id INTEGER,
            contact TEXT NOT NULL,
            subject TEXT NOT NULL,
            sender TEXT NOT NULL,
            provider_id TEXT,
            status TEXT NOT NULL DEFAULT 'sent',         -- sent/delivered/bounced/complained
            sent_at TEXT NOT NULL,
            opened_at TEXT,
            clicked_at TEXT
        );
        CREATE INDEX campaign_emails_provider ON campaign_emails(provider_id);
        CREATE INDEX campaign_emails_contact ON campaign_emails(contact);

        CREATE TABLE suppressions (
            email TEXT PRIMARY KEY,
            reason TEXT NOT NULL,                        -- unsubscribe/bounce/complaint/manual
            source TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        """,
    )


@migration(21, "scenarios: the audience in its own table; indexes for the due scan and the claim")
def _m0021(db: sqlite_utils.Database) -> None:
    """Move each scenario's audience out of its row.

    The audience used to be a JSON column of ``scenarios``; with an explicit list of 300,000
    addresses the row was 8 MB, and every send's ``UPDATE scenarios SET sent = sent + 1`` rewrote
    it (5 ms a send at 300k, 0.03 ms at 10k). Each criterion value is now one row of
    ``scenario_audience``, and the scenarios row stays a few hundred bytes whatever the audience.
    """
    import json

    run_script(
        db,
        """
        CREATE TABLE scenario_audience (
            scenario_id INTEGER NOT NULL REFERENCES scenarios(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,                          -- copper_tags/mailchimp_tags/segments/sources/emails
            position INTEGER NOT NULL,                   -- the order the operator gave
            value TEXT NOT NULL,
            PRIMARY KEY (scenario_id, kind, position)
        );  -- a rowid table: the erasure sweep finds and cuts an erased address out of it by rowid
        CREATE INDEX contact_sequences_scenario_due ON contact_sequences(scenario_id, status, next_send_at);
        CREATE INDEX campaign_emails_step_contact ON campaign_emails(scenario_id, step_id, contact);
        """,
    )
    for sid, text in db.execute("SELECT id, audience FROM scenarios").fetchall():
        try:
            data = json.loads(text or "{}")
        except ValueError:
            data = {}
        rows = [
            (sid, kind, i, str(value))
            for kind, values in (data.items() if isinstance(data, dict) else ())
            if isinstance(values, list)
            for i, value in enumerate(values)
        ]
        db.conn.executemany(
            "INSERT INTO scenario_audience (scenario_id, kind, position, value) VALUES (?, ?, ?, ?)", rows
        )
    db.execute("UPDATE scenarios SET audience = '{}'")
