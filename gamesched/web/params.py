"""Discord ids in URLs: path and query parameters held to what an id can be (``gamesched.core.inputs``).

Litestar reads the limits from its parameter declarations (a msgspec ``Meta`` on the type is not used for
parameters), so the rule lives once in core and is declared here for URLs.
"""

from __future__ import annotations

from litestar.params import PathParameter, QueryParameter

from gamesched.core.inputs import SNOWFLAKE_MAX, SNOWFLAKE_MIN


def id_in_path(description: str) -> PathParameter:
    """A Discord id in the path: ``Annotated[int, id_in_path("Discord guild id")]``."""
    return PathParameter(ge=SNOWFLAKE_MIN, le=SNOWFLAKE_MAX, description=description)


def id_in_query(description: str | None = None, *, name: str | None = None) -> QueryParameter:
    """A Discord id in the query string: ``Annotated[int | None, id_in_query("Discord channel id")]``."""
    return QueryParameter(ge=SNOWFLAKE_MIN, le=SNOWFLAKE_MAX, description=description, name=name)
