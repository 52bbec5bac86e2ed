"""``DriverStatement``: which statements run straight on asyncpg, and that either way the rows are the same."""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, Integer, PickleType, Text, any_, bindparam, literal_column, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched.core.driver import DriverStatement
from gamesched.games.queries import _READ_ONE_GAME, _READ_SHOWN_GAME
from gamesched.games.seats import _SEATS
from gamesched.notifications.delivery import _KNOWN_CHANNELS, _RECORDED

NUMBERS = select(literal_column("n", Integer)).select_from(text("generate_series(1, 5) AS n"))


@pytest.mark.parametrize(
    "statement",
    [_READ_ONE_GAME, _READ_SHOWN_GAME, _SEATS, _RECORDED, _KNOWN_CHANNELS],
    ids=["one game", "one game with its schedule", "seats", "recorded DMs", "known DM channels"],
)
def test_the_hot_reads_qualify_for_the_driver(engine: AsyncEngine, statement: DriverStatement) -> None:
    """A type that needs conversion added to one of them would send it back through SQLAlchemy quietly."""
    assert statement._compile(engine.dialect) is not None


async def test_array_parameters_go_to_the_driver_as_lists_and_match_sqlalchemy(engine: AsyncEngine) -> None:
    wanted = NUMBERS.where(literal_column("n", Integer) == any_(bindparam("ns", type_=ARRAY(BigInteger))))
    statement = DriverStatement(wanted.order_by(literal_column("n")))
    async with engine.connect() as conn:
        assert statement._compile(conn.dialect) is not None
        on_driver = await statement.rows(conn, {"ns": [2, 4, 9]})
        through_sqlalchemy = (await conn.execute(statement.statement, {"ns": [2, 4, 9]})).all()
    assert [tuple(r) for r in on_driver] == [tuple(r) for r in through_sqlalchemy] == [(2,), (4,)]


async def test_a_parameter_sqlalchemy_must_convert_sends_the_statement_through_sqlalchemy(
    engine: AsyncEngine,
) -> None:
    """A pickled parameter is bytes only after SQLAlchemy's conversion: asyncpg alone would refuse it."""
    statement = DriverStatement(
        select(
            bindparam("blob", type_=PickleType()).label("blob"),
            bindparam("word", type_=Text()).label("word"),
        )
    )
    async with engine.connect() as conn:
        assert statement._compile(conn.dialect) is None
        [row] = await statement.rows(conn, {"blob": {"a": 1}, "word": "hi"})
    assert row.word == "hi" and row.blob == {"a": 1}, "converted both ways, as SQLAlchemy does"
