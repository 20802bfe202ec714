"""Print the sandbox's demo users as a table: what the sync changes and what it must leave alone."""

from __future__ import annotations

import os
import sys

import requests

DEMO_USERS = ("admin", "aaron_johnson0", "brian_smith7")


def refs(entity: dict[str, object], key: str) -> str:
    items = entity.get(key) or []
    assert isinstance(items, list)
    names = [str(ref.get("displayName") or ref.get("name")) + ("*" if ref.get("inherited") else "") for ref in items]
    return ", ".join(names) or "-"


def main() -> None:
    base, title = sys.argv[1], sys.argv[2]
    headers = {"Authorization": f"Bearer {os.environ['OPENMETADATA_JWT_TOKEN']}"}
    print(f"\n== {title}")
    print(f"{'user':<16} {'displayName':<15} {'domains':<12} {'teams':<16} {'roles':<12} version")
    for name in DEMO_USERS:
        response = requests.get(
            f"{base}/v1/users/name/{name}", params={"fields": "domains,teams,roles"}, headers=headers, timeout=10
        )
        response.raise_for_status()
        user = response.json()
        print(
            f"{user['name']:<16} {user.get('displayName') or '-':<15} {refs(user, 'domains'):<12} "
            f"{refs(user, 'teams'):<16} {refs(user, 'roles'):<12} {user.get('version')}"
        )


if __name__ == "__main__":
    main()
