"""SQLite persistence: one table per entity type holding the JSON document plus indexed columns.

List pages are keyset queries on the indexed `(name, id)` columns, so a page costs the same whatever
the collection size (OpenMetadata pages with `name`-based cursors the same way). Relationships live in
their own table like OpenMetadata's `entity_relationship`; prior versions of documents are kept in
`entity_version` (OpenMetadata's `entity_extension` "<type>.version.<n>" rows) so that a PATCH can be
consolidated against the previous version.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Table names in SQL text come only from this tuple, never from a request (hence the S608 waivers).
ENTITY_TYPES = ("user", "domain", "team", "role", "policy", "workflow")

Doc = dict[str, Any]
# (from_id, from_type, to_id, to_type, relation), the columns of the relationship table.
Relationship = tuple[str, str, str, str, str]


@dataclass(frozen=True)
class Filter:
    """Extra WHERE conditions for a list query; values are bound parameters."""

    sql: str = ""
    params: tuple[Any, ...] = ()


class Store:
    def __init__(self, path: str | Path) -> None:
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._depth = 0
        # Bumped by every committed transaction; counts computed at an older generation are stale.
        self._generation = 0
        self._counts: dict[tuple[str, str, tuple[Any, ...]], tuple[int, int]] = {}
        self._create_schema()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _create_schema(self) -> None:
        with self.tx():
            for entity_type in ENTITY_TYPES:
                extra = ", email TEXT, is_bot INTEGER, is_admin INTEGER" if entity_type == "user" else ""
                self._conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {entity_type}_entity ("
                    "id TEXT PRIMARY KEY, name TEXT NOT NULL, fqn TEXT NOT NULL UNIQUE, "
                    f"deleted INTEGER NOT NULL DEFAULT 0{extra}, json TEXT NOT NULL)"
                )
                self._conn.execute(f"CREATE INDEX IF NOT EXISTS {entity_type}_name ON {entity_type}_entity (name, id)")
            self._conn.execute("CREATE INDEX IF NOT EXISTS user_email ON user_entity (email)")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS relationship (from_id TEXT NOT NULL, from_type TEXT NOT NULL, "
                "to_id TEXT NOT NULL, to_type TEXT NOT NULL, relation TEXT NOT NULL, "
                "PRIMARY KEY (from_id, relation, to_id))"
            )
            self._conn.execute(
                "CREATE INDEX IF NOT EXISTS relationship_to ON relationship (to_id, relation, from_type)"
            )
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS entity_version (id TEXT NOT NULL, version REAL NOT NULL, "
                "json TEXT NOT NULL, PRIMARY KEY (id, version))"
            )
            self._conn.execute("CREATE TABLE IF NOT EXISTS setting (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    @contextmanager
    def tx(self) -> Iterator[None]:
        """A transaction; nested calls join the outer one."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")
                self._generation += 1

    # -- entities ---------------------------------------------------------------------------------
    @staticmethod
    def _columns(entity_type: str, doc: Doc) -> dict[str, Any]:
        columns: dict[str, Any] = {
            "id": doc["id"],
            "name": doc["name"],
            "fqn": doc["fullyQualifiedName"],
            "deleted": 1 if doc.get("deleted") else 0,
            "json": json.dumps(doc, separators=(",", ":")),
        }
        if entity_type == "user":
            columns.update(
                email=doc.get("email"),
                is_bot=1 if doc.get("isBot") else 0,
                is_admin=1 if doc.get("isAdmin") else 0,
            )
        return columns

    def _insert_sql(self, entity_type: str, columns: dict[str, Any]) -> str:
        return f"INSERT INTO {entity_type}_entity ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"

    def insert(self, entity_type: str, doc: Doc) -> None:
        columns = self._columns(entity_type, doc)
        with self.tx():
            self._conn.execute(self._insert_sql(entity_type, columns), tuple(columns.values()))

    def insert_many(self, entity_type: str, rows: Iterable[tuple[Doc, list[Relationship], Doc]]) -> None:
        """Insert new entities, each with its relationships and its first version's state, in batches of
        statements (the rows may be a generator of a million)."""
        batch: list[tuple[Doc, list[Relationship], Doc]] = []
        with self.tx():
            for row in rows:
                batch.append(row)
                if len(batch) == 5000:
                    self._insert_batch(entity_type, batch)
                    batch.clear()
            if batch:
                self._insert_batch(entity_type, batch)

    def _insert_batch(self, entity_type: str, batch: list[tuple[Doc, list[Relationship], Doc]]) -> None:
        columns = [self._columns(entity_type, doc) for doc, _, _ in batch]
        self._conn.executemany(self._insert_sql(entity_type, columns[0]), [tuple(c.values()) for c in columns])
        self._conn.executemany(
            "INSERT OR IGNORE INTO relationship VALUES (?, ?, ?, ?, ?)",
            [link for _, links, _ in batch for link in links],
        )
        self._conn.executemany(
            "INSERT OR REPLACE INTO entity_version VALUES (?, ?, ?)",
            [(doc["id"], doc["version"], json.dumps(state, separators=(",", ":"))) for doc, _, state in batch],
        )

    def update(self, entity_type: str, doc: Doc) -> None:
        columns = self._columns(entity_type, doc)
        assignments = ", ".join(f"{name} = ?" for name in columns if name != "id")
        values = tuple(value for name, value in columns.items() if name != "id")
        with self.tx():
            self._conn.execute(
                f"UPDATE {entity_type}_entity SET {assignments} WHERE id = ?",
                (*values, doc["id"]),
            )

    def get(self, entity_type: str, entity_id: str) -> Doc | None:
        return self._one(f"SELECT json FROM {entity_type}_entity WHERE id = ?", (entity_id,))

    def get_by_fqn(self, entity_type: str, fqn: str) -> Doc | None:
        return self._one(f"SELECT json FROM {entity_type}_entity WHERE fqn = ?", (fqn,))

    def get_user_by_email(self, email: str) -> Doc | None:
        return self._one("SELECT json FROM user_entity WHERE email = ?", (email,))

    def find_by_name(self, entity_type: str, name: str) -> list[Doc]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT json FROM {entity_type}_entity WHERE name = ? ORDER BY fqn",
                (name,),
            ).fetchall()
        return [json.loads(row["json"]) for row in rows]

    def get_many(self, entity_type: str, ids: Collection[str]) -> dict[str, Doc]:
        """Documents by id, for the ids that exist."""
        found: dict[str, Doc] = {}
        with self._lock:
            for chunk in _chunks(list(ids)):
                marks = ", ".join("?" for _ in chunk)
                sql = f"SELECT id, json FROM {entity_type}_entity WHERE id IN ({marks})"
                found.update((row["id"], json.loads(row["json"])) for row in self._conn.execute(sql, chunk))
        return found

    def _one(self, sql: str, params: tuple[Any, ...]) -> Doc | None:
        with self._lock:
            row = self._conn.execute(sql, params).fetchone()
        return None if row is None else dict(json.loads(row["json"]))

    def count(self, entity_type: str, where: Filter) -> int:
        """Rows matching `where`. Every list page reports the total (OpenMetadata counts per request too), and
        counting is a scan of the table: the count is kept until the next write, so that paging through N users
        costs O(N), not O(N^2). Only this process writes to the database while it serves."""
        key = (entity_type, where.sql, where.params)
        sql = f"SELECT COUNT(*) FROM {entity_type}_entity WHERE 1=1 {where.sql}"
        with self._lock:
            generation, total = self._counts.get(key, (-1, 0))
            if generation != self._generation:
                total = int(self._conn.execute(sql, where.params).fetchone()[0])
                self._counts[key] = (self._generation, total)
            return total

    def page_after(self, entity_type: str, where: Filter, after: tuple[str, str] | None, limit: int) -> list[Doc]:
        """Up to `limit` documents ordered by (name, id) strictly after the cursor."""
        cursor_sql, cursor_params = ("AND (name, id) > (?, ?)", after) if after else ("", ())
        sql = f"SELECT json FROM {entity_type}_entity WHERE 1=1 {where.sql} {cursor_sql} ORDER BY name, id LIMIT ?"
        with self._lock:
            rows = self._conn.execute(sql, (*where.params, *cursor_params, limit)).fetchall()
        return [json.loads(row["json"]) for row in rows]

    def page_before(self, entity_type: str, where: Filter, before: tuple[str, str], limit: int) -> list[Doc]:
        """Up to `limit` documents strictly before the cursor, returned in ascending order."""
        sql = (
            f"SELECT json FROM {entity_type}_entity WHERE 1=1 {where.sql} AND (name, id) < (?, ?) "
            "ORDER BY name DESC, id DESC LIMIT ?"
        )
        with self._lock:
            rows = self._conn.execute(sql, (*where.params, *before, limit)).fetchall()
        return [json.loads(row["json"]) for row in reversed(rows)]

    # -- relationships ----------------------------------------------------------------------------
    def add_relationship(self, from_id: str, from_type: str, to_id: str, to_type: str, relation: str) -> None:
        with self.tx():
            self._conn.execute(
                "INSERT OR IGNORE INTO relationship VALUES (?, ?, ?, ?, ?)",
                (from_id, from_type, to_id, to_type, relation),
            )

    def delete_to(self, from_id: str, relation: str, to_type: str) -> None:
        """Delete the relationships from `from_id` to entities of `to_type`."""
        with self.tx():
            self._conn.execute(
                "DELETE FROM relationship WHERE from_id = ? AND relation = ? AND to_type = ?",
                (from_id, relation, to_type),
            )

    def delete_from(self, to_id: str, relation: str, from_type: str) -> None:
        """Delete the relationships from entities of `from_type` to `to_id`."""
        with self.tx():
            self._conn.execute(
                "DELETE FROM relationship WHERE to_id = ? AND relation = ? AND from_type = ?",
                (to_id, relation, from_type),
            )

    def find_to(self, from_id: str, relation: str, to_type: str) -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT to_id FROM relationship WHERE from_id = ? AND relation = ? AND to_type = ? ORDER BY rowid",
                (from_id, relation, to_type),
            ).fetchall()
        return [row[0] for row in rows]

    def find_from_many(self, to_ids: Collection[str], relation: str, from_type: str) -> dict[str, list[str]]:
        """`find_from` for several entities at once: every id of `to_ids` maps to its list (maybe empty)."""
        found: dict[str, list[str]] = {to_id: [] for to_id in to_ids}
        with self._lock:
            for chunk in _chunks(list(found)):
                marks = ", ".join("?" for _ in chunk)
                rows = self._conn.execute(
                    f"SELECT to_id, from_id FROM relationship WHERE to_id IN ({marks}) AND relation = ? "
                    "AND from_type = ? ORDER BY rowid",
                    (*chunk, relation, from_type),
                )
                for row in rows:
                    found[row[0]].append(row[1])
        return found

    def find_from(self, to_id: str, relation: str, from_type: str) -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT from_id FROM relationship WHERE to_id = ? AND relation = ? AND from_type = ? ORDER BY rowid",
                (to_id, relation, from_type),
            ).fetchall()
        return [row[0] for row in rows]

    # -- versions and settings ----------------------------------------------------------------------
    def put_version(self, entity_id: str, version: float, doc: Doc) -> None:
        with self.tx():
            self._conn.execute(
                "INSERT OR REPLACE INTO entity_version VALUES (?, ?, ?)",
                (entity_id, version, json.dumps(doc, separators=(",", ":"))),
            )

    def get_version(self, entity_id: str, version: float) -> Doc | None:
        return self._one("SELECT json FROM entity_version WHERE id = ? AND version = ?", (entity_id, version))

    def get_setting(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        with self.tx():
            self._conn.execute("INSERT OR REPLACE INTO setting VALUES (?, ?)", (key, value))


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    """Slices short enough for SQLite's limit on bound parameters in one statement."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
