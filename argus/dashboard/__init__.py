"""The web dashboard: server-rendered pages over the store, one tenant per session."""
