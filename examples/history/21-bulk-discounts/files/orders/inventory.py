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

    def __init__(self, records=None, allow_backorder=False):
        self._stock = {record.sku: record for record in records or []}
        self._backordered = {}
        self.allow_backorder = allow_backorder

    def add_stock(self, sku, quantity):
        record = self._stock.setdefault(sku, StockRecord(sku, 0))
        record.on_hand += quantity

    def available(self, sku):
        """Units that can still be reserved; zero for a product never stocked."""
        record = self._stock.get(sku)
        if record is None:
            return 0
        return record.on_hand - record.reserved

    def reserve(self, sku, quantity):
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        free = self.available(sku)
        if free < quantity:
            if not self.allow_backorder:
                raise OutOfStock(f"{sku}: {free} available, {quantity} requested")
            missing = quantity - max(free, 0)
            self._backordered[sku] = self._backordered.get(sku, 0) + missing
            quantity -= missing
        self._stock.setdefault(sku, StockRecord(sku, 0)).reserved += quantity

    def backordered(self, sku):
        """Units promised to customers that are not in stock yet."""
        return self._backordered.get(sku, 0)

    def release(self, sku, quantity):
        """Give units back, backordered ones first; never releases more than is reserved."""
        backordered = self._backordered.pop(sku, 0)
        record = self._stock.get(sku)
        record.reserved = max(0, record.reserved - max(0, quantity - backordered))
