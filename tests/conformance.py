"""Every answer of the sandbox's Discord REST API, checked against Discord's own OpenAPI description.

`tests/conftest.py` watches every sandbox of the test session (`discord_sandbox.observe`) with a
`Conformance`: each JSON body is validated (jsonschema, the spec's components resolved with referencing)
against the response schema of the operation and status code it answers; a test that caused a
non-conforming answer, or a call to a route the sandbox does not implement, fails.

The spec is the file `GAMESCHED_DISCORD_OPENAPI` names (scripts/test.sh sets it when a copy is at hand);
without it the schema check is skipped and says so (the unknown-route check still runs).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from discord_sandbox import Exchange

SPEC_URI = "urn:discord:openapi"
METHODS = ("get", "post", "put", "patch", "delete")
#: Where the description disagrees with what Discord sends, and the sandbox follows Discord: pointer ->
#: replacement schema, applied to the loaded document. docs/sandbox.md lists each with its reason.
ACCEPTED_DEVIATIONS: dict[str, Any] = {
    # Field errors of 50035 carry string codes ("BASE_TYPE_REQUIRED"), as Discord's documentation shows;
    # the description reuses the top-level Error (integer code) for them.
    "/components/schemas/InnerErrors/properties/_errors/items": {
        "type": "object",
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        "required": ["code", "message"],
    },
}


def spec_path() -> Path | None:
    """Where the OpenAPI description is, if anywhere."""
    named = os.environ.get("GAMESCHED_DISCORD_OPENAPI")
    return Path(named) if named else None


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    literals: int  # how many segments are literal: `/users/@me` beats `/users/{user_id}`
    responses: dict[str, Any]


class OpenApiSpec:
    """Discord's OpenAPI description: which operation a call is, and a validator per response schema."""

    def __init__(self, path: Path) -> None:
        self.document: dict[str, Any] = json.loads(path.read_text())
        for pointer, schema in ACCEPTED_DEVIATIONS.items():
            *parents, last = pointer.strip("/").split("/")
            self._resolve("/" + "/".join(parents))[last] = schema
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self.operations: list[Operation] = []
        for template, item in self.document["paths"].items():
            segments = template.strip("/").split("/")
            regex = "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in segments)
            literals = sum(not s.startswith("{") for s in segments)
            for method in METHODS:
                if method in item:
                    self.operations.append(
                        Operation(
                            method.upper(),
                            template,
                            re.compile(f"^/{regex}$"),
                            literals,
                            item[method]["responses"],
                        )
                    )
        self._validators: dict[str, Draft202012Validator] = {}

    def operation(self, method: str, path: str) -> Operation | None:
        found = [o for o in self.operations if o.method == method and o.pattern.match(path)]
        return max(found, key=lambda o: o.literals, default=None)

    def schema_pointer(self, operation: Operation, status: int) -> tuple[bool, str | None]:
        """(is the status described, JSON pointer of its body schema or None for no body)."""
        responses = operation.responses
        key = next((k for k in (str(status), f"{status // 100}XX", "default") if k in responses), None)
        if key is None:
            return False, None
        response = responses[key]
        if "$ref" in response:
            pointer = response["$ref"].removeprefix("#")
            response = self._resolve(pointer)
        else:
            pointer = f"/paths/{_escape(operation.template)}/{operation.method.lower()}/responses/{key}"
        if "application/json" not in response.get("content", {}):
            return True, None
        return True, f"{pointer}/content/application~1json/schema"

    def validator(self, pointer: str) -> Draft202012Validator:
        if pointer not in self._validators:
            self._validators[pointer] = Draft202012Validator(
                {"$ref": f"{SPEC_URI}#{pointer}"}, registry=self.registry
            )
        return self._validators[pointer]

    def _resolve(self, pointer: str) -> Any:
        node: Any = self.document
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node


def _deepest(error: ValidationError) -> ValidationError:
    """Through oneOf/anyOf, the error of the branch that came closest (what to fix)."""
    while error.context:
        error = best_match(error.context) or error.context[0]
    return error


def _escape(template: str) -> str:
    return template.replace("~", "~0").replace("/", "~1")


@dataclass
class Conformance:
    """What the session's sandboxes answered, and what was wrong with it."""

    spec: OpenApiSpec | None
    skip_reason: str | None = None
    validated: int = 0
    routes: set[tuple[str, str]] = field(default_factory=set)
    undescribed: set[tuple[str, str, int]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    unknown_routes: list[str] = field(default_factory=list)

    @classmethod
    def load(cls) -> Conformance:
        path = spec_path()
        if path is None or not path.is_file():
            where = "GAMESCHED_DISCORD_OPENAPI is not set" if path is None else f"it is not at {path}"
            reason = (
                f"Discord's OpenAPI description is missing ({where}): "
                "sandbox responses were not checked against it"
            )
            return cls(spec=None, skip_reason=reason)
        return cls(spec=OpenApiSpec(path))

    def record(self, exchange: Exchange) -> None:
        """The observer: check one answer now (bodies are not kept)."""
        where = f"{exchange.method} {exchange.path} -> {exchange.status}"
        if exchange.unknown_route:
            self.unknown_routes.append(f"{exchange.method} {exchange.path}")
        if self.spec is None:
            return
        if (
            exchange.edge
        ):  # Cloudflare's answer (a banned address), not the API's: nothing to check it against
            self.undescribed.add((exchange.method, exchange.path, exchange.status))
            return
        operation = self.spec.operation(exchange.method, exchange.path)
        if operation is None:
            if not exchange.unknown_route:
                self.undescribed.add((exchange.method, exchange.path, exchange.status))
            return
        described, pointer = self.spec.schema_pointer(operation, exchange.status)
        if not described:
            self.undescribed.add((exchange.method, operation.template, exchange.status))
            return
        self.validated += 1
        if not exchange.unknown_route:  # a route counts as covered when the sandbox implements it
            self.routes.add((exchange.method, operation.template))
        if pointer is None:
            if exchange.body is not None:
                self.problems.append(f"{where}: a body where Discord sends none")
            return
        if exchange.body is None:
            self.problems.append(f"{where}: no body where Discord sends one")
            return
        errors = sorted(self.spec.validator(pointer).iter_errors(exchange.body), key=lambda e: list(e.path))
        for error in errors[:5]:
            leaf = _deepest(error)
            at = "/".join(str(p) for p in leaf.absolute_path) or "(body)"
            self.problems.append(f"{where} ({operation.template}) at {at}: {leaf.message[:300]}")

    def mark(self) -> tuple[int, int]:
        return len(self.problems), len(self.unknown_routes)

    def since(self, mark: tuple[int, int]) -> tuple[list[str], list[str]]:
        return self.problems[mark[0] :], self.unknown_routes[mark[1] :]

    def report(self) -> dict[str, Any]:
        """The figures and the routes covered, for GAMESCHED_CONFORMANCE_REPORT (a JSON file to write)."""
        return {
            "validated": self.validated,
            "routes": sorted(f"{method} {template}" for method, template in self.routes),
            "undescribed": sorted(f"{method} {path} {status}" for method, path, status in self.undescribed),
            "problems": self.problems,
        }

    def to_data(self) -> dict[str, Any]:
        """What a pytest-xdist worker hands the controller (plain data; see ``merge``)."""
        return {
            "skip_reason": self.skip_reason,
            "validated": self.validated,
            "routes": sorted(list(route) for route in self.routes),
            "undescribed": sorted(list(answer) for answer in self.undescribed),
            "problems": self.problems,
            "unknown_routes": self.unknown_routes,
        }

    def merge(self, data: dict[str, Any]) -> None:
        """Add what one worker's sandboxes answered (its ``to_data``) to these figures."""
        self.skip_reason = data["skip_reason"]
        self.validated += data["validated"]
        self.routes.update((method, template) for method, template in data["routes"])
        self.undescribed.update((method, path, status) for method, path, status in data["undescribed"])
        self.problems.extend(data["problems"])
        self.unknown_routes.extend(data["unknown_routes"])

    def summary(self) -> str:
        if self.skip_reason is not None:
            return f"sandbox conformance: SKIPPED — {self.skip_reason}"
        return (
            f"sandbox conformance: {self.validated} responses validated against Discord's OpenAPI description, "
            f"{len(self.routes)} distinct routes (method + path) covered, {len(self.problems)} non-conforming; "
            f"{len(self.undescribed)} answers the spec does not describe (status or route) were not checked"
        )
