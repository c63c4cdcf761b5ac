"""The Argus GitHub App: webhooks, a durable queue, PR reviews, check runs and slash-commands."""
