"""Where the bytes per person go: the run's stages one after another in this process, under tracemalloc.

    python -m benchmarks.memory --data /tmp/bench/data-100000      # data from `python -m benchmarks.generate`

It starts the sandbox and the directory server on the generated data (as `benchmarks.run` does), then reads the
directory, snapshots the catalog and builds the plan with the connector's own code, one stage after the other
(the run overlaps the two reads on two threads; here they are sequential so that each stage's bytes are its own).
For each stage it prints the bytes per person the stage keeps (what is still allocated once it is done) and its
transient peak above that (the JSON pages and the rows being parsed), then what is kept at the end, by the
source line that allocated it. tracemalloc counts Python's allocations, not the allocator's slack, so the process's
RSS grows somewhat more than these figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import yaml
from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
    OpenMetadataConnection,
)

from benchmarks.run import ROOT, servers, token
from connector.catalog import load_snapshot
from connector.directory import DirectoryClient
from connector.openmetadata import OpenMetadataApi
from connector.plan import PlanRules, build_plan
from connector.settings import UserUpdaterSettings

T = TypeVar("T")


def settings(directory_url: str) -> UserUpdaterSettings:
    """The shipped YAML's options, pointed at the directory server, a page of 1000 at a time (as the benchmark)."""
    config: dict[str, Any] = yaml.safe_load((ROOT / "user_updater.yaml").read_text())
    options = config["source"]["serviceConnection"]["config"]["connectionOptions"]
    options.update(graphqlEndpoint=directory_url, graphqlPaging="relay", graphqlPageSize="1000", pageSize="1000")
    return UserUpdaterSettings.from_connection_options(options)


def stage(name: str, people: int, run: Callable[[], T], rows: list[dict[str, Any]]) -> T:
    before, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    started = time.monotonic()
    result = run()
    seconds = time.monotonic() - started
    after, peak = tracemalloc.get_traced_memory()
    rows.append(
        {
            "stage": name,
            "kept_bytes_per_person": round((after - before) / people),
            "transient_peak_bytes_per_person": round((peak - after) / people),
            "kept_mb": round((after - before) / 2**20, 1),
            "peak_above_start_mb": round((peak - before) / 2**20, 1),
            "seconds_under_tracemalloc": round(seconds, 1),
        }
    )
    return result


def measure(data: Path, top: int, label: str) -> dict[str, Any]:
    manifest = json.loads((data / "manifest.json").read_text())
    people = manifest["people"]
    work = data.parent / f"memory-{people}"
    work.mkdir(exist_ok=True)
    jwt = token(data / "sandbox.db")
    with servers(data, work / "sandbox.db") as (om_url, directory_url):
        options = settings(directory_url)
        metadata = SimpleNamespace(
            config=OpenMetadataConnection.model_validate({"hostPort": om_url}),
            _auth_provider=SimpleNamespace(get_access_token=lambda: (jwt, 0)),
        )
        api = OpenMetadataApi(metadata, options)  # type: ignore[arg-type]
        client = DirectoryClient(options)
        rows: list[dict[str, Any]] = []
        tracemalloc.start(1)
        start, _ = tracemalloc.get_traced_memory()
        # As the run does: one table of texts shared by the two reads, dropped before the plan.
        strings: dict[str, str] = {}
        directory = stage("directory rows (DirectoryRead)", people, lambda: client.read_users(strings), rows)
        snapshot = stage(
            "catalog snapshot (CatalogSnapshot)", people, lambda: load_snapshot(api, 1000, None, strings), rows
        )
        stage("the shared table of texts, dropped", people, strings.clear, rows)
        plan = stage(
            "plan (Plan)",
            people,
            lambda: build_plan(
                directory.users,
                snapshot,
                options.fields,
                PlanRules.from_settings(options),
                filtered_rows=frozenset(directory.filtered),
            ),
            rows,
        )
        end, _ = tracemalloc.get_traced_memory()
        by_line = tracemalloc.take_snapshot().statistics("lineno")
        tracemalloc.stop()
        client.close()
        api.close()
    kept_by_line = [
        {
            "where": f"{Path(stat.traceback[0].filename).name}:{stat.traceback[0].lineno}",
            "bytes_per_person": round(stat.size / people),
            "blocks_per_person": round(stat.count / people, 2),
        }
        for stat in by_line[:top]
    ]
    return {
        "label": label,
        "people": people,
        "changes": len(plan.changes),
        "stages": rows,
        "kept_at_end_bytes_per_person": round((end - start) / people),
        "kept_at_end_by_line": kept_by_line,
        "python": sys.version.split()[0],
        "peak_rss_mb_with_tracemalloc": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a directory written by benchmarks.generate")
    parser.add_argument("--top", type=int, default=12, help="how many allocating lines to show (default 12)")
    parser.add_argument("--json", type=Path, help="write the breakdown as JSON here")
    parser.add_argument("--label", default="", help="what was measured (e.g. the commit), shown with the figures")
    args = parser.parse_args(argv)
    result = measure(args.data, args.top, args.label)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
