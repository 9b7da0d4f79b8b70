"""The committed SDL is the contract front-end teams read; it must match the code."""

from __future__ import annotations

from pathlib import Path

from opsgraph.schema import schema

SDL = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_sdl_matches_the_code() -> None:
    committed = SDL.read_text().strip()
    current = schema.as_str().strip()
    assert committed == current, "schema.graphql is stale: run scripts/export-schema and commit it"


def test_sdl_offers_the_topology_graph() -> None:
    sdl = SDL.read_text()
    for declaration in (
        "interface Node",
        "type Business implements Node",
        "type Host implements Node",
        "type Set implements Node",
        "type Module implements Node",
        "type CloudArea implements Node",
    ):
        assert declaration in sdl
