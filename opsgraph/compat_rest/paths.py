"""The `anypath` path convertor for the dialects' catch-all routes.

Starlette's `path` convertor is `.*`, which stops at a newline: `/api/job/task/1/a%0Ab` (an
encoded newline in a path part) matched no route and got Starlette's plain-text 404 instead of the
dialect's JSON refusal. `anypath` matches every character.

Example:
    Route(f"/api/{module}/{{rest:{ANY_PATH}}}", dispatch)
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

ANY_PATH = "anypath"


class AnyPathConvertor(Convertor[str]):
    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor(ANY_PATH, AnyPathConvertor())
