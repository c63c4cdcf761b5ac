"""The tiered model router: providers, retries and breakers, the cost ledger, budgets, prompts.

Import the pieces from their modules (``argus.core.router.router``, ``argus.core.router.ledger``,
...); importing this package does nothing.
"""
