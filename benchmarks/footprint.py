"""What the app process costs, read from its own ``/metrics`` (Prometheus' process collector)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Footprint:
    cpu_seconds: float
    rss_bytes: float

    @property
    def rss_mb(self) -> float:
        return self.rss_bytes / 1_000_000


async def footprint(app: httpx.AsyncClient) -> Footprint:
    """CPU time used so far and resident memory of the app behind ``app`` (a client on its base URL)."""
    text = (await app.get("/metrics")).text
    values = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name in ("process_cpu_seconds_total", "process_resident_memory_bytes")
    }
    return Footprint(values["process_cpu_seconds_total"], values["process_resident_memory_bytes"])
