from pathlib import Path
from typing import Any

import pytest
import yaml

from connector.compat import OpenMetadataWorkflowConfig
from connector.settings import UserUpdaterSettings

pytestmark = pytest.mark.lines

SHIPPED = Path(__file__).resolve().parents[2] / "user_updater.yaml"


def test_shipped_yaml_validates_against_the_sdk_workflow_schema() -> None:
    config = OpenMetadataWorkflowConfig.model_validate(yaml.safe_load(SHIPPED.read_text()))
    # The generated models are unions of every connector type; this file's one is CustomDatabaseConnection.
    connection: Any = config.source.serviceConnection.root.config  # type: ignore[union-attr]
    assert connection.sourcePythonClass == "connector.user_updater.UserUpdaterSource"
    assert config.workflowConfig.successThreshold == 100
    security: Any = config.workflowConfig.openMetadataServerConfig.securityConfig
    assert security.jwtToken.get_secret_value() == "${OPENMETADATA_JWT_TOKEN}"
    settings = UserUpdaterSettings.from_connection_options(connection.connectionOptions.root)
    assert str(settings.graphql_endpoint) == "http://localhost:4000/"


def test_unquoted_option_values_do_not_validate() -> None:
    """The trap the YAML's quotes avoid: connectionOptions is a map of strings."""
    config = yaml.safe_load(SHIPPED.read_text())
    config["source"]["serviceConnection"]["config"]["connectionOptions"]["maxRetries"] = 5
    try:
        OpenMetadataWorkflowConfig.model_validate(config)
    except ValueError:
        return
    raise AssertionError("an integer option value validated")


EXAMPLES = sorted((SHIPPED.parent / "examples").glob("*.yaml"))


def test_the_examples_are_there() -> None:
    assert [path.name for path in EXAMPLES] == ["offset-directory.yaml", "relay-directory.yaml", "seed-directory.yaml"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_each_example_validates_as_a_workflow_and_as_settings(path: Path) -> None:
    config = OpenMetadataWorkflowConfig.model_validate(yaml.safe_load(path.read_text()))
    connection: Any = config.source.serviceConnection.root.config  # type: ignore[union-attr]
    assert connection.sourcePythonClass == "connector.user_updater.UserUpdaterSource"
    assert config.workflowConfig.successThreshold == 100
    settings = UserUpdaterSettings.from_connection_options(connection.connectionOptions.root)
    assert settings.graphql_query is not None
