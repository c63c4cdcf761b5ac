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


def test_unknown_product_has_nothing_available():
    # Regression for #19: this raised KeyError.
    inventory = Inventory()
    assert inventory.available("GHOST-99") == 0
    with pytest.raises(OutOfStock):
        inventory.reserve("GHOST-99", 1)
