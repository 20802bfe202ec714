"""`user-updater check -c user_updater.yaml`: check a workflow file against both servers without writing anything."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connector.check import Outcome, Step


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="user-updater", description="Tools around the OpenMetadata user updater's workflow file."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check",
        help="reach OpenMetadata and the directory, show the principal, what it may edit, and what a sync would "
        "find; writes nothing",
    )
    check.add_argument("-c", "--config", type=Path, required=True, help="the workflow file given to metadata ingest")
    return parser


def _report(step: Step, line: str, outcome: Outcome) -> None:
    print(f"{outcome.value:<4}  {step.name}: {line}", flush=True)


def _unusable(exc: Exception) -> str:
    """Why the workflow file cannot be used, without any value from it: a token, a header or a password can sit
    in the very line or option that is wrong, so only positions and keys are shown."""
    from pydantic import ValidationError  # noqa: PLC0415

    cause = exc.__cause__ or exc.__context__
    mark = getattr(cause, "problem_mark", None)
    if mark is not None:  # a YAML syntax error; its own text quotes the offending line
        problem = getattr(cause, "problem", None) or "syntax error"
        return f"not valid YAML: {problem} at line {mark.line + 1}, column {mark.column + 1}"
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors())
    return str(exc)


def check(config_path: Path) -> int:
    # The SDK costs seconds to import; keep `--help` fast by importing it only here.
    from connector.check import ConnectionCheck, run_steps  # noqa: PLC0415
    from connector.compat import (  # noqa: PLC0415
        OpenMetadata,
        load_config_file,
        parse_workflow_config_gracefully,
    )
    from connector.user_updater import UserUpdaterSource  # noqa: PLC0415

    try:
        # As `metadata ingest` does: ${VAR} expanded, then the whole file validated, errors scoped to the part at
        # fault (one line per key, without its value, where a plain validation lists every union member's errors).
        config_dict = load_config_file(config_path)
        workflow = parse_workflow_config_gracefully(config_dict)
        metadata: OpenMetadata = OpenMetadata(workflow.workflowConfig.openMetadataServerConfig)
        source = UserUpdaterSource.create(config_dict["source"], metadata)
    except Exception as exc:  # any reason the file is unusable ends the check
        reason = _unusable(exc)
        if "connectionOptions" in reason and "Invalid parameter value" in reason:
            reason += '\nEvery value under connectionOptions must be a quoted string, e.g. pageSize: "500".'
        print(f"FAIL  cannot use {config_path}: {reason}", file=sys.stderr)
        return 1
    try:
        passed = run_steps(ConnectionCheck(source.api, source.directory, source.settings).all_steps(), _report)
    finally:
        source.close()
    print("Check passed: a sync can run with this file." if passed else "Check failed: see FAIL above.")
    return 0 if passed else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # The SDK logs its own start-up at INFO; the check's lines are the output.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("metadata").setLevel(logging.WARNING)
    return check(args.config)


if __name__ == "__main__":
    sys.exit(main())
