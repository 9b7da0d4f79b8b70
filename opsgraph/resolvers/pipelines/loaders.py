"""The pipeline DataLoaders (created per request with the others in resolvers/loaders.py)."""

from __future__ import annotations

from typing import Any

from aiodataloader import DataLoader

from opsgraph.models.pipelines import PipelineTemplate, PipelineTemplateVersion

Row = dict[str, Any]
VERSION_COLUMNS = ("id", "template_id", "version", "digest", "created_by", "created_at")


async def _current_versions(template_ids: list[int]) -> list[Row | None]:
    """The current version's row (with its tree) of each template: one query for the numbers, one
    for the rows."""
    current = {
        row["id"]: row["version"] for row in await PipelineTemplate.filter(id__in=template_ids).values("id", "version")
    }
    rows = await PipelineTemplateVersion.filter(template_id__in=list(current)).values("id", "template_id", "version")
    wanted = [row["id"] for row in rows if current.get(row["template_id"]) == row["version"]]
    full = {row["template_id"]: row for row in await PipelineTemplateVersion.filter(id__in=wanted).values()}
    return [full.get(pk) for pk in template_ids]


async def _versions_by_template(template_ids: list[int]) -> list[list[Row]]:
    groups: dict[int, list[Row]] = {pk: [] for pk in template_ids}
    for row in (
        await PipelineTemplateVersion.filter(template_id__in=template_ids).order_by("version").values(*VERSION_COLUMNS)
    ):
        groups[row["template_id"]].append(row)
    return [groups[pk] for pk in template_ids]


def current_template_version_loader() -> DataLoader:
    return DataLoader(_current_versions, max_batch_size=1000)


def versions_by_template_loader() -> DataLoader:
    return DataLoader(_versions_by_template, max_batch_size=1000)


def _by_id(model: Any, key: str = "id") -> DataLoader:
    async def batch(keys: list[int]) -> list[Row | None]:
        rows = {row[key]: row for row in await model.filter(**{f"{key}__in": keys}).values()}
        return [rows.get(k) for k in keys]

    return DataLoader(batch, max_batch_size=5000)


class PipelineLoaders:
    """`info.context.loaders.pipelines`: templates, their versions, runs by task, periodic tasks."""

    def __init__(self) -> None:
        from opsgraph.models.pipelines import PeriodicTask, PipelineRun

        self.template = _by_id(PipelineTemplate)
        self.current_version = current_template_version_loader()
        self.versions = versions_by_template_loader()
        self.run_by_task = _by_id(PipelineRun, "task_id")
        self.periodic_task = _by_id(PeriodicTask)
