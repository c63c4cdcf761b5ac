"""Use cases: place and cancel orders."""

import itertools

from orders import pricing
from orders.models import Order, OrderStatus
from orders.notifications import order_placed_message


class OrderNotFound(Exception):
    """Raised when an order id is unknown."""


class OrderService:
    """Places and cancels orders against one inventory and one repository."""

    def __init__(self, repository, inventory, id_prefix="ORD"):
        self.repository = repository
        self.inventory = inventory
        self._counter = itertools.count(1)
        self._id_prefix = id_prefix

    def place_order(self, customer, lines, coupon=None):
        for line in lines:
            self.inventory.reserve(line.sku, line.quantity)
        order = Order(self._next_id(), customer, list(lines))
        order.total = pricing.price_order(lines, coupon)
        self.repository.save(order)
        return order

    async def place_order_and_notify(self, customer, lines, notifier, coupon=None):
        order = self.place_order(customer, lines, coupon)
        await notifier.send(customer, order_placed_message(order))
        return order

    def cancel_order(self, order_id):
        order = self.repository.get(order_id)
        if order is None:
            raise OrderNotFound(order_id)
        for line in order.lines:
            self.inventory.release(line.sku, line.quantity)
        order.status = OrderStatus.CANCELLED
        self.repository.save(order)
        return order

    def _next_id(self):
        return f"{self._id_prefix}-{next(self._counter):05d}"
