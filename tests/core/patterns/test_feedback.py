from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.risk_feedback import count_by_function, for_symbols
from argus.core.patterns.service import open_service


def test_deployment_paths_match_repository_paths_by_suffix() -> None:
    locations = [
        ("/srv/app/orders/pricing.py", "apply_discount", 5),
        ("srv/app/orders/pricing.py", "apply_discount", 2),
        ("/srv/app/other/pricing.py", "apply_discount", 7),
        ("/srv/app/orders/pricing.py", "total", 1),
        ("/srv/app/orders/xpricing.py", "apply_discount", 9),
    ]
    counts = count_by_function(locations, ["orders/pricing.py", "./orders/tax.py"])
    assert counts == {
        ("orders/pricing.py", "apply_discount"): 7,
        ("orders/pricing.py", "total"): 1,
    }


def test_the_longest_repository_path_wins_so_nothing_counts_twice() -> None:
    counts = count_by_function(
        [("/srv/app/orders/pricing.py", "f", 3)], ["pricing.py", "orders/pricing.py"]
    )
    assert counts == {("orders/pricing.py", "f"): 3}


def test_recorded_names_map_to_qualified_symbols() -> None:
    counts = {
        ("cart.py", "add"): 4,  # bare co_name from a traceback
        ("cart.py", "Cart.remove"): 2,  # Sentry's qualified name
        ("cart.py", "async total"): 1,  # a Node async frame
        ("cart.py", "vanished"): 9,  # no such symbol any more
    }
    symbols = {"cart.py": ["Cart.add", "Cart.remove", "Cart.total", "helper"]}
    assert for_symbols(counts, symbols) == {
        ("cart.py", "Cart.add"): 4,
        ("cart.py", "Cart.remove"): 2,
        ("cart.py", "Cart.total"): 1,
    }


def test_service_counts_occurrences_through_in_app_frames_only(tmp_path) -> None:
    def event(function: str) -> ErrorEvent:
        return ErrorEvent(
            exception_type="ValueError",
            message="bad",
            frames=(
                Frame(function="handle", filename="/srv/app/orders/views.py"),
                Frame(function=function, filename="/srv/app/orders/pricing.py"),
                Frame(
                    function="loads", filename="/usr/lib/python3.11/json/__init__.py", in_app=False
                ),
            ),
        )

    with open_service(tmp_path / "a.db") as service:
        for _ in range(3):
            service.ingest(event("apply_discount"), "acme")
        service.ingest(event("total"), "acme")
        service.ingest(event("total"), "globex")
        counts = service.production_errors_by_function(
            "acme", ["orders/pricing.py", "orders/views.py", "json/__init__.py"]
        )
    assert counts == {
        ("orders/pricing.py", "apply_discount"): 3,
        ("orders/pricing.py", "total"): 1,
        ("orders/views.py", "handle"): 4,
    }
