"""Shared record vocabulary: the canonical ETL records and their normalisers.

Connectors produce these records, the store persists them and the engine orchestrates them, so they
live below all three (imports point down only: UI → engine → connectors/store → records).
"""
