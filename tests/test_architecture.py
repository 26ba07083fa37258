"""The layers point one way (showcase <- store <- demos <- push <- runs <- conference), checked by
import-linter's contract in pyproject.toml; and every demo is derived from its declaration."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.module_loading import import_string

from demos import registry

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("showcase", "store", "demos", "push", "runs", "conference", "checker", "proof")


def lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT)], cwd=root, capture_output=True, text=True, env={"PYTHONPATH": str(root)})


def test_the_layer_contract_holds():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_contract_breaks_when_the_store_imports_the_push_layer(tmp_path):
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with open(tmp_path / "store" / "log.py", "a") as module:
        module.write("\nfrom push import broadcast  # noqa\n")
    result = lint(tmp_path)
    assert result.returncode != 0
    assert "store.log -> push.broadcast" in result.stdout


def test_every_built_demo_is_routed_seeded_and_scripted_from_its_declaration():
    live = registry.live()
    assert {"cap", "business-process", "optimistic", "read-your-writes", "pending", "push"} <= {d.slug for d in live}
    for demo in live:
        assert reverse("demo", args=[demo.slug]) == f"/demos/{demo.slug}/"
        # A demo that shows a replica is seeded, unless it says its page shows only what its own
        # controls write; the business process shows processes, not the log.
        assert demo.scenario and (demo.examples or not demo.replica or not demo.seeded), demo.slug
        assert demo.snippets(), demo.slug
        if demo.script:
            assert finders.find(demo.script), demo.script


def test_a_demo_is_a_folder_that_holds_its_template_script_and_rehearsal_check():
    """Everything a demo is lives in demos/catalog/<name>/: adding one touches nothing else."""
    for demo in registry.live():
        folder = Path(sys.modules[demo.urls[0].callback.__module__].__file__).parent
        assert folder.parent == ROOT / "demos" / "catalog", demo.slug
        if demo.script:
            assert Path(finders.find(demo.script)).is_relative_to(folder), demo.script
        if demo.rehearsal:
            assert Path(sys.modules[demo.rehearsal.__module__].__file__).parent == folder, demo.slug
        templates = list((folder / "templates").rglob("*.html"))
        assert templates, f"{demo.slug}: no template in its folder"


def test_the_index_follows_the_talks_order():
    orders = [d.order for d in registry.demos()]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/demos/optimistic/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    body = response.content.decode()
    assert " onchange=" not in body and " onclick=" not in body and "<script>" not in body


def test_no_middleware_hops_to_a_thread_and_back_under_asgi(settings):
    """Django's MiddlewareMixin, left async-capable, runs each hook in a thread and back
    (showcase/middleware.py): every middleware is sync-only or async without hops."""
    for path in settings.MIDDLEWARE:
        middleware = import_string(path)
        assert not (issubclass(middleware, MiddlewareMixin) and middleware.async_capable), path
