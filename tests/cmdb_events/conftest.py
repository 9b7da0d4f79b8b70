"""A real HTTP receiver for pushed CMDB events, started on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cmdb_events.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    try:
        yield started
    finally:
        started.stop()
