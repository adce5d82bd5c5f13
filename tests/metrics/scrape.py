"""Scrape a running service's /metrics and read it with prometheus_client's own parser."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

Labels = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Scrape:
    """Every sample of one scrape, by sample name and labels; the families and their types."""

    samples: dict[tuple[str, Labels], float]
    families: dict[str, str]  # family name -> type (counter, gauge, histogram, summary)
    sample_names: set[str]

    def value(self, name: str, **labels: str) -> float:
        return self.samples[(name, frozenset(labels.items()))]

    def values(self, name: str) -> dict[Labels, float]:
        return {labels: v for (n, labels), v in self.samples.items() if n == name}


def parse(text: str) -> Scrape:
    """Parse the exposition text; the parser raises on anything that is not valid format."""
    samples: dict[tuple[str, Labels], float] = {}
    families: dict[str, str] = {}
    for family in text_string_to_metric_families(text):
        families[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return Scrape(samples, families, {name for name, _ in samples})


async def get_metrics(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as resp:
        return resp.status, await resp.text()


async def scrape(base_url: str, headers: dict[str, str] | None = None) -> Scrape:
    status, text = await get_metrics(base_url + "/metrics", headers)
    assert status == 200, text
    return parse(text)
