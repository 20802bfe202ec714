"""What every entity shares: references, relationships, versions and change descriptions, paging.

Versioning and change descriptions follow `jdbi3/EntityRepository.java` (`EntityUpdater`): a change
bumps the version by 0.1 (`EntityUtil.nextVersion`), records `fieldsAdded/Updated/Deleted` with the
previous version, and sets `updatedAt/updatedBy`; an update that changes nothing keeps the version,
`updatedAt` and `updatedBy`. A PATCH by the same user within the 10-minute session of their previous
change is consolidated: it is diffed against the version before that change, so the version does not
move again (`consolidateChanges`).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from om_sandbox.errors import bad_request, not_found
from om_sandbox.store import Doc, Filter, Store

SESSION_TIMEOUT_MS = 10 * 60 * 1000

COLLECTIONS = {
    "user": "users",
    "domain": "domains",
    "team": "teams",
    "role": "roles",
    "policy": "policies",
    "workflow": "automations/workflows",
}


def now_ms() -> int:
    return int(time.time() * 1000)


def new_id() -> str:
    return str(uuid.uuid4())


def next_version(version: float) -> float:
    return round(version + 0.1, 1)


def quote_name(name: str) -> str:
    """FullyQualifiedName.quoteName: a name holding a dot is quoted so it stays one FQN part."""
    if '"' in name:
        raise bad_request(f"Invalid name {name}")
    return f'"{name}"' if "." in name else name


def build_fqn(parent_fqn: str | None, name: str) -> str:
    return quote_name(name) if parent_fqn is None else f"{parent_fqn}.{quote_name(name)}"


@dataclass(frozen=True)
class RefList:
    """A list field kept as relationships: (relation, type of the other end, entity is the `from` end)."""

    relation: str
    other_type: str
    outgoing: bool


@dataclass(frozen=True)
class TypeSpec:
    entity_type: str
    scalars: tuple[str, ...]
    ref_lists: dict[str, RefList] = field(default_factory=dict)


class Entities:
    """Reference building and relationship/version bookkeeping over the store."""

    def __init__(self, store: Store, base_url: Callable[[], str]) -> None:
        self.store = store
        self._base_url = base_url

    def href(self, entity_type: str, entity_id: str) -> str:
        return f"{self._base_url()}/api/v1/{COLLECTIONS[entity_type]}/{entity_id}"

    def ref(self, entity_type: str, entity_id: str) -> Doc | None:
        doc = self.store.get(entity_type, entity_id)
        return None if doc is None else self.ref_of(entity_type, doc)

    def ref_of(self, entity_type: str, doc: Doc) -> Doc:
        ref: Doc = {
            "id": doc["id"],
            "type": entity_type,
            "name": doc["name"],
            "fullyQualifiedName": doc["fullyQualifiedName"],
        }
        if doc.get("description") is not None:
            ref["description"] = doc["description"]
        if doc.get("displayName") is not None:
            ref["displayName"] = doc["displayName"]
        ref["deleted"] = bool(doc.get("deleted"))
        ref["href"] = self.href(entity_type, doc["id"])
        return ref

    def refs(self, entity_type: str, ids: list[str]) -> list[Doc]:
        refs = [self.ref(entity_type, entity_id) for entity_id in ids]
        return [ref for ref in refs if ref is not None]

    def require(self, entity_type: str, entity_id: str) -> Doc:
        doc = self.store.get(entity_type, entity_id)
        if doc is None:
            raise not_found(entity_type, entity_id)
        return doc

    def require_fqn(self, entity_type: str, fqn: str) -> Doc:
        doc = self.store.get_by_fqn(entity_type, fqn)
        if doc is None:
            raise not_found(entity_type, fqn)
        return doc

    def resolve_ref(self, entity_type: str, ref: Any) -> str:
        """The id an incoming EntityReference (or bare id) points to; 404 when it points nowhere."""
        if isinstance(ref, str):
            return self.require(entity_type, ref)["id"]
        if not isinstance(ref, dict):
            raise bad_request(f"Invalid {entity_type} reference {ref!r}")
        if ref.get("id"):
            return self.require(entity_type, str(ref["id"]))["id"]
        if ref.get("fullyQualifiedName") or ref.get("name"):
            return self.require_fqn(entity_type, str(ref.get("fullyQualifiedName") or ref.get("name")))["id"]
        raise bad_request(f"Invalid {entity_type} reference {json.dumps(ref)}")

    # -- relationships ------------------------------------------------------------------------------
    def related(self, entity_id: str, spec: RefList) -> list[str]:
        if spec.outgoing:
            return self.store.find_to(entity_id, spec.relation, spec.other_type)
        return self.store.find_from(entity_id, spec.relation, spec.other_type)

    def set_related(self, entity_type: str, entity_id: str, spec: RefList, ids: list[str]) -> None:
        with self.store.tx():
            if spec.outgoing:
                self.store.delete_to(entity_id, spec.relation, spec.other_type)
                for other in ids:
                    self.store.add_relationship(entity_id, entity_type, other, spec.other_type, spec.relation)
            else:
                self.store.delete_from(entity_id, spec.relation, spec.other_type)
                for other in ids:
                    self.store.add_relationship(other, spec.other_type, entity_id, entity_type, spec.relation)

    # -- change descriptions -------------------------------------------------------------------------
    def diff(self, spec: TypeSpec, old: Doc, new: Doc) -> Doc:
        """EntityUpdater.recordChange / recordListChange over the fields of `spec`."""
        added: list[Doc] = []
        updated: list[Doc] = []
        deleted: list[Doc] = []
        for name in spec.scalars:
            before, after = old.get(name), new.get(name)
            if before == after:
                continue
            if before is None:
                added.append({"name": name, "newValue": _field_value(after)})
            elif after is None:
                deleted.append({"name": name, "oldValue": _field_value(before)})
            else:
                updated.append({"name": name, "oldValue": _field_value(before), "newValue": _field_value(after)})
        for name, ref_spec in spec.ref_lists.items():
            before_ids = list(old.get(name) or [])
            after_ids = list(new.get(name) or [])
            gained = [i for i in after_ids if i not in before_ids]
            lost = [i for i in before_ids if i not in after_ids]
            if gained:
                added.append({"name": name, "newValue": _json(self._change_refs(ref_spec.other_type, gained))})
            if lost:
                deleted.append({"name": name, "oldValue": _json(self._change_refs(ref_spec.other_type, lost))})
        return {"fieldsAdded": added, "fieldsUpdated": updated, "fieldsDeleted": deleted}

    def _change_refs(self, entity_type: str, ids: list[str]) -> list[Doc]:
        refs = []
        for entity_id in ids:
            ref = self.ref(entity_type, entity_id)
            if ref is not None:
                ref.pop("href", None)
                refs.append(ref)
        return refs

    def state(self, spec: TypeSpec, doc: Doc, relations: dict[str, list[str]]) -> Doc:
        snapshot = {name: doc.get(name) for name in spec.scalars}
        snapshot.update(relations)
        snapshot.update(version=doc.get("version"), changeDescription=doc.get("changeDescription"))
        return snapshot

    def commit_update(
        self,
        spec: TypeSpec,
        original: Doc,
        original_state: Doc,
        updated: Doc,
        updated_state: Doc,
        *,
        by: str,
        patch: bool,
    ) -> tuple[Doc, Doc, bool]:
        """Version, change description and storage of an update. Returns (document to store,
        incremental change description, whether anything changed)."""
        now = now_ms()
        version = float(original.get("version", 0.1))
        incremental = self.diff(spec, original_state, updated_state)
        incremental["previousVersion"] = version
        changed = any(incremental[key] for key in ("fieldsAdded", "fieldsUpdated", "fieldsDeleted"))
        if not changed:
            kept = dict(updated)
            for key in ("version", "updatedAt", "updatedBy", "changeDescription"):
                if key in original:
                    kept[key] = original[key]
            return kept, incremental, False

        consolidated: Doc | None = None
        previous_change = original.get("changeDescription") or {}
        if (
            patch
            and version > 0.1
            and previous_change.get("previousVersion") is not None
            and not original.get("deleted")
            and original.get("updatedBy") == by
            and now - int(original.get("updatedAt", 0)) <= SESSION_TIMEOUT_MS
        ):
            base = self.store.get_version(original["id"], float(previous_change["previousVersion"]))
            if base is not None:
                consolidated = self.diff(spec, base, updated_state)
                consolidated["previousVersion"] = float(base["version"])
        if consolidated is not None:
            base_version = float(consolidated["previousVersion"])
            full_change = any(consolidated[k] for k in ("fieldsAdded", "fieldsUpdated", "fieldsDeleted"))
            new_version = next_version(base_version) if full_change else base_version
            change = consolidated
        else:
            new_version = next_version(version)
            change = incremental
        result = dict(updated)
        result.update(
            version=new_version,
            updatedAt=now,
            updatedBy=by,
            changeDescription=change,
            incrementalChangeDescription=incremental,
        )
        snapshot = dict(updated_state)
        snapshot.update(version=new_version, changeDescription=change)
        self.store.put_version(original["id"], new_version, snapshot)
        return result, incremental, True

    # -- paging --------------------------------------------------------------------------------------
    def list_page(
        self,
        entity_type: str,
        where: Filter,
        limit: int,
        before: str | None,
        after: str | None,
    ) -> tuple[list[Doc], Doc]:
        """EntityRepository.listAfter / listBefore: keyset pages and ResultList's paging object."""
        total = self.store.count(entity_type, where)
        paging: Doc = {}
        if limit == 0:
            paging["total"] = total
            return [], paging
        if before is not None:
            rows = self.store.page_before(entity_type, where, decode_cursor(before), limit + 1)
            if len(rows) > limit:
                rows = rows[1:]
                paging["before"] = encode_cursor(rows[0])
            if rows:
                paging["after"] = encode_cursor(rows[-1])
        else:
            rows = self.store.page_after(entity_type, where, decode_cursor(after) if after else None, limit + 1)
            if after is not None and rows:
                paging["before"] = encode_cursor(rows[0])
            if len(rows) > limit:
                rows = rows[:limit]
                paging["after"] = encode_cursor(rows[-1])
        paging["total"] = total
        return rows, paging


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _field_value(value: Any) -> Any:
    # Objects (e.g. profile) are recorded as JSON text, scalars as themselves.
    return _json(value) if isinstance(value, (dict, list)) else value


def encode_cursor(doc: Doc) -> str:
    raw = json.dumps({"name": doc["name"], "id": doc["id"]}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return str(value["name"]), str(value["id"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise bad_request(f"Invalid cursor {cursor}") from exc


def include_filter(include: str | None) -> Filter:
    if include in (None, "", "non-deleted"):
        return Filter("AND deleted = 0")
    if include == "deleted":
        return Filter("AND deleted = 1")
    if include == "all":
        return Filter()
    raise bad_request(f"query param include must be one of [all, deleted, non-deleted], got {include}")


def and_filters(*filters: Filter) -> Filter:
    return Filter(" ".join(f.sql for f in filters if f.sql), tuple(p for f in filters for p in f.params))


def parse_fields(param: str | None, allowed: frozenset[str]) -> set[str]:
    """EntityUtil.Fields: a comma list, each name allowed for the entity, else 400."""
    if not param:
        return set()
    fields = {name.strip() for name in param.split(",") if name.strip()}
    for name in fields:
        if name not in allowed:
            raise bad_request(f"Invalid field name {name}")
    return fields


def parse_limit(param: str | None, default: int = 10, maximum: int = 1_000_000) -> int:
    if param is None or param == "":
        return default
    try:
        limit = int(param)
    except ValueError as exc:
        raise bad_request(f"query param limit must be an integer, got {param}") from exc
    if limit < 0:
        raise bad_request("query param limit must be greater than or equal to 0")
    if limit > maximum:
        raise bad_request(f"query param limit must be less than or equal to {maximum}")
    return limit
