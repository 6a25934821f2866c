"""Progress of a command that works through many things: submit --file, replay,
dlq redrive, demo.

On a terminal it is a progress bar (rich) on stderr. Anywhere else (a pipe, a
log file, CI) it is a plain line on stderr at most every ``every`` seconds, and
a last one at the end when any was printed, so a short run adds nothing to its
output and stdout stays the command's result.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

PLAIN_EVERY = 5.0  # seconds between two plain lines


def is_terminal(stream: TextIO) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


class Progress:
    """``with Progress("submit", total=120, unit="requests") as bar: ... bar.advance()``."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        unit: str = "",
        stream: TextIO | None = None,
        every: float = PLAIN_EVERY,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.completed = 0
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.terminal = is_terminal(self.stream)
        self._bar: Any = None
        self._task: Any = None
        self._last_line = time.monotonic()
        self._lines = 0
        self._shown: int | None = None
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

    def __enter__(self) -> Progress:
        if self.terminal:
            from rich.console import Console  # noqa: PLC0415 - only on a terminal
            from rich.progress import (  # noqa: PLC0415
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as Bar  # noqa: PLC0415

            self._bar = Bar(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(self.unit),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        if self._bar is not None:
            self._bar.stop()
        elif self._lines and self._shown != self.completed:
            self._line()

    def advance(self, amount: int = 1) -> None:
        self.update(self.completed + amount)

    def update(self, completed: int, total: int | None = None) -> None:
        with self._lock:
            self.completed = completed
            if total is not None:
                self.total = total
            if self._bar is not None:
                self._bar.update(self._task, completed=completed, total=self.total)
            elif time.monotonic() - self._last_line >= self.every:
                self._line()

    def follow(self, read: Callable[[], tuple[int, int | None]], interval: float = 0.5) -> None:
        """Update from ``read()`` -> (completed, total) every ``interval`` seconds, in a
        thread, until the ``with`` block ends: for work done in a loop that is not ours."""

        def tick() -> None:
            while not self._stop.wait(interval):
                self.update(*read())
            self.update(*read())

        self._ticker = threading.Thread(target=tick, name=f"progress-{self.label}", daemon=True)
        self._ticker.start()

    def _line(self) -> None:
        of = "" if self.total is None else f"/{self.total}"
        unit = f" {self.unit}" if self.unit else ""
        print(f"{self.label}: {self.completed}{of}{unit}", file=self.stream, flush=True)
        self._last_line = time.monotonic()
        self._lines += 1
        self._shown = self.completed


__all__ = ["PLAIN_EVERY", "Progress", "is_terminal"]
