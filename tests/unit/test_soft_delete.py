"""The soft-delete writer's answers to a refused write: whatever status a release gives a write that is already done
(404, or a 500 from the newest restore), the user is read again and counts as done when it reads so."""

from typing import Any, cast

import pytest

from connector.catalog import CatalogUser
from connector.openmetadata import OpenMetadataApi, OpenMetadataError
from connector.soft_delete import SoftDeleteWriter
from connector.writer import WriteError

USER = CatalogUser("u-1", "dave", "dave@example.com", "Dave", (), version=0.2)


class Api:
    """Answers each read with the next state (deleted or not) and refuses the write with `refusal`."""

    def __init__(self, refusal: OpenMetadataError, *states: bool) -> None:
        self.refusal = refusal
        self.states = list(states)
        self.writes = 0

    def get(self, path: str, params: dict[str, Any]) -> Any:
        deleted = self.states.pop(0)
        return {"id": USER.id, "name": USER.name, "email": USER.email, "version": 0.2, "deleted": deleted}

    def put(self, path: str, body: dict[str, Any]) -> Any:
        self.writes += 1
        raise self.refusal

    delete = put


@pytest.mark.parametrize("status", [404, 500, None])
def test_a_refused_restore_of_a_user_restored_meanwhile_counts_as_done(status: int | None) -> None:
    api = Api(OpenMetadataError(f"PUT /users/restore: HTTP {status}", status), True, False)
    done = SoftDeleteWriter(cast(OpenMetadataApi, api)).restore(USER)
    assert done.note == f"restored (the answer was {status or 'lost'}; the user reads restored)"
    assert api.writes == 1


def test_a_refused_delete_of_a_user_still_active_fails_with_the_servers_answer() -> None:
    api = Api(OpenMetadataError("DELETE /users/u-1: HTTP 500: boom", 500), False, False)
    with pytest.raises(WriteError, match="HTTP 500: boom; the user reads unchanged, so nothing was written"):
        SoftDeleteWriter(cast(OpenMetadataApi, api)).delete(USER)
    assert api.writes == 1
