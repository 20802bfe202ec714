"""The files the connector writes (the plan, the change report): private, whole, and never through a symlink.

They hold people's names and emails. Each is written at `<name>.partial`, created afresh with mode 0600
(`O_CREAT | O_EXCL | O_NOFOLLOW`: an existing file or a symlink planted there makes the open fail rather than write
through it), and renamed over the final name when complete; the rename replaces a symlink at the final name
instead of following it. A `.partial` left by a crashed run is removed first (removing a symlink removes the link,
never its target).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import TracebackType

PRIVATE_MODE = 0o600


class PrivateFile:
    """A text file being written to `path`; `close()` puts it in place, leaving a context on an error discards it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._partial = path.with_name(path.name + ".partial")
        with contextlib.suppress(FileNotFoundError):
            self._partial.unlink()
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        self._file = os.fdopen(os.open(self._partial, flags, PRIVATE_MODE), "w", encoding="utf-8", newline="")

    def write(self, text: str) -> None:
        self._file.write(text)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
            os.replace(self._partial, self.path)

    def discard(self) -> None:
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self._partial.unlink()

    def __enter__(self) -> PrivateFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()
