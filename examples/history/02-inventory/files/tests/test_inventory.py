import pytest

from orders.inventory import Inventory, OutOfStock, StockRecord


def test_reserve_lowers_available_stock():
    inventory = Inventory([StockRecord("MUG-01", on_hand=5)])
    inventory.reserve("MUG-01", 2)
    assert inventory.available("MUG-01") == 3


def test_reserving_more_than_available_fails():
    inventory = Inventory([StockRecord("MUG-01", on_hand=1)])
    with pytest.raises(OutOfStock):
        inventory.reserve("MUG-01", 2)


def test_release_returns_units():
    inventory = Inventory([StockRecord("MUG-01", on_hand=5)])
    inventory.reserve("MUG-01", 4)
    inventory.release("MUG-01", 4)
    assert inventory.available("MUG-01") == 5
