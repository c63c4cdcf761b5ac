"""The error ingestion server: Sentry SDK protocol, Sentry webhooks and generic JSON over HTTP.

A front-end over ``argus.core.patterns``: it authenticates and decodes requests, then hands parsed
events to a pattern service. Build it with :func:`argus.ingest_server.app.create_ingest_app` (or
mount :func:`argus.ingest_server.app.create_ingest_router` into another app); importing does
nothing.
"""
