import asyncio

import pytest

from orders.notifications import NotificationFailed, Notifier


class FlakyTransport:
    def __init__(self, failures):
        self.failures = failures
        self.delivered = []

    async def deliver(self, customer, text):
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("mail provider unavailable")
        self.delivered.append((customer, text))
        return "sent"


def test_send_retries_until_delivered():
    transport = FlakyTransport(failures=2)
    notifier = Notifier(transport, attempts=3, backoff_seconds=0)
    assert asyncio.run(notifier.send("ada", "hello")) == "sent"
    assert transport.delivered == [("ada", "hello")]


def test_send_raises_when_every_attempt_fails():
    # Regression for #34: this returned None silently.
    notifier = Notifier(FlakyTransport(failures=5), attempts=3, backoff_seconds=0)
    with pytest.raises(NotificationFailed):
        asyncio.run(notifier.send("ada", "hello"))
