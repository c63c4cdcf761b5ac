"""Progress on the terminal for commands that take more than a moment (rich, on stderr).

On a terminal: a spinner with the current stage and the elapsed time, or a bar when the total
is known; gone when the work is done. Elsewhere (CI logs, pipes): one plain line per stage, so
a long run still says what it is doing. Nothing goes to stdout, which carries the output.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO


@contextmanager
def stages(command: str, stream: TextIO | None = None) -> Iterator[Callable[[str], None]]:
    """A function that announces each stage of ``command`` as it starts."""
    out = stream or sys.stderr
    if not _interactive(out):

        def say(stage: str) -> None:
            print(f"argus {command}: {stage}…", file=out, flush=True)

        yield say
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]argus " + command + "[/]: {task.description}"),
        TimeElapsedColumn(),
        console=Console(file=out),
        transient=True,
    )
    with progress:
        task = progress.add_task("starting", total=None)

        def update(stage: str) -> None:
            progress.update(task, description=stage)

        yield update


@contextmanager
def counter(
    command: str, what: str, total: int | None = None, stream: TextIO | None = None
) -> Iterator[Callable[[int], None]]:
    """A function that advances a count of ``what`` by its argument (a bar when ``total`` is
    known). Off a terminal it says nothing: the command's own summary line follows."""
    out = stream or sys.stderr
    if not _interactive(out):
        yield lambda advance: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = [SpinnerColumn(), TextColumn(f"[bold]argus {command}[/]: {what}")]
    columns += [BarColumn(), MofNCompleteColumn()] if total else [TextColumn("{task.completed}")]
    progress = Progress(*columns, TimeElapsedColumn(), console=Console(file=out), transient=True)
    with progress:
        task = progress.add_task(what, total=total)
        yield lambda advance: progress.advance(task, advance)


def _interactive(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
