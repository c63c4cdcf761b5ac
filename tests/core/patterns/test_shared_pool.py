import json

import pytest

from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.normalise import signature_of
from argus.core.patterns.service import open_service
from argus.core.patterns.shared_pool import MIN_TENANTS, anonymise, strip_literals


def _event(
    root: str, user: str = "4711", email: str = "alice@example.com", token: bool = False
) -> ErrorEvent:
    return ErrorEvent(
        exception_type="shop.billing.PaymentDeclined",
        message=f"charge for user {user} ({email}) declined at {root}/secrets/keys.txt, "
        f"ref 'order-{user}'" + (f" token=tok_{user}Zq9x" if token else ""),
        frames=(
            Frame(function="main", filename=f"{root}/main.py", context_line="run()"),
            Frame(
                function="Service.charge",
                filename=f"{root}/billing/charge.py",
                context_line="api.charge(card_number)",
                vars={"card": "4111 1111 1111 1111"},
            ),
        ),
        platform="python",
    )


@pytest.fixture
def service(tmp_path):
    with open_service(tmp_path / "argus.db") as opened:
        yield opened


def _shared_results(service, tenant: str):
    return [
        (p, s)
        for p, s in service.search("PaymentDeclined: charge for user 12 declined", tenant, k=5)
        if p.shared
    ]


def test_a_pattern_two_tenants_shared_is_invisible_the_third_makes_it_visible(service) -> None:
    for tenant in ["acme", "globex", "initech", "viewer"]:
        service.store.ensure_tenant(tenant)
    service.set_sharing("acme", True)
    service.set_sharing("globex", True)
    service.ingest(_event("/srv/acme"), "acme")
    service.ingest(_event("/home/globex/app", user="99"), "globex")
    assert _shared_results(service, "viewer") == []
    service.set_sharing("initech", True)  # opting in contributes existing patterns too
    service.ingest(_event("/opt/initech", user="5"), "initech")
    visible = _shared_results(service, "viewer")
    assert len(visible) == 1
    pattern, score = visible[0]
    assert pattern.shared and pattern.tenant == "shared" and pattern.occurrences == MIN_TENANTS
    assert pattern.exception_type == "PaymentDeclined"
    assert score > 0.5
    # A contributor does not get its own pattern back as a shared one.
    assert _shared_results(service, "acme") == []


def test_a_tenant_that_did_not_opt_in_contributes_nothing(service) -> None:
    service.ingest(_event("/srv/acme"), "acme")
    service.ingest(_event("/srv/globex"), "globex")
    service.ingest(_event("/srv/initech"), "initech")
    assert service.store.shared_pool() == []
    service.set_sharing("acme", True)
    assert len(service.store.shared_pool()) == 1
    service.set_sharing("acme", False)  # opting out withdraws
    assert service.store.shared_pool() == []


def test_nothing_literal_leaks_into_the_pool(service) -> None:
    service.set_sharing("acme", True)
    service.ingest(_event("/srv/acme-corp", token=True), "acme")
    pool = json.dumps(service.store.shared_pool())
    for literal in [
        "4711",
        "alice",
        "example.com",
        "/srv",
        "acme-corp",
        "keys.txt",
        "secrets",
        "order-",
        "tok_",
        "charge.py",
        "main.py",
        "4111",
        "card_number",
        "api.charge",
        "shop.billing",
        "billing",
    ]:
        assert literal not in pool, literal
    (row,) = service.store.shared_pool()
    assert json.loads(row["functions"]) == ["charge", "main"]
    assert row["exception_type"] == "PaymentDeclined"


def test_anonymised_signatures_of_one_bug_meet_under_one_hash() -> None:
    first = anonymise(signature_of(_event("/srv/a", user="1", email="a@b.io")))
    second = anonymise(signature_of(_event("/x/y/z", user="222", email="c@d.org")))
    assert first.shared_hash == second.shared_hash


def test_strip_literals_keeps_words_and_masks() -> None:
    assert strip_literals("user <number> not found in table users.v2 at x/y") == (
        "user <number> not found in table <value> at <value>"
    )
    assert strip_literals("token=tok_<number>Zq<number>x (<str>)") == "<value> (<str>)"
