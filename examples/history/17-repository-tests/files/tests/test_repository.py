from decimal import Decimal

import pytest

from orders.models import Order, OrderLine, OrderStatus
from orders.repository import OrderRepository


@pytest.fixture
def repository():
    repository = OrderRepository(":memory:")
    yield repository
    repository.close()


def make_order(order_id, customer="ada", status=OrderStatus.PENDING):
    lines = [OrderLine("MUG-01", 2, Decimal("7.50")), OrderLine("TEE-02", 1, Decimal("19.00"))]
    return Order(order_id, customer, lines, status, Decimal("40.80"))


def test_saved_order_reads_back_unchanged(repository):
    order = make_order("ORD-00001")
    repository.save(order)
    assert repository.get("ORD-00001") == order


def test_unknown_order_is_none(repository):
    assert repository.get("ORD-99999") is None


def test_saving_twice_replaces_the_lines(repository):
    order = make_order("ORD-00001")
    repository.save(order)
    order.lines = order.lines[:1]
    repository.save(order)
    assert repository.get("ORD-00001").lines == [OrderLine("MUG-01", 2, Decimal("7.50"))]


def test_open_orders_leave_out_cancelled_ones(repository):
    repository.save(make_order("ORD-00002"))
    repository.save(make_order("ORD-00001", status=OrderStatus.CANCELLED))
    repository.save(make_order("ORD-00003", customer="grace"))
    assert [order.order_id for order in repository.open_orders("ada")] == ["ORD-00002"]
