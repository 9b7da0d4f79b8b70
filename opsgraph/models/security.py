"""Security scans: files uploaded for IaC scanning, and the findings a scan task records.

A finding is one rule checked against one target (a host of a cluster scan, or an uploaded file of
an IaC scan), passed or not, so a task's findings are its whole report, not only its failures.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from opsgraph.models.tasks import Task
from opsgraph.models.topology import Business, Host


class FindingSeverity(StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class IacFileType(StrEnum):
    DOCKERFILE = "dockerfile"
    K8S_YAML = "k8s_yaml"


class ScanFile(Model):
    """A Dockerfile or Kubernetes manifest uploaded for an IaC scan (UTF-8 text, size-capped)."""

    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="scan_files", on_delete=fields.CASCADE
    )
    business_id: int
    name = fields.CharField(max_length=256)
    # Empty when the uploader did not say; a scan then reads it as the type the scan names.
    file_type = fields.CharField(max_length=16, default="")
    content = fields.TextField()
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    created_by = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "scan_file"


class SecurityFinding(Model):
    id = fields.IntField(primary_key=True)
    task: fields.ForeignKeyRelation[Task] = fields.ForeignKeyField(
        "opsgraph.Task", related_name="findings", on_delete=fields.CASCADE
    )
    task_id: int
    host: fields.ForeignKeyNullableRelation[Host] = fields.ForeignKeyField(
        "opsgraph.Host", related_name="security_findings", null=True, on_delete=fields.SET_NULL
    )
    host_id: int | None
    file: fields.ForeignKeyNullableRelation[ScanFile] = fields.ForeignKeyField(
        "opsgraph.ScanFile", related_name="findings", null=True, on_delete=fields.SET_NULL
    )
    file_id: int | None
    # What was checked, as a reader names it: the host's IP, or the uploaded file's name.
    target = fields.CharField(max_length=256)
    rule_id = fields.CharField(max_length=64, db_index=True)
    category = fields.CharField(max_length=32)
    severity = fields.CharEnumField(FindingSeverity, max_length=8)
    title = fields.CharField(max_length=256)
    evidence = fields.TextField(default="")
    passed = fields.BooleanField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "security_finding"
