"""Clients for the real sources: what the ingest jobs use in AWS to land raw data.

* :mod:`~lakehouse.clients.http`: the requests session factory and the one retry policy
  (tenacity) shared by the HTTP APIs, with :class:`SourceError` and :class:`AuthError`.
* :mod:`~lakehouse.clients.secrets`: read a token or key from AWS Secrets Manager.
* :mod:`~lakehouse.clients.blobs`: bytes in and out of local paths and ``s3://`` locations.
* :mod:`~lakehouse.clients.state`: JSON state documents (watermarks) under ``<lake>/_state/``.
* :mod:`~lakehouse.clients.hubspot`: HubSpot CRM v3 contacts, full and incremental, landed as
  raw pages.
* :mod:`~lakehouse.clients.fx`: the daily FX rates API, one raw document per rate date.
* :mod:`~lakehouse.clients.snowflake`: options and query for Glue's native Snowflake connector.
* :mod:`~lakehouse.clients.kafka`: options for Glue's streaming Kafka source and forEachBatch.
"""

from lakehouse.clients.http import AuthError, SourceError

__all__ = ["AuthError", "SourceError"]
