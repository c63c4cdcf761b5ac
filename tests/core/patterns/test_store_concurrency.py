"""Two processes ingesting into one store at once lose nothing."""

import multiprocessing

from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.service import open_service

EVENTS_PER_PROCESS = 150


def _event(number: int) -> ErrorEvent:
    # 10 patterns shared by both processes, created by whichever gets there first.
    function = f"handler_{number % 10}"
    return ErrorEvent(
        exception_type="KeyError",
        message=f"'user-{number}'",
        frames=(Frame(function=function, filename=f"/srv/app/api/{function}.py", lineno=number),),
        release=f"r{number % 2}",
        environment="production",
    )


def _ingest(path: str, offset: int, start) -> None:
    service = open_service(path)
    start.wait()
    for number in range(EVENTS_PER_PROCESS):
        service.ingest(_event(number + offset), "acme")
    service.close()


def test_two_processes_at_once_lose_nothing(tmp_path) -> None:
    path = str(tmp_path / "argus.db")
    open_service(path).close()  # migrate once up front
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_ingest, args=(path, offset, start)) for offset in (0, 1000)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    with open_service(path) as service:
        stats = service.stats("acme")
        assert stats["occurrences"] == 2 * EVENTS_PER_PROCESS
        assert stats["patterns"] == 10  # each pattern created once, whoever won the race
        patterns = service.list_patterns("acme", limit=100)
        assert sum(pattern.occurrences for pattern in patterns) == 2 * EVENTS_PER_PROCESS
        assert sum(count for _, count in patterns[0].releases) == patterns[0].occurrences
        locations = service.production_errors_by_function(
            "acme", [f"api/handler_{i}.py" for i in range(10)]
        )
        assert sum(locations.values()) == 2 * EVENTS_PER_PROCESS
