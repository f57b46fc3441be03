"""Events migrations (numbers 40–49): the inbound queue, SNS replay guard, tracked links, observed
email events, the outbox of event-driven remote writes and Copper's targeted-sync requests.

Scenario tables (``campaign_emails``, ``step_variants``, ``contact_sequences``,
``operation_ledger``, ``suppressions``) belong to ``scenario_schema``; the events processor
updates them through :mod:`crmtui.store.events` but never changes their shape.
"""

from __future__ import annotations

import sqlite_utils

from crmtui.store.migrations import migration, run_script


@migration(40, "events: inbound queue, sns replay guard, tracked links, email events, outbox")
def _m0040(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE inbound_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source TEXT NOT NULL,                  -- ses/mailchimp/copper/tracking
            kind TEXT NOT NULL,                    -- SES event type, Mailchimp type, Copper event, open/click/unsubscribe
            dedup_key TEXT UNIQUE,                 -- SNS MessageId...; NULL when the source has none
            payload TEXT NOT NULL,                 -- JSON, as received (parsed)
            received_at TEXT NOT NULL,             -- UTC ISO
            state TEXT NOT NULL DEFAULT 'pending', -- pending/done/ignored/failed
            processed_at TEXT,
            error TEXT
        );
        CREATE INDEX inbound_events_state ON inbound_events(state, id);

        CREATE TABLE sns_seen (
            message_id TEXT PRIMARY KEY,           -- SNS MessageId of a verified delivery
            topic_arn TEXT NOT NULL,
            type TEXT NOT NULL,
            received_at TEXT NOT NULL
        );
        CREATE INDEX sns_seen_received ON sns_seen(received_at);

        CREATE TABLE tracked_links (
            message_id TEXT NOT NULL,              -- our Message-ID (campaign_emails.message_id)
            idx INTEGER NOT NULL,                  -- position of the link in the HTML body
            url TEXT NOT NULL,                     -- the original URL: the only place a click may go
            PRIMARY KEY (message_id, idx)
        );

        CREATE TABLE email_event_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id TEXT,                       -- our Message-ID when the email is known
            contact TEXT NOT NULL,
            scenario_id INTEGER,
            step_id INTEGER,
            variant_id INTEGER,
            kind TEXT NOT NULL,                    -- send/delivery/open/click/bounce/complaint/reject/delivery_delay/unsubscribe
            subtype TEXT NOT NULL DEFAULT '',      -- Permanent/Transient/Undetermined, link index...
            machine INTEGER NOT NULL DEFAULT 0,    -- 1: Apple MPP / link scanner / proxy prefetch
            source TEXT NOT NULL,                  -- ses/pixel/redirect/link/mailchimp
            at TEXT NOT NULL,                      -- when it happened (UTC ISO)
            detail TEXT                            -- JSON: user agent, ip, diagnostic...
        );
        CREATE INDEX email_event_log_message ON email_event_log(message_id, kind);
        CREATE INDEX email_event_log_scenario ON email_event_log(scenario_id, kind, at);
        CREATE INDEX email_event_log_contact ON email_event_log(contact);

        CREATE TABLE event_actions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            op_key TEXT NOT NULL UNIQUE,           -- target:action:email (one per address: idempotent)
            email TEXT NOT NULL,
            target TEXT NOT NULL,                  -- mailchimp/copper
            action TEXT NOT NULL,                  -- unsubscribe/tag
            payload TEXT NOT NULL DEFAULT '{}',    -- JSON: {"tag": ...}
            reason TEXT NOT NULL,                  -- unsubscribe/bounce/complaint
            state TEXT NOT NULL DEFAULT 'pending', -- pending/sent/failed/skipped
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX event_actions_state ON event_actions(state, id);

        CREATE TABLE copper_sync_requests (
            copper_id INTEGER PRIMARY KEY,
            event TEXT NOT NULL,                   -- new/update/delete (the latest one)
            requested_at TEXT NOT NULL,
            done_at TEXT                           -- NULL while the targeted sync is due
        );

        CREATE TABLE scenario_event_options (
            scenario_id INTEGER PRIMARY KEY,
            exclude_machine_opens INTEGER NOT NULL DEFAULT 1,  -- machine opens never trigger steps nor count
            paused_reason TEXT                                -- why the events processor paused it
        );
        """,
    )
