"""An Airflow DAG that runs the user sync, in the style of OpenMetadata's "Run the ingestion from your Airflow".

Install the connector and the SDK of your server's line into the Airflow environment (README "Scheduling"), put the
workflow file where the workers can read it, and set `USER_UPDATER_CONFIG` to its path (default: the file
`user_updater.yaml` next to this DAG). `${VAR}` in the file is expanded from the worker's environment, as
`metadata ingest` does, so the token stays out of the file (e.g. `OPENMETADATA_JWT_TOKEN` set on the workers).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

DEFAULT_CONFIG = Path(__file__).with_name("user_updater.yaml")


def sync_users(config_path: str | None = None) -> None:
    """The task: one sync; raises (failing the task) when the run fails or any user fails."""
    # Imported here, not at the top: the scheduler parses this file often, with a 30 s limit, and the SDK's
    # import alone can take longer on a busy machine (the DagBag import then times out).
    from metadata.config.common import load_config_file  # noqa: PLC0415
    from metadata.workflow.metadata import MetadataWorkflow  # noqa: PLC0415

    path = Path(config_path or os.environ.get("USER_UPDATER_CONFIG") or DEFAULT_CONFIG)
    workflow = MetadataWorkflow.create(load_config_file(path))
    try:
        workflow.execute()
        workflow.print_status()
        workflow.raise_from_status()
    finally:
        workflow.stop()


try:  # Airflow 3 names, then Airflow 2's; without Airflow the module still imports, for tests and reuse.
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:
    try:
        from airflow import DAG
        from airflow.operators.python import PythonOperator
    except ImportError:
        DAG = None

if DAG is not None:
    with DAG(
        dag_id="openmetadata_user_updater",
        description="Keep OpenMetadata users' displayName and domains in step with the company directory",
        schedule="7 * * * *",
        start_date=datetime(2025, 1, 1),
        catchup=False,
        max_active_runs=1,  # one sync at a time, like the cron wrapper's lock
        default_args={"retries": 1, "retry_delay": timedelta(minutes=10), "execution_timeout": timedelta(hours=2)},
        tags=["openmetadata"],
    ) as dag:
        PythonOperator(task_id="sync_users", python_callable=sync_users)
