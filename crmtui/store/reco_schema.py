"""Recommendation schema (migrations 30–39): results, change fingerprints, feedback, suggestions.

- ``reco_results``: the top N products per customer with score, producing rule and reasons (JSON,
  rendered in the operator's language when shown, so a language switch needs no recompute).
- ``reco_customer_state`` / ``reco_product_state``: the fingerprint of the inputs each customer's
  and product's results were computed from. Incremental recomputation compares them with the
  canonical tables' ``row_hash`` values and recomputes only what changed.
- ``reco_feedback``: an operator marked a recommendation bad (one row per customer and product).
- ``reco_adjustments``: the multiplier feedback applied to a rule for "similar cases" (same rule,
  customer segment and product category). Every change is also written to ``audit_log``.
- ``reco_suggestions``: which product a scenario send suggested, with the scenario and variant,
  for conversion reports (``contact_history.product_key_suggested`` carries the product too).
- ``reco_meta``: the model fingerprint and the last run's figures.
"""

from __future__ import annotations

import sqlite_utils

from crmtui.store.migrations import migration, run_script


@migration(30, "reco: results, state fingerprints, feedback, adjustments, suggestions")
def _m0030(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE reco_results (
            customer_key TEXT NOT NULL,
            rank INTEGER NOT NULL,             -- 1 = best
            product_key TEXT NOT NULL,
            score REAL NOT NULL,
            rule TEXT NOT NULL,                -- the rule that contributed most
            reasons TEXT NOT NULL DEFAULT '[]',-- JSON [{rule, share, params}]
            computed_at TEXT NOT NULL,
            PRIMARY KEY (customer_key, rank)
        );
        CREATE INDEX reco_results_product ON reco_results(product_key);

        CREATE TABLE reco_customer_state (
            customer_key TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            computed_at TEXT NOT NULL,
            results INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE reco_product_state (
            product_key TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL
        );

        CREATE TABLE reco_feedback (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            customer_key TEXT NOT NULL,
            product_key TEXT NOT NULL,
            rule TEXT NOT NULL,
            segment TEXT NOT NULL DEFAULT '',
            category TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT '',
            actor TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (customer_key, product_key)
        );

        CREATE TABLE reco_adjustments (
            rule TEXT NOT NULL,
            segment TEXT NOT NULL,
            category TEXT NOT NULL,
            factor REAL NOT NULL,
            feedback_count INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (rule, segment, category)
        );

        CREATE TABLE reco_suggestions (
            contact_key TEXT PRIMARY KEY,      -- contact_history.contact_key of the send
            customer_key TEXT,
            product_key TEXT NOT NULL,
            scenario TEXT NOT NULL DEFAULT '',
            variant TEXT NOT NULL DEFAULT '',
            sent_at TEXT NOT NULL
        );
        CREATE INDEX reco_suggestions_customer ON reco_suggestions(customer_key);

        CREATE TABLE reco_meta (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    )
