"""`/api/v1/automations/workflows`, after `resources/automations/WorkflowResource.java`: the automation workflow
on which the SDK's test connection reports its steps (`patch_automation_workflow_response` PATCHes `/response`
and `/status` after each step, `ingestion/connections/test_connections.py`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from om_sandbox import crud, patching, policies
from om_sandbox.context import Context, ok
from om_sandbox.entities import TypeSpec
from om_sandbox.errors import ApiError, not_found
from om_sandbox.store import Doc

WORKFLOW_KEYS = ("workflowType", "status", "request", "response")


class WorkflowKind(crud.Kind):
    spec = TypeSpec("workflow", scalars=("description", "displayName", *WORKFLOW_KEYS))
    put_fields = frozenset({"owners"})

    def build(self, create: Doc) -> tuple[Doc, dict[str, list[str]]]:
        scalars: Doc = {key: create[key] for key in self.spec.scalars if create.get(key) is not None}
        scalars.setdefault("status", "Pending")  # the schema's default (entity/automations/workflow.json)
        return scalars, {}

    def extra_view(self, doc: Doc, fields: set[str] | frozenset[str], body: Doc) -> None:
        # decryptOrNullify: the answer never carries openMetadataServerConnection (it is not stored here at all).
        body.update({key: doc[key] for key in WORKFLOW_KEYS if doc.get(key) is not None})


def routes(ctx: Context) -> list[Route]:
    kind = WorkflowKind(ctx)

    async def patch_workflow(request: Request) -> JSONResponse:
        """EntityResource.patchInternal: JSON Patch of the entity as shown, authorised per path (JsonPatchUtils)."""
        subject = ctx.subject(request)
        if not request.headers.get("content-type", "").startswith("application/json-patch+json"):
            raise ApiError(415, "HTTP 415 Unsupported Media Type")
        ops = patching.parse(await request.body())
        existing = ctx.store.get("workflow", request.path_params["id"])
        if existing is None or existing.get("deleted"):
            raise not_found("workflow", request.path_params["id"])
        policies.authorize(
            subject, policies.ResourceContext("workflow"), patching.metadata_operations(ops, ctx.release)
        )
        patched = patching.apply(
            kind.view(existing, kind.put_fields), patching.drop_href_ops(ops), ctx.json_patch_errors
        )
        updated = {**existing, **{key: patched.get(key) for key in kind.spec.scalars}}
        with ctx.store.tx():
            result, incremental, changed = ctx.entities.commit_update(
                kind.spec,
                existing,
                ctx.entities.state(kind.spec, existing, {}),
                updated,
                ctx.entities.state(kind.spec, updated, {}),
                by=subject.name,
                patch=True,
            )
            if changed:
                ctx.store.update("workflow", result)
        return ok(kind.view({**result, "changeDescription": incremental}, kind.put_fields))

    return [*crud.routes(ctx, kind), Route("/api/v1/automations/workflows/{id}", patch_workflow, methods=["PATCH"])]
