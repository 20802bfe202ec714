"""The OpenMetadata releases a test run imitates with the sandbox.

By default the installed SDK's release and, where its line has a release that behaves differently and that this
SDK still talks to (same major.minor), the last release before the change: with SDK 2.0.7.0 that is 2.0.6, which
has no `EditDomains`. Only the tests marked `releases` run on both; the rest run on the installed release.
`SANDBOX_VERSION=X.Y.Z` runs everything on that one release instead (e.g. the whole suite on 2.0.6).
"""

from __future__ import annotations

import os

from om_sandbox.release import Release

# The last release of a line before a behaviour of om_sandbox/release.py changed within that line.
_BEFORE_A_CHANGE = (Release("2.0.6"),)


def installed() -> Release:
    """The release every test imitates unless it asks for another: SANDBOX_VERSION, else the installed SDK's."""
    version = os.environ.get("SANDBOX_VERSION")
    return Release(version) if version else Release.of_installed_sdk()


def under_test() -> list[Release]:
    """The releases a test marked `releases` runs on, the installed one last."""
    current = installed()
    if os.environ.get("SANDBOX_VERSION"):
        return [current]
    earlier = [r for r in _BEFORE_A_CHANGE if r.major_minor == current.major_minor and r.numbers < current.numbers]
    return [*earlier, current]
