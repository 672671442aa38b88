"""A progress bar for scenario runs: done, resumed and not optimal, on stderr."""

from __future__ import annotations

__all__ = ["ProgressBar"]


class ProgressBar:
    """A rich progress bar on stderr, or nothing when ``enabled`` is false.

    Parameters
    ----------
    enabled : bool
    total : int
        Tasks in the run, resumed ones included.
    done : int
        Tasks resumed from an earlier run (shown as done, and noted).
    description : str
    """

    def __init__(self, enabled, total, done, description):
        self.failed = 0
        self._bar = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                             MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
                             TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                             console=Console(stderr=True), transient=False)
        self._bar.start()
        note = f"({done} resumed)" if done else ""
        self._task = self._bar.add_task(description, total=total, completed=done, note=note)

    def advance(self, failed=False):
        """One more task finished; ``failed`` ones are counted in red."""
        self.failed += bool(failed)
        if self._bar is not None:
            note = f"[red]{self.failed} not optimal[/red]" if self.failed else ""
            self._bar.update(self._task, advance=1, note=note)

    def close(self):
        """Stop drawing (the bar stays on screen)."""
        if self._bar is not None:
            self._bar.stop()
