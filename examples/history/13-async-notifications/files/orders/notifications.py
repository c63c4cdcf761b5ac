"""Tell customers what happened to their orders."""

import asyncio


class NotificationFailed(Exception):
    """Raised when a message could not be delivered after every retry."""


class Notifier:
    """Sends messages through an async transport (mail, SMS, ...)."""

    def __init__(self, transport, attempts=3, backoff_seconds=0.2):
        self.transport = transport
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds

    async def send(self, customer, text):
        for attempt in range(self.attempts):
            try:
                return await self.transport.deliver(customer, text)
            except ConnectionError:
                await asyncio.sleep(self.backoff_seconds * (attempt + 1))
                continue


def order_placed_message(order):
    """The text sent when an order has been placed."""
    return f"Thank you! Order {order.order_id} is confirmed, total {order.total} EUR."
