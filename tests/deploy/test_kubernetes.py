"""The Kubernetes manifests: valid against the API schemas, and shaped as docs/deploy.md says."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from oncall.settings import ENVIRONMENT_NAMES, SettingsError, load_settings
from tests.deploy.files import KUBERNETES, PLACEHOLDER, ROOT, yaml_documents, yaml_text_documents

# The oldest Kubernetes still commonly run; the manifests use nothing newer.
KUBERNETES_VERSION = "1.30.0"
KUSTOMIZATIONS = [KUBERNETES, KUBERNETES / "migrate"]
MANIFESTS = sorted(p for p in KUBERNETES.rglob("*.yaml") if p.name != "kustomization.yaml")


def _by_kind(kind: str, name: str | None = None) -> dict[str, Any]:
    """The one manifest of `kind` (named `name`, where there are several of the kind)."""
    found = [
        d
        for p in MANIFESTS
        for d in yaml_documents(p)
        if d["kind"] == kind and name in (None, d["metadata"]["name"])
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def _env_from(pod_spec: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("configMap" if "configMapRef" in ref else "secret", next(iter(ref.values()))["name"])
        for container in pod_spec["containers"] + pod_spec.get("initContainers", [])
        for ref in container.get("envFrom", [])
    ]


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(KUBERNETES)))
def test_each_manifest_is_valid_against_the_api_schema(path: Path) -> None:
    for document in yaml_documents(path):
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{path.name}: {document['kind']} {where}: {exc.message}")


@pytest.mark.parametrize("path", KUSTOMIZATIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_kustomizations_list_only_files_that_exist(path: Path) -> None:
    (kustomization,) = yaml_documents(path / "kustomization.yaml")
    for resource in kustomization["resources"]:
        assert (path / resource).is_file(), f"{resource} is missing"
    names = {image["name"] for image in kustomization["images"]}
    assert names == {"oncall"}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("path", KUSTOMIZATIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_kustomize_builds_valid_manifests_with_the_release_image(path: Path) -> None:
    built = subprocess.run(
        ["kubectl", "kustomize", str(path)], capture_output=True, text=True, timeout=60
    )
    assert built.returncode == 0, built.stderr
    documents = yaml_text_documents(built.stdout)
    for document in documents:
        assert document["metadata"].get("namespace", "oncall") == "oncall"
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    images = {
        c["image"]
        for d in documents
        if d["kind"] in ("Deployment", "Job")
        for c in d["spec"]["template"]["spec"]["containers"]
        + d["spec"]["template"]["spec"].get("initContainers", [])
    }
    assert images == {"registry.example.org/oncall:0.1.0"}


def test_the_secret_is_a_template_and_never_applied_by_kustomize() -> None:
    secret = _by_kind("Secret")
    for name, value in secret["stringData"].items():
        assert name in ENVIRONMENT_NAMES
        assert value == "" or PLACEHOLDER in value, f"{name} must hold a placeholder"
    (kustomization,) = yaml_documents(KUBERNETES / "kustomization.yaml")
    assert "secret.template.yaml" not in kustomization["resources"]


def test_config_map_holds_real_settings_and_no_secret() -> None:
    data = _by_kind("ConfigMap")["data"]
    assert set(data) <= set(ENVIRONMENT_NAMES)
    assert data["ONCALL_TELEPHONY"] == "twilio"
    assert data["ONCALL_PUBLIC_URL"].startswith("https://")
    secret_names = set(_by_kind("Secret")["stringData"])
    assert not secret_names & set(data)


@pytest.mark.parametrize("name", ["oncall", "oncall-webhooks"])
def test_deployment_runs_two_ready_non_root_replicas(name: str) -> None:
    deployment = _by_kind("Deployment", name)
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    (app,) = pod["containers"]
    assert app["command"] == ["oncall", "serve"]
    assert app["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert app["livenessProbe"]["httpGet"]["path"] == "/healthz"
    port = int(_by_kind("ConfigMap")["data"]["ONCALL_PORT"])
    assert app["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    for container in pod["containers"] + pod["initContainers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert "resources" in container
    assert set(_env_from(pod)) == {("configMap", "oncall-config"), ("secret", "oncall-secrets")}


def test_migration_job_upgrades_the_schema_once() -> None:
    job = _by_kind("Job")
    assert job["spec"]["parallelism"] == 1
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["oncall", "db", "upgrade"]
    assert pod["restartPolicy"] == "Never"
    assert set(_env_from(pod)) == {("configMap", "oncall-config"), ("secret", "oncall-secrets")}


def _selected(service: dict[str, Any]) -> list[str]:
    """The Deployments whose pods `service` selects."""
    selector = service["spec"]["selector"].items()
    return [
        d["metadata"]["name"]
        for p in MANIFESTS
        for d in yaml_documents(p)
        if d["kind"] == "Deployment"
        and selector <= d["spec"]["template"]["metadata"]["labels"].items()
    ]


def test_service_and_ingress_reach_the_app_port() -> None:
    for name in ("oncall", "oncall-webhooks"):
        service = _by_kind("Service", name)
        (port,) = service["spec"]["ports"]
        assert port["targetPort"] == "http"
        assert _selected(service) == [name]  # the webhooks' pods and the app's, never both
    ingress = _by_kind("Ingress")
    (rule,) = ingress["spec"]["rules"]
    paths = {p["path"]: p for p in rule["http"]["paths"]}
    assert paths["/"]["backend"]["service"] == {"name": "oncall", "port": {"name": "http"}}
    twilio = paths["/twilio/"]
    assert twilio["pathType"] == "Prefix"
    assert twilio["backend"]["service"] == {"name": "oncall-webhooks", "port": {"name": "http"}}
    public_host = _by_kind("ConfigMap")["data"]["ONCALL_PUBLIC_URL"].removeprefix("https://")
    assert rule["host"] == public_host
    assert ingress["spec"]["tls"][0]["hosts"] == [public_host]


def test_config_map_and_secret_filled_in_are_a_valid_configuration() -> None:
    config = _by_kind("ConfigMap")["data"]
    secret = _by_kind("Secret")["stringData"]
    with pytest.raises(SettingsError):  # as shipped: placeholders refuse to start
        load_settings({**config, **secret})
    filled = {
        **config,
        **secret,
        "ONCALL_FALLBACK_NUMBER": "01534 700100",
        "ONCALL_DATABASE_URL": "postgresql://oncall:0123abcd@db:5432/oncall",
        "ONCALL_SECRET_KEY": "a" * 64,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "f" * 32,
    }
    settings = load_settings(filled)
    assert (settings.telephony, settings.port) == ("twilio", 8080)


def test_the_webhook_pods_are_the_app_s_without_the_loops() -> None:
    """Everything but the labels, the escalation loops and the resources is the app's own."""
    app, webhooks = _by_kind("Deployment", "oncall"), _by_kind("Deployment", "oncall-webhooks")
    (own,) = webhooks["spec"]["template"]["spec"]["containers"]
    assert {"name": "ONCALL_ESCALATION_WORKERS", "value": "off"} in own["env"]
    (app_container,) = app["spec"]["template"]["spec"]["containers"]
    assert not any(e["name"] == "ONCALL_ESCALATION_WORKERS" for e in app_container["env"])

    def apart(deployment: dict[str, Any]) -> dict[str, Any]:
        text = json.dumps(deployment).replace('"webhooks"', '"web"')
        pod: dict[str, Any] = json.loads(text.replace('"oncall-webhooks"', '"oncall"'))
        (container,) = pod["spec"]["template"]["spec"]["containers"]
        container["env"] = [e for e in container["env"] if e["name"] != "ONCALL_ESCALATION_WORKERS"]
        del container["resources"]
        return pod

    assert apart(webhooks) == apart(app)
    assert _by_kind("PodDisruptionBudget", "oncall-webhooks")["spec"]["minAvailable"] == 1
    # When a node's CPU is short, the callers' pods get the larger share (the request is the
    # container's weight).
    assert _millicores(own["resources"]["requests"]["cpu"]) > _millicores(
        app_container["resources"]["requests"]["cpu"]
    )


def _millicores(quantity: str) -> int:
    return (
        int(quantity.removesuffix("m")) if quantity.endswith("m") else int(float(quantity) * 1000)
    )
