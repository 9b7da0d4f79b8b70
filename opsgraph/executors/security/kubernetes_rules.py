"""Static checks of Kubernetes manifests (YAML, several documents per file, `List` kinds too).

Every workload's pod template is found (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
ReplicationController, Job, CronJob) and each rule looks at the pod and its containers (init and
ephemeral ones included). One finding per rule per file; evidence names `Kind/name container`.

Example:
    findings = check_manifests(open("deploy.yaml").read())
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from opsgraph.executors.security.dockerfile_rules import SECRET_NAME, image_reference_problem
from opsgraph.executors.security.findings import Finding, evidence_list
from opsgraph.models.security import FindingSeverity

HIGH, MEDIUM, LOW = FindingSeverity.HIGH, FindingSeverity.MEDIUM, FindingSeverity.LOW
MAX_DOCUMENTS = 500
DANGEROUS_CAPABILITIES = {"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "NET_RAW"}
_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


@dataclass(frozen=True)
class Container:
    workload: str  # "Deployment/web"
    pod: dict[str, Any]
    spec: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.workload} container {self.spec.get('name') or '?'}"

    def security(self) -> dict[str, Any]:
        return _mapping(self.spec.get("securityContext"))

    def pod_security(self) -> dict[str, Any]:
        return _mapping(self.pod.get("securityContext"))


@dataclass(frozen=True)
class Workload:
    name: str
    pod: dict[str, Any]

    def containers(self) -> Iterator[Container]:
        for key in ("initContainers", "containers", "ephemeralContainers"):
            for spec in self.pod.get(key) or []:
                if isinstance(spec, dict):
                    yield Container(self.name, self.pod, spec)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def workloads(text: str) -> list[Workload]:
    """Every pod template in the manifests; a YAML error propagates (the caller reports it)."""
    found: list[Workload] = []
    documents = [d for _, d in zip(range(MAX_DOCUMENTS), yaml.safe_load_all(text), strict=False)]
    pending = [d for d in documents if isinstance(d, dict)]
    while pending:
        document = pending.pop(0)
        kind = str(document.get("kind") or "")
        if kind.endswith("List"):
            pending.extend(item for item in document.get("items") or [] if isinstance(item, dict))
            continue
        path = _TEMPLATE_PATHS.get(kind)
        if path is None:
            continue
        pod: Any = document
        for key in path:
            pod = _mapping(pod).get(key)
        name = str(_mapping(document.get("metadata")).get("name") or "?")
        found.append(Workload(f"{kind}/{name}", _mapping(pod)))
    return found


def check_manifests(text: str) -> list[Finding]:
    try:
        found = workloads(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return [Finding("k8s.parse", "kubernetes", HIGH, "The manifest is valid YAML", False, f"{problem}{where}")]
    if not found:
        return [
            Finding("k8s.workloads", "kubernetes", LOW, "The manifest defines workloads", False, "no pod templates")
        ]
    return [check(found) for check in CHECKS]


def _rule(
    rule_id: str, severity: FindingSeverity, title: str, ok: str
) -> Callable[[Callable[[list[Workload]], list[str]]], Callable[[list[Workload]], Finding]]:
    def wrap(problems_of: Callable[[list[Workload]], list[str]]) -> Callable[[list[Workload]], Finding]:
        def check(found: list[Workload]) -> Finding:
            problems = problems_of(found)
            return Finding(
                rule_id, "kubernetes", severity, title, not problems, evidence_list(problems) if problems else ok
            )

        CHECKS.append(check)
        return check

    return wrap


CHECKS: list[Callable[[list[Workload]], Finding]] = []


def _containers(found: list[Workload]) -> Iterator[Container]:
    for workload in found:
        yield from workload.containers()


@_rule("k8s.privileged", HIGH, "No privileged containers", "no container sets privileged: true")
def _privileged(found: list[Workload]) -> list[str]:
    return [f"{c.where}: privileged: true" for c in _containers(found) if c.security().get("privileged") is True]


@_rule("k8s.privilege_escalation", MEDIUM, "Containers set allowPrivilegeEscalation: false", "every container")
def _escalation(found: list[Workload]) -> list[str]:
    problems = []
    for c in _containers(found):
        value = c.security().get("allowPrivilegeEscalation")
        if value is not False:  # unset means allowed (the Kubernetes default)
            problems.append(f"{c.where}: allowPrivilegeEscalation {'unset' if value is None else value}")
    return problems


@_rule("k8s.run_as_non_root", HIGH, "Containers cannot run as root", "runAsNonRoot or a non-zero runAsUser everywhere")
def _run_as_root(found: list[Workload]) -> list[str]:
    problems = []
    for c in _containers(found):
        user = c.security().get("runAsUser", c.pod_security().get("runAsUser"))
        non_root = c.security().get("runAsNonRoot", c.pod_security().get("runAsNonRoot"))
        if user == 0:
            problems.append(f"{c.where}: runAsUser 0")
        elif non_root is not True and not (isinstance(user, int) and user > 0):
            problems.append(f"{c.where}: neither runAsNonRoot: true nor a non-zero runAsUser")
    return problems


@_rule("k8s.host_namespaces", HIGH, "Pods do not share the host's network, PID or IPC namespace", "none shared")
def _host_namespaces(found: list[Workload]) -> list[str]:
    return [
        f"{w.name}: {key}: true"
        for w in found
        for key in ("hostNetwork", "hostPID", "hostIPC")
        if w.pod.get(key) is True
    ]


@_rule("k8s.image_tag", MEDIUM, "Container images are pinned to a version", "every image names a tag or digest")
def _images(found: list[Workload]) -> list[str]:
    problems = []
    for c in _containers(found):
        image = str(c.spec.get("image") or "")
        problem = image_reference_problem(image) if image else "no image"
        if problem:
            problems.append(f"{c.where}: image {image or '?'} ({problem})")
    return problems


@_rule("k8s.resource_limits", MEDIUM, "Containers set CPU and memory limits", "every container has both limits")
def _limits(found: list[Workload]) -> list[str]:
    problems = []
    for c in _containers(found):
        limits = _mapping(_mapping(c.spec.get("resources")).get("limits"))
        missing = [name for name in ("cpu", "memory") if name not in limits]
        if missing:
            problems.append(f"{c.where}: no {' or '.join(missing)} limit")
    return problems


@_rule("k8s.host_path", MEDIUM, "No hostPath volumes", "no hostPath volume")
def _host_path(found: list[Workload]) -> list[str]:
    return [
        f"{w.name}: volume {v.get('name') or '?'} mounts host path {_mapping(v.get('hostPath')).get('path') or '?'}"
        for w in found
        for v in w.pod.get("volumes") or []
        if isinstance(v, dict) and "hostPath" in v
    ]


@_rule("k8s.capabilities", MEDIUM, "No dangerous Linux capabilities added", "none added")
def _capabilities(found: list[Workload]) -> list[str]:
    problems = []
    for c in _containers(found):
        added = {
            str(cap).upper().removeprefix("CAP_") for cap in _mapping(c.security().get("capabilities")).get("add") or []
        }
        if added & DANGEROUS_CAPABILITIES:
            problems.append(f"{c.where}: adds {', '.join(sorted(added & DANGEROUS_CAPABILITIES))}")
    return problems


@_rule("k8s.secrets_in_env", HIGH, "No secrets as literal environment values", "secrets come from valueFrom")
def _secrets(found: list[Workload]) -> list[str]:
    return [
        f"{c.where}: env {e.get('name')}=*** (use a Secret via valueFrom)"
        for c in _containers(found)
        for e in c.spec.get("env") or []
        if isinstance(e, dict) and SECRET_NAME.search(str(e.get("name") or "")) and e.get("value")
    ]


@_rule("k8s.read_only_root", LOW, "Containers mount their root filesystem read-only", "every container")
def _read_only_root(found: list[Workload]) -> list[str]:
    return [
        f"{c.where}: readOnlyRootFilesystem not true"
        for c in _containers(found)
        if c.security().get("readOnlyRootFilesystem") is not True
    ]
