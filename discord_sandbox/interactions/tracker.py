"""Interactions in flight: the 3-second acknowledgement, callbacks, followups and original-response edits."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from ..gateway.events import ALWAYS
from ..state import control_json, discord_json
from ..state.errors import (
    ALREADY_ACKNOWLEDGED,
    INVALID_WEBHOOK_TOKEN,
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    ControlError,
    DiscordError,
    form_error,
    not_found,
)
from ..state.mentions import PARSE_USERS
from ..state.model import EPHEMERAL, Message, utcnow
from ..state.validation import (
    DEFERRED_FLAGS,
    EDIT_FLAGS,
    INTERACTION_FLAGS,
    validate_edit,
    validate_message,
    validate_modal,
)
from ..world.changes import World
from .drafts import (
    INTERACTION_AUTOCOMPLETE,
    INTERACTION_COMMAND,
    INTERACTION_MODAL,
    Draft,
    command_draft,
    component_draft,
    modal_draft,
)

log = structlog.get_logger(__name__)

INTERACTION_DEADLINE = 3.0  # seconds to acknowledge, as on Discord
TOKEN_LIFETIME = 15 * 60  # followups and edits stay possible this long
DEFERRED_WAIT = 5.0  # how long the control API waits for the followup of a "thinking" response
DEFERRED_UPDATE_WAIT = 1.0  # ... and for the message edit after a deferred update
FOLLOWUP_SETTLE = 0.05  # collect followups sent in quick succession
MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, AUTOCOMPLETE_RESULT, MODAL = 4, 5, 6, 7, 8, 9
MAX_CHOICES = 25
LOADING = 1 << 7


@dataclass
class PendingInteraction:
    """One dispatched interaction and what the bot did with it (`started`: the tracker's clock at dispatch)."""

    id: int
    token: str
    draft: Draft
    started: float
    #: The bot's gateway connections that were live when it was dispatched (0: it waits for a RESUME).
    connected_sessions: int = 0
    response: dict[str, Any] | None = None
    latency_ms: float | None = None
    original_message_id: int | None = None
    original_edited: bool = False
    followup_ids: list[int] = field(default_factory=list)
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    activity: asyncio.Event = field(default_factory=asyncio.Event)


class InteractionTracker:
    """Creates interactions for the control API and serves the bot's callbacks and webhooks.

    `clock` (monotonic seconds) times the 3-second acknowledgement and the 15-minute token; tests replace it.
    """

    def __init__(self, world: World, clock: Callable[[], float] = time.monotonic) -> None:
        self.world = world
        self.clock = clock
        self.pending: dict[int, PendingInteraction] = {}
        self.failed: list[dict[str, Any]] = []
        # open modals by (user, custom_id): their layout and the metadata of the interaction that opened them
        self.open_modals: dict[tuple[int, str], tuple[list[dict[str, Any]], dict[str, Any]]] = {}

    async def run(self, request: dict[str, Any], *, base_url: str = "") -> dict[str, Any]:
        """Dispatch an interaction, wait for the bot's answer and report it (504 after 3 s). ``base_url``:
        where this sandbox is served (attached files are fetched from there)."""
        return await self.outcome(self.start(self._draft(request, base_url)))

    async def run_at_once(
        self, requests: list[dict[str, Any]], *, base_url: str = ""
    ) -> list[dict[str, Any]]:
        """Several members act at the same moment: every interaction is dispatched, back to back, before any
        answer is awaited (as Discord's gateway delivers simultaneous clicks), and each is reported as
        ``run`` reports it, in the order given; one the bot did not answer in 3 s is reported as the error
        ``run`` would answer (``{"error": "interaction_timeout", "status": 504, …}``). Nothing is
        dispatched when one of them is malformed: 400 with its ``index``."""
        drafts = []
        for index, request in enumerate(requests):
            try:
                drafts.append(self._draft(request, base_url))
            except ControlError as error:
                raise ControlError(error.status, error.error, index=index, **error.extra) from None
        started = [self.start(draft) for draft in drafts]
        reports: list[dict[str, Any]] = []
        for outcome in await asyncio.gather(*(self.outcome(p) for p in started), return_exceptions=True):
            if isinstance(outcome, ControlError):
                reports.append({"error": outcome.error, "status": outcome.status, **outcome.extra})
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                reports.append(outcome)
        return reports

    async def outcome(self, pending: PendingInteraction) -> dict[str, Any]:
        """Wait for the bot's answer to a dispatched interaction and report it (504 after 3 s)."""
        try:
            await asyncio.wait_for(pending.acked.wait(), INTERACTION_DEADLINE)
        except TimeoutError:
            if not pending.acked.is_set():
                self._record_failure(pending, "timeout")
                raise ControlError(504, "interaction_timeout", interaction_id=str(pending.id)) from None
        assert pending.response is not None
        wait = {DEFERRED_MESSAGE: DEFERRED_WAIT, DEFERRED_UPDATE: DEFERRED_UPDATE_WAIT}.get(
            pending.response["type"]
        )
        if wait is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pending.activity.wait(), wait)
        if pending.activity.is_set():
            await asyncio.sleep(FOLLOWUP_SETTLE)
        return self.report(pending)

    def start(self, draft: Draft) -> PendingInteraction:
        """Register and dispatch INTERACTION_CREATE."""
        state = self.world.state
        self._forget_expired()
        pending = PendingInteraction(
            id=state.next_id(),
            token=f"sandbox-{secrets.token_urlsafe(24)}",
            draft=draft,
            started=self.clock(),
            connected_sessions=len(self.world.gateway.connected()),
        )
        self.pending[pending.id] = pending
        payload = {**draft.payload, "id": str(pending.id), "token": pending.token}
        self.world.gateway.dispatch("INTERACTION_CREATE", payload, intent=ALWAYS)
        log.info("interaction_dispatched", interaction_id=pending.id, kind=draft.type, label=draft.label)
        return pending

    def elapsed(self, pending: PendingInteraction) -> float:
        """Seconds since the interaction was dispatched."""
        return self.clock() - pending.started

    def _forget_expired(self) -> None:
        expired = [key for key, p in self.pending.items() if self.elapsed(p) > TOKEN_LIFETIME]
        for key in expired:
            del self.pending[key]

    def report(self, pending: PendingInteraction) -> dict[str, Any]:
        """The control API's view of an interaction's outcome."""
        state = self.world.state
        followups = [control_json.message_shape(state.messages[m]) for m in pending.followup_ids]
        original = state.messages.get(pending.original_message_id or 0)
        if original is not None and pending.original_edited:
            followups.insert(0, {**control_json.message_shape(original), "original": True})
        return {
            "interaction_id": str(pending.id),
            "response": pending.response,
            "latency_ms": pending.latency_ms,
            "message": control_json.message_shape(original) if original is not None else None,
            "followups": followups,
        }

    def _draft(self, request: dict[str, Any], base_url: str = "") -> Draft:
        kind = request.get("type")
        state = self.world.state
        if kind == "component":
            return component_draft(state, request)
        if kind == "command":
            return command_draft(state, request, base_url=base_url)
        if kind == "autocomplete":
            return command_draft(state, request, autocomplete=True)
        if kind == "modal":
            layout, trigger = self.open_modals.pop(
                (int(request.get("user_id") or 0), str(request.get("custom_id"))), (None, None)
            )
            draft = modal_draft(state, request, layout)
            draft.trigger = trigger
            return draft
        raise ControlError(
            400, "invalid_interaction_type", allowed=["component", "command", "autocomplete", "modal"]
        )

    def _record_failure(self, pending: PendingInteraction, reason: str) -> None:
        if any(f["interaction_id"] == str(pending.id) for f in self.failed):
            return
        draft = pending.draft
        self.failed.append(
            {
                "interaction_id": str(pending.id),
                "reason": reason,
                "type": draft.type,
                "label": draft.label,
                "user_id": str(draft.user_id),
                "channel_id": str(draft.channel_id),
                "at": utcnow().isoformat(),
                "elapsed_ms": round(self.elapsed(pending) * 1000, 1),
                "connected_sessions": pending.connected_sessions,
            }
        )
        log.warning("interaction_failed", interaction_id=pending.id, reason=reason, label=draft.label)

    # the bot's side

    def acknowledge(self, interaction_id: int, token: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /interactions/{id}/{token}/callback."""
        pending = self.pending.get(interaction_id)
        if pending is None or pending.token != token:
            raise not_found(UNKNOWN_INTERACTION, "interaction")
        if pending.acked.is_set():
            raise DiscordError(400, ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged.")
        if self.elapsed(pending) > INTERACTION_DEADLINE:
            self._record_failure(pending, "late")
            raise not_found(UNKNOWN_INTERACTION, "interaction")
        kind, data = body.get("type"), body.get("data") or {}
        if isinstance(kind, bool) or not isinstance(kind, int):
            raise form_error("type", "NUMBER_TYPE_COERCE", f'Value "{kind}" is not int.')
        message = self._apply_response(pending, kind, data)
        pending.response = {"type": kind, "data": data}
        pending.latency_ms = round(self.elapsed(pending) * 1000, 1)
        pending.acked.set()
        log.info(
            "interaction_acknowledged",
            interaction_id=pending.id,
            response_type=kind,
            latency_ms=pending.latency_ms,
        )
        callback: dict[str, Any] = {
            "interaction": {
                "id": str(pending.id),
                "type": pending.draft.type,
                "response_message_loading": kind == DEFERRED_MESSAGE,
                "response_message_ephemeral": bool(message and message.flags & EPHEMERAL),
            },
            "resource": {"type": kind},
        }
        if message is not None:
            callback["interaction"]["response_message_id"] = str(message.id)
        if message is not None and kind in (MESSAGE, UPDATE_MESSAGE):
            callback["resource"]["message"] = discord_json.message_json(self.world.state, message)
        else:  # Discord describes a resource only for a message sent or updated
            del callback["resource"]
        return callback

    def _apply_response(self, pending: PendingInteraction, kind: int, data: dict[str, Any]) -> Message | None:
        draft = pending.draft
        allowed = {MESSAGE, DEFERRED_MESSAGE, MODAL}
        if draft.type == INTERACTION_AUTOCOMPLETE:
            allowed = {AUTOCOMPLETE_RESULT}  # the only answer to an autocomplete, and only to it
        elif draft.type != INTERACTION_COMMAND:
            allowed |= {DEFERRED_UPDATE, UPDATE_MESSAGE}
        if draft.type == INTERACTION_MODAL:
            allowed.discard(MODAL)  # a modal cannot answer a modal
        if kind not in allowed:
            raise form_error(
                "type", "INTERACTION_RESPONSE_TYPE_INVALID", "Interaction response type is invalid."
            )
        if not isinstance(data, dict):
            raise form_error("data", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
        if kind == AUTOCOMPLETE_RESULT:
            choices = data.get("choices")
            if not isinstance(choices, list) or len(choices) > MAX_CHOICES:
                raise form_error(
                    "data.choices", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CHOICES} or fewer in length."
                )
            return None
        if kind == MESSAGE:
            validate_message(data, flags=INTERACTION_FLAGS)
            pending.original_message_id = self._post(pending, data, flags=int(data.get("flags") or 0)).id
        elif kind == DEFERRED_MESSAGE:
            validate_message(data, require_content=False, flags=DEFERRED_FLAGS)
            flags = (int(data.get("flags") or 0) & EPHEMERAL) | LOADING
            pending.original_message_id = self._post(pending, {}, flags=flags).id
        elif kind in (DEFERRED_UPDATE, UPDATE_MESSAGE) and draft.message_id is not None:
            pending.original_message_id = draft.message_id
            if kind == UPDATE_MESSAGE:
                clicked = self.world.state.messages[draft.message_id]
                validate_edit(data, clicked, flags=EDIT_FLAGS)
                self.world.edit_message(clicked, data, mention_default=PARSE_USERS)
        elif kind == MODAL:
            validate_modal(data)
            opened = (data.get("components") or [], self._metadata(pending))
            self.open_modals[(draft.user_id, str(data["custom_id"]))] = opened
        return self.world.state.messages.get(pending.original_message_id or 0)

    def _metadata(self, pending: PendingInteraction) -> dict[str, Any]:
        """The `interaction_metadata` of the messages this interaction creates."""
        draft = pending.draft
        metadata: dict[str, Any] = {
            "id": str(pending.id),
            "type": draft.type,
            "user": discord_json.user_json(self.world.state.users[draft.user_id]),
            "authorizing_integration_owners": {"0": str(draft.guild_id or 0)},
        }
        if draft.message_id is not None and draft.type != INTERACTION_MODAL:
            metadata["interacted_message_id"] = str(draft.message_id)
        if draft.trigger is not None:
            metadata["triggering_interaction_metadata"] = draft.trigger
        if pending.original_message_id is not None:
            metadata["original_response_message_id"] = str(pending.original_message_id)
        return metadata

    def _post(self, pending: PendingInteraction, data: dict[str, Any], *, flags: int) -> Message:
        draft = pending.draft
        metadata = self._metadata(pending)
        return self.world.create_message(
            draft.channel_id,
            self.world.state.application.bot_user_id,
            data,
            flags=flags,
            message_type=20
            if draft.type == INTERACTION_COMMAND and pending.original_message_id is None
            else 0,
            interaction=metadata,
            ephemeral_for=draft.user_id if flags & EPHEMERAL else None,
            mention_default=PARSE_USERS,  # interactions parse only user mentions by default
        )

    def by_token(self, token: str) -> PendingInteraction:
        """The interaction behind a webhook token, while the token lives (15 minutes, then 401 like Discord)."""
        pending = next((p for p in self.pending.values() if p.token == token), None)
        if pending is None or self.elapsed(pending) > TOKEN_LIFETIME:
            raise DiscordError(401, INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")
        if not pending.acked.is_set():
            raise not_found(UNKNOWN_WEBHOOK, "Webhook")
        return pending

    def followup(self, token: str, data: dict[str, Any]) -> Message:
        """POST /webhooks/{app_id}/{token}: a followup message.

        As on Discord, the first followup after a deferred ("thinking") response is not a new message: it
        edits the loading message, which keeps the deferral's flags (an `ephemeral` on the followup is
        ignored). Later followups are new messages with their own flags.
        """
        pending = self.by_token(token)
        validate_message(data, flags=INTERACTION_FLAGS)
        loading = self.world.state.messages.get(pending.original_message_id or 0)
        if loading is not None and loading.flags & LOADING and not loading.deleted:
            fields = {k: v for k, v in data.items() if k != "flags"}
            self.world.edit_message(loading, fields, clear_flags=LOADING, mention_default=PARSE_USERS)
            pending.original_edited = True
            pending.activity.set()
            return loading
        message = self._post(pending, data, flags=int(data.get("flags") or 0))
        pending.followup_ids.append(message.id)
        pending.activity.set()
        return message

    def message(self, token: str, ref: str) -> Message:
        """The original response (`@original`) or one of the followups."""
        pending = self.by_token(token)
        if ref != "@original" and not ref.isdigit():
            raise not_found(UNKNOWN_MESSAGE, "Message")
        message_id = pending.original_message_id if ref == "@original" else int(ref)
        if message_id not in {pending.original_message_id, *pending.followup_ids}:
            raise not_found(UNKNOWN_MESSAGE, "Message")
        message = self.world.state.messages.get(message_id or 0)
        if message is None or message.deleted:
            raise not_found(UNKNOWN_MESSAGE, "Message")
        return message

    def edit(self, token: str, ref: str, data: dict[str, Any]) -> Message:
        """PATCH an interaction's message; editing a "thinking" original turns it into the answer."""
        pending = self.by_token(token)
        message = self.message(token, ref)
        validate_edit(data, message, flags=EDIT_FLAGS)
        self.world.edit_message(message, data, clear_flags=LOADING, mention_default=PARSE_USERS)
        if message.id == pending.original_message_id:
            pending.original_edited = True
        pending.activity.set()
        return message

    def note_message_edit(self, message_id: int) -> None:
        """A message was edited over REST; wake the interactions waiting on a deferred update of it."""
        for pending in self.pending.values():
            if pending.draft.message_id == message_id and pending.acked.is_set():
                pending.activity.set()
