"""`maskEmails`: how an email address appears in logs and in the workflow's status."""

from __future__ import annotations

from collections.abc import Callable


def mask_email(email: str) -> str:
    """`brian_smith7@gmail.com` -> `b***@gmail.com`: enough to tell people apart by domain, not to identify them."""
    local, at, domain = email.partition("@")
    return f"{local[:1]}***{at}{domain}"


def email_shown(mask: bool) -> Callable[[str], str]:
    return mask_email if mask else str
