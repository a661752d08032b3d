"""The one progress bar of the package: tqdm on stderr, or nothing.

Studies, the spatial grid and batches count their work with :class:`Progress`; the command
line decides with :func:`wanted` whether to ask for it.
"""

from __future__ import annotations

import sys


def wanted(flag: bool | None) -> bool:
    """``--progress`` / ``--no-progress``, or by default whether stderr is a terminal."""
    return sys.stderr.isatty() if flag is None else bool(flag)


class Progress:
    """A tqdm bar on stderr counting ``unit``s, labelled ``desc``, or nothing.

    Nothing when disabled, when there is nothing to count, or when tqdm is not installed:
    the bar is a nicety and tqdm is not a dependency. :meth:`update` may be called from any
    thread (tqdm serialises its writes).
    """

    def __init__(self, total: int, enabled: bool, *, desc: str, unit: str):
        self._bar = None
        if enabled and total:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self._bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr)

    def update(self, n: int = 1) -> None:
        """Count ``n`` more units done."""
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        """Draw the bar's final state and release the terminal line."""
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
