import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import jsonpatch
import pytest

from connector.catalog import CatalogUser, Domain, DomainIndex
from connector.openmetadata import OpenMetadataError, server_reason
from connector.plan import UserChange
from connector.writer import UserWriter, WriteError, build_patch, describe_change, failed_test, replan

FINANCE = Domain("d-fin", "Finance", "Finance")
MARKETING = Domain("d-mkt", "Marketing", "Marketing")
BRIAN = CatalogUser("u-b", "brian_smith7", "brian_smith7@gmail.com", "Brian", ("d-mkt",), 0.2, ("d-mkt",))
AARON = CatalogUser("u-a", "aaron", "aaron@x.org", None, (), 0.1, ("d-inherited",))


def test_patch_tests_the_values_read_and_sets_exactly_the_changed_fields() -> None:
    assert list(build_patch(UserChange(BRIAN, display_name="Brian Smith"))) == [
        {"op": "test", "path": "/displayName", "value": "Brian"},
        {"op": "add", "path": "/displayName", "value": "Brian Smith"},
    ]
    assert list(build_patch(UserChange(BRIAN, domains=(FINANCE,)))) == [
        {"op": "test", "path": "/domains/0/id", "value": "d-mkt"},
        {"op": "add", "path": "/domains", "value": [{"id": "d-fin", "type": "domain"}]},
    ]
    assert [op["path"] for op in build_patch(UserChange(BRIAN, "Brian Smith", (FINANCE,)))] == [
        "/displayName",
        "/displayName",
        "/domains/0/id",
        "/domains",
    ]


def test_patch_applies_to_a_user_without_display_name() -> None:
    """Absence cannot be tested in JSON Patch: a user read without a displayName gets only the `add`."""
    document = {"id": "u-a", "name": "aaron", "teams": [{"id": "t"}], "domains": [{"id": "d-inherited"}]}
    patched = build_patch(UserChange(AARON, display_name="Aaron Johnson")).apply(document)
    assert patched == {**document, "displayName": "Aaron Johnson"}


@pytest.mark.parametrize(
    "document",
    [
        {"id": "u-b", "displayName": "Brian S.", "domains": [{"id": "d-mkt"}]},
        {"id": "u-b", "displayName": "Brian", "domains": [{"id": "d-fin"}]},
        {"id": "u-b", "displayName": "Brian", "domains": []},
    ],
)
def test_patch_fails_on_a_user_changed_since_the_read(document: dict[str, Any]) -> None:
    with pytest.raises(jsonpatch.JsonPatchTestFailed):
        build_patch(UserChange(BRIAN, "Brian Smith", (FINANCE,))).apply(document)


def test_replan_keeps_only_what_still_differs() -> None:
    change = UserChange(BRIAN, "Brian Smith", (FINANCE,))
    now = replace(BRIAN, display_name="Brian Smith", version=0.3)
    assert replan(change, now) == UserChange(now, None, (FINANCE,))
    assert replan(change, replace(now, domain_ids=("d-fin",))) is None


def test_change_is_described_for_the_log() -> None:
    domains = DomainIndex()
    domains.add(FINANCE)
    domains.add(MARKETING)
    change = UserChange(BRIAN, display_name="Brian Smith", domains=(FINANCE,))
    assert (
        describe_change(change, domains)
        == "user brian_smith7: displayName 'Brian' -> 'Brian Smith'; domains [Marketing] -> [Finance]"
    )


class FakeApi:
    """Stands in for OpenMetadataApi: each patch takes the next prepared answer (an entity, or an error to raise);
    a GET answers `current`."""

    def __init__(self, *answers: Any, error: OpenMetadataError | None = None, current: Any = None) -> None:
        self.answers = list(answers) if answers else [error]
        self.current = current
        self.sent: list[tuple[str, list[dict[str, Any]]]] = []
        self.reads: list[tuple[str, dict[str, Any]]] = []

    def patch(self, path: str, operations: list[dict[str, Any]]) -> Any:
        self.sent.append((path, operations))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, OpenMetadataError):
            raise answer
        return answer

    def get(self, path: str, params: dict[str, Any]) -> Any:
        self.reads.append((path, params))
        return self.current


def entity(display_name: str | None, domains: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "u-b",
        "name": "brian_smith7",
        "email": "brian_smith7@gmail.com",
        "displayName": display_name,
        "domains": domains,
    }


def writer(api: FakeApi) -> UserWriter:
    return UserWriter(api)  # type: ignore[arg-type]


def test_write_sends_the_patch_and_accepts_the_kept_values() -> None:
    api = FakeApi(entity("Brian Smith", [{"id": "d-fin", "type": "domain"}, {"id": "d-x", "inherited": True}]))
    written = writer(api).write(UserChange(BRIAN, "Brian Smith", (FINANCE,)))
    assert api.sent == [("/users/u-b", list(build_patch(UserChange(BRIAN, "Brian Smith", (FINANCE,)))))]
    assert written.display_name == "Brian Smith"
    assert written.domain_ids == ("d-fin",)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (entity("Brian", [{"id": "d-fin"}]), "kept displayName 'Brian'"),
        (entity("Brian Smith", [{"id": "d-mkt"}]), "domains are not the ones sent"),
        (entity("Brian Smith", [{"id": "d-fin", "inherited": True}]), "domains are not the ones sent"),
        ({"message": "ok"}, "without the updated user"),
    ],
)
def test_a_success_status_that_kept_old_values_is_a_failure(answer: Any, message: str) -> None:
    with pytest.raises(WriteError, match=message):
        writer(FakeApi(answer)).write(UserChange(BRIAN, "Brian Smith", (FINANCE,)))


def test_http_errors_become_write_errors_with_the_servers_reason() -> None:
    error = OpenMetadataError("PATCH /users/u-b: HTTP 403: operation EditDisplayName denied", status=403)
    with pytest.raises(WriteError, match="HTTP 403: operation EditDisplayName denied"):
        writer(FakeApi(error=error)).write(UserChange(BRIAN, "Brian Smith"))


def refused(status: int, reason: str) -> OpenMetadataError:
    """An error as OpenMetadataApi raises it for an answer with OpenMetadata's `message` (already made fit to log)."""
    return OpenMetadataError(f"PATCH /users/u-b: HTTP {status}: {server_reason(reason)}", status, server_reason(reason))


JOHNZON = "An exception with message [{}] was thrown while processing request."
USER_JSON = '{"id":"u-b","name":"brian_smith7","description":"PLANTED-c0ffee O\'Brien}\' [x]","domains":[]}'
TEST_FAILED = refused(500, JOHNZON.format("JsonPatch.Operation.TEST fails! Values are not equal"))
GUARDED = list(build_patch(UserChange(BRIAN, "Brian Smith", (FINANCE,))))  # tests /displayName and /domains/0/id


@pytest.mark.parametrize(
    ("status", "reason", "failed"),
    [
        # Johnzon inside OpenMetadata's 500 wrapper (before PR #28316), both of its spellings over the years
        (500, JOHNZON.format("JsonPatch.Operation.TEST fails! Values are not equal"), "a tested value"),
        (500, JOHNZON.format("JsonPatchOperation.TEST fails! Values are not equal"), "a tested value"),
        # Johnzon's text answered as 400 (PR #28316 maps every JsonException to 400)
        (400, "JsonPatch.Operation.TEST fails! Values are not equal", "a tested value"),
        # Parsson (messages.properties, patch.test.failed), as 400 and as 422
        (400, "The JSON Patch operation 'test' failed for path '/displayName' and value '\"Brian\"'", "/displayName"),
        (422, "The JSON Patch operation 'test' failed for path '/domains/0/id' and value '\"d-mkt\"'", "/domains/0/id"),
        (400, "The JSON Patch operation 'test' failed", "a tested value"),
        # a tested member gone meanwhile: Johnzon's pointer, with the whole entity quoted
        (500, JOHNZON.format(f"'{USER_JSON}' contains no value for name 'displayName'"), "/displayName"),
        (400, f"'{USER_JSON}' contains no value for name 'domains'", "/domains/0/id"),
        (500, JOHNZON.format("'[]' contains no element for index 0 and for '0'."), "/domains/0/id"),
        (500, JOHNZON.format("'[]' contains no element for index 0"), "/domains/0/id"),
        # ... and Parsson's
        (400, "Non-existing name/value pair in the object for key displayName", "/displayName"),
        (422, "An array item index is out of range. Index: 0, Size: 0", "/domains/0/id"),
        (400, f"The JSON Object '{USER_JSON}' contains no mapping for the name 'domains'", "/domains/0/id"),
        # not a failed test: another status, another text, or a path the patch did not test
        (409, "The JSON Patch operation 'test' failed for path '/displayName' and value '\"B\"'", None),
        (503, JOHNZON.format("JsonPatch.Operation.TEST fails! Values are not equal"), None),
        (400, "The JSON Patch operation 'test' failed for path '/description' and value '\"B\"'", None),
        (400, "Non-existing name/value pair in the object for key description", None),
        (400, "An array item index is out of range. Index: 3, Size: 1", None),
        (500, JOHNZON.format(f"'{USER_JSON}' contains no value for name 'owners'"), None),
        (400, "A non-empty JSON Pointer must begin with a '/'", None),
        (400, "[displayName size must be between 1 and 256]", None),
        (500, JOHNZON.format("java.lang.NullPointerException"), None),
    ],
)
def test_a_failed_test_is_recognised_on_every_release_and_nothing_else_is(
    status: int, reason: str, failed: str | None
) -> None:
    assert failed_test(refused(status, reason), GUARDED) == failed


def test_a_patch_without_tests_has_no_failed_test() -> None:
    unguarded = list(build_patch(UserChange(AARON, "Aaron")))
    gone = refused(400, "Non-existing name/value pair in the object for key displayName")
    assert failed_test(gone, unguarded) is None


NAME_GONE = [
    refused(500, JOHNZON.format(f"'{USER_JSON}' contains no value for name 'displayName'")),
    refused(400, f"'{USER_JSON}' contains no value for name 'displayName'"),
    refused(422, "Non-existing name/value pair in the object for key displayName"),
]


@pytest.mark.parametrize("gone", NAME_GONE, ids=["500", "400", "422"])
def test_a_display_name_removed_meanwhile_is_a_conflict_reread_and_written_once_more(gone: OpenMetadataError) -> None:
    api = FakeApi(gone, entity("Brian Smith", [{"id": "d-fin"}]), current=entity(None, [{"id": "d-mkt"}]))
    assert writer(api).write(UserChange(BRIAN, "Brian Smith", (FINANCE,))).display_name == "Brian Smith"
    assert len(api.reads) == 1
    assert len(api.sent) == 2
    assert {"op": "test", "path": "/displayName", "value": "Brian"} not in api.sent[1][1]


@pytest.mark.parametrize("gone", NAME_GONE, ids=["500", "400", "422"])
def test_no_user_json_reaches_an_error_or_a_log_line(gone: OpenMetadataError, caplog: pytest.LogCaptureFixture) -> None:
    api = FakeApi(gone, current=entity(None, [{"id": "d-mkt"}]))
    with pytest.raises(WriteError) as error:
        UserWriter(api, replan_on_conflict=False).write(UserChange(BRIAN, "Brian Smith"))  # type: ignore[arg-type]
    assert str(error.value) == (
        f"the user changed in OpenMetadata after the plan was checked (OpenMetadata: the test of /displayName "
        f"failed, HTTP {gone.status}); nothing written"
    )
    unrelated = refused(gone.status or 500, JOHNZON.format(f"'{USER_JSON}' contains no value for name 'owners'"))
    with pytest.raises(WriteError) as other:
        writer(FakeApi(unrelated)).write(UserChange(BRIAN, "Brian Smith"))
    assert "contains no value for name 'owners'" in str(other.value)
    for text in (str(error.value), str(gone), str(other.value), caplog.text):
        assert "PLANTED" not in text
        assert "brian_smith7" not in text
        assert "\n" not in text


def test_a_failed_test_rereads_the_user_and_writes_the_directory_values_once_more() -> None:
    renamed = entity("Brian S.", [{"id": "d-mkt"}])
    api = FakeApi(TEST_FAILED, entity("Brian Smith", [{"id": "d-fin"}]), current=renamed)
    written = writer(api).write(UserChange(BRIAN, "Brian Smith", (FINANCE,)))
    assert written.display_name == "Brian Smith"
    assert api.reads == [("/users/u-b", {"fields": "domains"})]
    assert api.sent[1][1][0] == {"op": "test", "path": "/displayName", "value": "Brian S."}


def test_a_failed_test_on_a_user_that_already_holds_the_values_writes_nothing_more() -> None:
    api = FakeApi(TEST_FAILED, current=entity("Brian Smith", [{"id": "d-fin"}]))
    assert writer(api).write(UserChange(BRIAN, "Brian Smith", (FINANCE,))).display_name == "Brian Smith"
    assert len(api.sent) == 1


def test_a_user_that_changes_again_fails_clearly() -> None:
    api = FakeApi(TEST_FAILED, current=entity("Brian S.", [{"id": "d-mkt"}]))
    with pytest.raises(WriteError, match=r"changed again while being written \(.*\); nothing written"):
        writer(api).write(UserChange(BRIAN, "Brian Smith", (FINANCE,)))
    assert len(api.sent) == 2


def test_no_answer_at_all_is_marked_unreachable() -> None:
    api = FakeApi(error=OpenMetadataError("PATCH /users/u-b: could not connect"))
    with pytest.raises(WriteError) as error:
        writer(api).write(UserChange(BRIAN, "Brian Smith"))
    assert error.value.unreachable


def test_a_plan_being_applied_is_not_replanned_on_a_failed_test() -> None:
    api = FakeApi(TEST_FAILED, current=entity("Brian S.", [{"id": "d-mkt"}]))
    with pytest.raises(WriteError, match=r"changed in OpenMetadata after the plan was checked \(.*\); nothing written"):
        UserWriter(api, replan_on_conflict=False).write(UserChange(BRIAN, "Brian Smith"))  # type: ignore[arg-type]
    assert len(api.sent) == 1


def test_clearing_tests_the_name_read_removes_it_and_checks_it_is_gone() -> None:
    clear = UserChange(BRIAN, domains=(), clear_display_name=True)
    assert list(build_patch(clear)) == [
        {"op": "test", "path": "/displayName", "value": "Brian"},
        {"op": "remove", "path": "/displayName"},
        {"op": "test", "path": "/domains/0/id", "value": "d-mkt"},
        {"op": "add", "path": "/domains", "value": []},
    ]
    assert (
        describe_change(clear, DomainIndex())
        == "user brian_smith7: displayName 'Brian' -> (none); domains [d-mkt] -> []"
    )
    assert writer(FakeApi(entity(None, []))).write(clear).display_name is None
    with pytest.raises(WriteError, match="kept displayName 'Brian'"):
        writer(FakeApi(entity("Brian", []))).write(clear)
    assert replan(clear, replace(BRIAN, display_name=None, domain_ids=())) is None


class SlowApi:
    """Answers every patch after `delay` seconds, and records how many patches were in flight at once."""

    base_url = "http://om.test/api/v1"

    def __init__(self, delay: float, fail: frozenset[str] = frozenset(), status: int | None = 404) -> None:
        self.delay, self.fail, self.status = delay, fail, status
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0

    def patch(self, path: str, operations: list[dict[str, Any]]) -> Any:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(self.delay)
        with self.lock:
            self.in_flight -= 1
        user_id = path.rsplit("/", 1)[1]
        if user_id in self.fail:
            raise OpenMetadataError(f"PATCH {path}: failed", status=self.status)
        added = next(op["value"] for op in operations if op["op"] == "add" and op["path"] == "/displayName")
        return {"id": user_id, "name": user_id, "email": f"{user_id}@x.org", "displayName": added}


def renames(count: int) -> list[UserChange]:
    return [UserChange(CatalogUser(f"u{i}", f"u{i}", f"u{i}@x.org", "Old", ()), f"New {i}") for i in range(count)]


def test_write_all_overlaps_writes_and_returns_every_outcome() -> None:
    api = SlowApi(delay=0.05, fail=frozenset({"u3", "u17"}))
    changes = renames(40)
    outcomes = list(writer(api).write_all(changes, concurrency=8))  # type: ignore[arg-type]
    assert sorted(change.user.id for change, _ in outcomes) == sorted(change.user.id for change in changes)
    failed = {change.user.id for change, outcome in outcomes if isinstance(outcome, WriteError)}
    assert failed == {"u3", "u17"}
    assert api.most_in_flight == 8


def test_write_all_with_concurrency_one_writes_one_at_a_time() -> None:
    api = SlowApi(delay=0.001)
    outcomes = list(writer(api).write_all(renames(5), concurrency=1))  # type: ignore[arg-type]
    assert [change.user.id for change, _ in outcomes] == ["u0", "u1", "u2", "u3", "u4"]
    assert api.most_in_flight == 1


def test_write_all_queues_a_bounded_number_of_writes() -> None:
    """Submitting lazily: after the first outcome, at most 2 x concurrency changes have been taken from the input."""
    taken: list[int] = []

    def changes() -> Iterator[UserChange]:
        for i, change in enumerate(renames(1000)):
            taken.append(i)
            yield change

    outcomes = writer(SlowApi(delay=0.001)).write_all(changes(), concurrency=4)  # type: ignore[arg-type]
    next(outcomes)
    assert len(taken) <= 2 * 4 + 4
    outcomes.close()


def test_write_all_stops_sending_once_openmetadata_stops_answering() -> None:
    """A write with no answer at all (after retries) marks the server gone: writes not yet started are not sent."""
    api = SlowApi(delay=0.001, fail=frozenset({"u0"}), status=None)
    outcomes = list(writer(api).write_all(renames(30), concurrency=1))  # type: ignore[arg-type]
    errors = {change.user.id: outcome for change, outcome in outcomes if isinstance(outcome, WriteError)}
    assert len(errors) == 30
    assert errors.pop("u0").unreachable
    assert all(str(error).startswith("not attempted: OpenMetadata at http://om.test") for error in errors.values())
