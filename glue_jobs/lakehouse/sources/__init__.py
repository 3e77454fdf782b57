"""One module per source: how its landed records are read into raw string columns.

Every reader returns a DataFrame with one string column per contract field (named as the
contract says) plus ``_source``: the landed file (or page) the record came from, relative to the
landing root. Typing, lineage and writing are shared (see :mod:`lakehouse.ingest`).
"""
