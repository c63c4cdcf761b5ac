"""Command line for the support team: show and cancel orders."""

import argparse
import sys

from orders.inventory import Inventory
from orders.repository import OrderRepository
from orders.service import OrderNotFound, OrderService


def build_parser():
    parser = argparse.ArgumentParser(prog="orders", description=__doc__)
    parser.add_argument("--db", default="orders.sqlite3", help="SQLite database file")
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show", help="print one order")
    show.add_argument("order_id")
    cancel = commands.add_parser("cancel", help="cancel an order and release its stock")
    cancel.add_argument("order_id")
    listing = commands.add_parser("list", help="list a customer's open orders")
    listing.add_argument("customer")
    return parser


def format_order(order):
    lines = [f"{order.order_id}  {order.customer}  {order.status.value}  {order.total}"]
    for line in order.lines:
        lines.append(f"  {line.quantity} x {line.sku} @ {line.unit_price}")
    return "\n".join(lines)


def main(argv=None):
    arguments = build_parser().parse_args(argv)
    repository = OrderRepository(arguments.db)
    service = OrderService(repository, Inventory())
    if arguments.command == "show":
        order = repository.get(arguments.order_id)
        if order is None:
            print(f"no order {arguments.order_id}", file=sys.stderr)
            return 1
        print(format_order(order))
    elif arguments.command == "cancel":
        try:
            order = service.cancel_order(arguments.order_id)
        except OrderNotFound:
            print(f"no order {arguments.order_id}", file=sys.stderr)
            return 1
        print(format_order(order))
    elif arguments.command == "list":
        for order in repository.open_orders(arguments.customer):
            print(format_order(order))
    return 0


if __name__ == "__main__":
    sys.exit(main())
