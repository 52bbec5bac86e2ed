"""The images module's registration: the store, the public image route and the sweep job."""

from __future__ import annotations

from gamesched.core.modules import Contribution, JobSpec, ModuleContext
from gamesched.images.serving import serve_image
from gamesched.images.store import SWEEP, ImageStore


def register(context: ModuleContext) -> Contribution:
    """Needs nothing but the core. Every process serves images; any process may run the sweep."""
    store = ImageStore(db=context.db, queue=context.queue, clock=context.clock)
    context.provide(ImageStore, store)
    return Contribution(
        name="images",
        routes=[serve_image],
        dependencies={"images": store},
        jobs=[JobSpec(SWEEP, store.sweep_job)],
    )
