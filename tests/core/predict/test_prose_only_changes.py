"""A changed function or file region whose changed lines are only comments, docstrings or blank
lines ranks below every function whose code changed, and says why; a class shows no complexity
on either side (only functions have one)."""

from __future__ import annotations

from argus.core.diff import parse_diff
from argus.core.predict.review import FILE_LEVEL, ReviewOptions, Sources, review_change
from argus.core.predict.service import shipped_model
from argus.core.report.summary import ranked_symbols, top_factors

OLD = (
    '"""Pricing."""\n'
    "\n"
    "\n"
    "class Cart:\n"
    "    tax = 0.2\n"
    "\n"
    "    def total(self, items):\n"
    '        """The sum."""\n'
    "        return sum(items)\n"
    "\n"
    "    def discount(self, price, rate):\n"
    "        return price * rate\n"
)
NEW = (
    '"""Pricing.\n'
    "\n"
    "Carts and their totals, with tax.\n"
    '"""\n'
    "\n"
    "\n"
    "class Cart:\n"
    "    tax = 0.2\n"
    "    #: the currency of every price\n"
    "    currency = 'EUR'\n"
    "\n"
    "    def total(self, items):\n"
    '        """The sum of the items\' prices,\n'
    "        before tax.\n"
    '        """\n'
    "        # prices are never negative here\n"
    "        return sum(items)\n"
    "\n"
    "    def discount(self, price, rate):\n"
    "        if rate > 1:\n"
    "            rate = rate / 100\n"
    "        return price * (1 - rate)\n"
)


def _review():
    import difflib

    diff = "".join(
        difflib.unified_diff(
            OLD.splitlines(keepends=True), NEW.splitlines(keepends=True), "a/cart.py", "b/cart.py"
        )
    )
    return review_change(
        parse_diff("diff --git a/cart.py b/cart.py\nindex 1111111..2222222 100644\n" + diff),
        Sources(old={"cart.py": OLD.encode()}, new={"cart.py": NEW.encode()}),
        shipped_model(),
        {},
        options=ReviewOptions(),
    )


def test_docstring_and_comment_edits_rank_below_code_and_say_so():
    review = _review()
    by_name = {symbol.name: symbol for symbol in review.symbols}
    assert set(by_name) == {FILE_LEVEL, "Cart", "Cart.total", "Cart.discount"}
    order = [symbol.name for symbol in ranked_symbols(review)]
    # Code changed in discount and in the class body (a new attribute); only prose elsewhere.
    assert set(order[:2]) == {"Cart.discount", "Cart"}
    assert set(order[2:]) == {"Cart.total", FILE_LEVEL}
    for name in ("Cart.total", FILE_LEVEL):
        assert by_name[name].probability < by_name["Cart"].probability / 5
        assert [factor.text for factor in top_factors(by_name[name].factors)] == [
            "only comments, docstrings or blank lines changed"
        ]
    assert all(
        "only comments" not in factor.text
        for factor in by_name["Cart.discount"].factors + by_name["Cart"].factors
    )


def test_a_class_shows_no_complexity_on_either_side():
    cart = next(symbol for symbol in _review().symbols if symbol.name == "Cart")
    assert (cart.complexity_before, cart.complexity_after) == (None, None)
    discount = next(symbol for symbol in _review().symbols if symbol.name == "Cart.discount")
    assert (discount.complexity_before, discount.complexity_after) == (1, 2)
