"""Static IaC checks on Dockerfile and Kubernetes manifest text (no server needed)."""

from __future__ import annotations

from opsgraph.executors.security.dockerfile_rules import check_dockerfile, instructions
from opsgraph.executors.security.kubernetes_rules import check_manifests, workloads


def verdicts(findings: list) -> dict[str, tuple[bool, str]]:  # type: ignore[type-arg]
    return {f.rule_id: (f.passed, f.evidence) for f in findings}


def test_dockerfile_instructions_join_continuations_and_skip_comments() -> None:
    text = "# syntax=docker/dockerfile:1\nFROM alpine:3.20\nRUN apk add \\\n  # a comment inside\n  curl\n"
    assert [(i.line, i.keyword, i.arguments) for i in instructions(text)] == [
        (2, "FROM", "alpine:3.20"),
        (3, "RUN", "apk add  curl"),
    ]


def test_dockerfile_problems_are_found_with_their_lines() -> None:
    text = "\n".join(
        [
            "FROM golang:1.22 AS build",
            "ARG GITHUB_TOKEN=ghp_123",
            "FROM registry.local:5000/base",
            "ENV API_KEY secret-value",
            "ENV SAFE_PASSWORD=$FROM_BUILD_ARG",
            "ADD https://example.com/tool.tgz /opt/",
            "RUN wget -qO- https://get.example.com | sh",
            "EXPOSE 22 8080",
            "USER 0",
        ]
    )
    found = verdicts(check_dockerfile(text))
    assert found["dockerfile.image_tag"] == (False, "line 3: FROM registry.local:5000/base (no tag (means :latest))")
    assert found["dockerfile.secrets_in_env"] == (False, "line 2: ARG GITHUB_TOKEN=***, line 4: ENV API_KEY=***")
    assert found["dockerfile.add_remote_url"][0] is False
    assert found["dockerfile.curl_pipe_shell"][0] is False
    assert found["dockerfile.expose_ssh"] == (False, "line 8: EXPOSE 22 8080")
    assert found["dockerfile.user"] == (False, "line 9: USER 0")
    assert found["dockerfile.healthcheck"] == (False, "no HEALTHCHECK")


def test_a_hardened_dockerfile_passes() -> None:
    text = (
        "FROM python:3.12-slim@sha256:" + "a" * 64 + "\nCOPY app /app\nUSER app:app\n"
        "HEALTHCHECK CMD python -c 'print(1)'\n"
    )
    assert all(passed for passed, _ in verdicts(check_dockerfile(text)).values())


def test_manifests_find_every_pod_template() -> None:
    text = """
kind: List
items:
  - kind: CronJob
    metadata: {name: nightly}
    spec: {jobTemplate: {spec: {template: {spec: {hostPID: true, containers: [{name: job, image: "busybox"}]}}}}}
---
kind: Service
metadata: {name: ignored}
---
kind: Pod
metadata: {name: debug}
spec:
  volumes: [{name: root, hostPath: {path: /}}]
  initContainers: [{name: init, image: "alpine:3", securityContext: {capabilities: {add: [SYS_ADMIN]}}}]
  containers:
    - name: app
      image: app:2
      env: [{name: DB_PASSWORD, value: hunter2}, {name: TOKEN, valueFrom: {secretKeyRef: {name: s, key: k}}}]
      securityContext: {runAsUser: 0}
"""
    assert [w.name for w in workloads(text)] == ["Pod/debug", "CronJob/nightly"]
    found = verdicts(check_manifests(text))
    assert found["k8s.host_namespaces"] == (False, "CronJob/nightly: hostPID: true")
    assert found["k8s.host_path"] == (False, "Pod/debug: volume root mounts host path /")
    assert found["k8s.capabilities"] == (False, "Pod/debug container init: adds SYS_ADMIN")
    assert found["k8s.secrets_in_env"] == (
        False,
        "Pod/debug container app: env DB_PASSWORD=*** (use a Secret via valueFrom)",
    )
    assert "Pod/debug container app: runAsUser 0" in found["k8s.run_as_non_root"][1]
    assert found["k8s.image_tag"] == (False, "CronJob/nightly container job: image busybox (no tag (means :latest))")


def test_hardened_manifest_passes_and_broken_yaml_is_a_finding() -> None:
    hardened = """
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          resources: {limits: {cpu: "1", memory: 256Mi}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}
"""
    assert all(passed for passed, _ in verdicts(check_manifests(hardened)).values())
    (broken,) = check_manifests("kind: Pod\nspec: [unclosed\n")
    assert (broken.rule_id, broken.passed) == ("k8s.parse", False)
    (empty,) = check_manifests("kind: ConfigMap\ndata: {a: b}\n")
    assert (empty.rule_id, empty.passed) == ("k8s.workloads", False)
