"""The error ingestion server: Sentry SDK protocol, Sentry webhooks and generic JSON over HTTP.

A front-end over ``core.patterns``: it authenticates and decodes requests, then hands parsed
events to a pattern service. Build it with :func:`ingest_server.app.create_ingest_app` (or mount
:func:`ingest_server.app.create_ingest_router` into another app); importing does nothing.
"""
