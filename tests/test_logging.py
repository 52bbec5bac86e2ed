"""Log output: one JSON object per line in production, readable lines by default."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from gamesched.core.logging import configure_logging


@pytest.fixture(autouse=True)
def restore_logging() -> object:
    yield None
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


def test_json_format_writes_one_object_per_line_with_fields(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(fmt="json", level="INFO")
    structlog.get_logger("gamesched.test").info("reminder_sent", game_id="g1", recipients=7)
    logging.getLogger("uvicorn.error").warning("stdlib message")
    lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    assert lines[0]["event"] == "reminder_sent"
    assert lines[0]["recipients"] == 7
    assert lines[0]["level"] == "info"
    assert lines[0]["logger"] == "gamesched.test"
    assert "timestamp" in lines[0]
    assert lines[1]["event"] == "stdlib message"
    assert lines[1]["level"] == "warning"


def test_console_format_is_readable_and_respects_the_level(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(fmt="console", level="WARNING")
    log = structlog.get_logger("gamesched.test")
    log.info("hidden_event")
    log.warning("shown_event", game_id="g2")
    err = capsys.readouterr().err
    assert "hidden_event" not in err
    assert "shown_event" in err and "game_id=g2" in err
    assert not err.lstrip().startswith("{")
