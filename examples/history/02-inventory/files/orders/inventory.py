"""Stock levels and reservations."""

from dataclasses import dataclass


class OutOfStock(Exception):
    """Raised when an order asks for more units than are available."""


@dataclass
class StockRecord:
    sku: str
    on_hand: int
    reserved: int = 0


class Inventory:
    """In-memory stock book; the repository persists it."""

    def __init__(self, records=None):
        self._stock = {record.sku: record for record in records or []}

    def add_stock(self, sku, quantity):
        record = self._stock.setdefault(sku, StockRecord(sku, 0))
        record.on_hand += quantity

    def available(self, sku):
        record = self._stock[sku]
        return record.on_hand - record.reserved

    def reserve(self, sku, quantity):
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        free = self.available(sku)
        if free < quantity:
            raise OutOfStock(f"{sku}: {free} available, {quantity} requested")
        self._stock[sku].reserved += quantity

    def release(self, sku, quantity):
        record = self._stock[sku]
        record.reserved -= quantity
