"""SQLite persistence for orders."""

import sqlite3
from decimal import Decimal

from orders.models import Order, OrderLine, OrderStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    customer TEXT NOT NULL,
    status TEXT NOT NULL,
    total TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS order_lines (
    order_id TEXT NOT NULL REFERENCES orders(order_id),
    sku TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price TEXT NOT NULL
);
"""


class OrderRepository:
    """Reads and writes orders in one SQLite database."""

    def __init__(self, path=":memory:"):
        self.connection = sqlite3.connect(path)
        self.connection.executescript(SCHEMA)

    def save(self, order):
        with self.connection:
            self.connection.execute(
                "INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?)",
                (order.order_id, order.customer, order.status.value, str(order.total)),
            )
            self.connection.execute(
                "DELETE FROM order_lines WHERE order_id = ?", (order.order_id,)
            )
            self.connection.executemany(
                "INSERT INTO order_lines VALUES (?, ?, ?, ?)",
                [
                    (order.order_id, line.sku, line.quantity, str(line.unit_price))
                    for line in order.lines
                ],
            )

    def get(self, order_id):
        row = self.connection.execute(
            "SELECT order_id, customer, status, total FROM orders WHERE order_id = ?",
            (order_id,),
        ).fetchone()
        if row is None:
            return None
        return self._load(row)

    def open_orders(self, customer):
        rows = self.connection.execute(
            "SELECT order_id, customer, status, total FROM orders"
            " WHERE customer = ? AND status != ? ORDER BY order_id",
            (customer, OrderStatus.CANCELLED.value),
        ).fetchall()
        return [self._load(row) for row in rows]

    def _load(self, row):
        order_id, customer, status, total = row
        cursor = self.connection.execute(
            "SELECT sku, quantity, unit_price FROM order_lines WHERE order_id = ? ORDER BY rowid",
            (order_id,),
        )
        lines = [OrderLine(sku, quantity, Decimal(price)) for sku, quantity, price in cursor]
        return Order(order_id, customer, lines, OrderStatus(status), Decimal(total))
