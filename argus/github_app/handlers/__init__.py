"""Thin webhook handlers: parse the event, call core, render, post."""
