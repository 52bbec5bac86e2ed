# syntax=docker/dockerfile:1
# gamesched in one container: web dashboard + JSON API + Discord bot + job dispatcher in one process.

FROM python:3.12-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, so source edits do not reinstall them: install a stub gamesched for its
# dependencies, then drop the stub and what its build left in the tree (build/ would leak into the wheel).
COPY pyproject.toml README.md ./
RUN mkdir gamesched && touch gamesched/__init__.py \
    && pip install . && pip uninstall -y gamesched \
    && rm -rf gamesched build gamesched.egg-info
COPY gamesched ./gamesched
COPY discord_sandbox ./discord_sandbox
# A wheel, installed like any package (not editable): templates, static files and migrations are
# package data inside it, so nothing of /src is needed at run time.
RUN pip wheel --no-deps -w /dist . && pip install /dist/gamesched-*.whl

FROM python:3.12-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    GAMESCHED_HTTP_HOST=0.0.0.0 \
    GAMESCHED_HTTP_PORT=8000 \
    GAMESCHED_DATA_DIR=/data \
    GAMESCHED_LOG_FORMAT=json
RUN useradd --create-home --uid 10001 gamesched && mkdir /data && chown gamesched /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /data
USER gamesched
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"
# SIGTERM reaches gamesched directly (exec form), which shuts down in order without losing queued work.
CMD ["gamesched", "run"]
