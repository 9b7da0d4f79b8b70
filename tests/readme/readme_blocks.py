"""The fenced code blocks of README.md, each named by the HTML comment on the line before it:

    <!-- example: first-steps -->
    ```sh
    …
    ```

The comment is invisible on GitHub and leaves the code exactly what a reader copies. A GraphQL
block may hold several named operations; they run in order, one request each (as GraphiQL sends
them: the whole document with an `operationName`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from graphql import OperationDefinitionNode, parse

README = Path(__file__).resolve().parents[2] / "README.md"
_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*?)\s*$")
_NAME = re.compile(r"^<!--\s*example:\s*(?P<name>[a-z0-9][a-z0-9-]*)\s*-->$")


class ReadmeError(ValueError):
    """README.md breaks the rules the example tests rely on (unnamed, duplicate or unclosed blocks)."""


@dataclass(frozen=True)
class Operation:
    name: str
    kind: str  # query | mutation | subscription
    variables: tuple[str, ...]


@dataclass(frozen=True)
class Block:
    name: str
    language: str  # the first word of the info string: sh, graphql, python, …
    code: str
    line: int  # of the opening fence, 1-based

    def operations(self) -> list[Operation]:
        """The operations of a GraphQL block, in order; every one must be named."""
        found: list[Operation] = []
        for definition in parse(self.code).definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            if definition.name is None:
                raise ReadmeError(f"README.md:{self.line} ({self.name}): name every operation of a GraphQL block")
            variables = tuple(d.variable.name.value for d in definition.variable_definitions or ())
            found.append(Operation(definition.name.value, definition.operation.value, variables))
        return found


def extract(text: str) -> list[Block]:
    """Every fenced block of `text`, in order."""
    lines = text.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence = opening["fence"]
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and not _closes(lines[index], fence):
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise ReadmeError(f"README.md:{start + 1}: the code block is never closed")
        index += 1
        label = _NAME.match(lines[start - 1].strip()) if start > 0 else None
        if label is None:
            raise ReadmeError(f"README.md:{start + 1}: put `<!-- example: NAME -->` on the line before the block")
        language = opening["info"].split()[0] if opening["info"] else ""
        blocks.append(Block(label["name"], language, "\n".join(body) + "\n", start + 1))
    names = [block.name for block in blocks]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ReadmeError(f"README.md: example names used twice: {', '.join(duplicates)}")
    return blocks


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence) and not stripped.strip(fence[0])


def readme_blocks(path: Path = README) -> list[Block]:
    return extract(path.read_text(encoding="utf-8"))
