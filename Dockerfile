# The OpenMetadata ingestion image with the connector added: the image to deploy where your OpenMetadata runs its
# ingestion (docs/install.md). OM_VERSION must be your server's release: the SDK in the image talks only to a
# server of its own major.minor.
#   docker build --build-arg OM_VERSION=1.9.11 -t ingestion-user-updater:1.9.11 .
ARG OM_VERSION=2.0.7
FROM openmetadata/ingestion:${OM_VERSION}

USER airflow
WORKDIR /opt/airflow/openmetadata-user-updater
# What the wheel is built from, nothing else (.dockerignore keeps the rest of the checkout out of the context).
COPY --chown=airflow:0 pyproject.toml README.md ./
COPY --chown=airflow:0 connector/ connector/

# The install line of docs/install.md and the README, run as written: everything the image holds is a constraint,
# so pip adds the connector and the one requirement the image lacks (graphql-core), and fails rather than change the
# SDK or anything else. `make check-install` proves it on an SDK-only environment of the oldest and newest lines.
RUN pip freeze | pip install --constraint /dev/stdin .

WORKDIR /opt/airflow
