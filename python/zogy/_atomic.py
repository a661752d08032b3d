"""The one atomic file writer: FITS outputs and the batch report are written through it.

A file is written under a temporary name in its own directory and renamed over the target,
so a reader (or a re-run that skips finished outputs) sees the old file or the whole new one,
never half of it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: str | os.PathLike, write: Callable[[str], object]) -> Path:
    """Call ``write(temporary)`` to write the file, then rename it to ``path``.

    Parameters
    ----------
    path : str or path-like
        The target; its directory must exist. An existing file is replaced.
    write : callable
        Writes the whole file to the path it is given (an empty file exists there already).

    Returns
    -------
    Path
        ``path``.

    The file gets the mode a plain ``open(path, "w")`` would give it (0o666 less the umask),
    whatever it holds. If ``write`` or the rename fails or is interrupted, the temporary
    file is removed and the target is left as it was.
    """
    target = Path(path)
    temporary = _create_temporary(target)
    try:
        write(temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):  # the write or the rename did not happen
            os.unlink(temporary)
    return target


def _create_temporary(target: Path) -> str:
    """A new empty file ``.<name>.<random>.tmp`` beside ``target``, mode 0o666 less the umask.

    Not ``tempfile.mkstemp``: it creates the file 0o600, and widening that afterwards needs
    the umask, which ``os.umask`` can only read by setting it for the whole process -- a race
    with any thread that creates a file meanwhile (a batch writes from many threads). Here
    the kernel applies the umask. O_EXCL: never an existing file (64 random bits make a
    clash practically impossible, and it would raise, not overwrite).
    """
    temporary = str(target.parent / f".{target.name}.{secrets.token_hex(8)}.tmp")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return temporary
