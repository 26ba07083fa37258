"""docker-compose.yml can't run here (no Docker engine), so check what it promises."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_every_part_of_the_scaled_out_app():
    services = compose()["services"]
    assert {"redis", "postgres", "web", "worker", "sweeper"} <= set(services)
    assert "healthcheck" in services["redis"] and "healthcheck" in services["postgres"]
    assert "showcase.serve" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "showcase", "worker"]
    assert "beat" in services["sweeper"]["command"]


def test_app_services_are_configured_only_by_environment_and_wait_for_healthy_backends():
    services = compose()["services"]
    for name in ("web", "worker", "sweeper"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert "SECRET_KEY" in env
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "volumes" not in services[name], "configuration comes from the environment only"


def test_every_variable_the_settings_read_is_documented_in_compose():
    settings = (ROOT / "showcase" / "settings.py").read_text()
    env = compose()["services"]["web"]["environment"]
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "HOST"):
        assert f'"{name}"' in settings
        assert name in env


def test_long_running_services_come_back_by_themselves_and_the_one_shot_migrate_does_not():
    services = compose()["services"]
    for name in ("redis", "postgres", "web", "worker", "sweeper"):
        assert services[name]["restart"] == "unless-stopped"
    assert "restart" not in services["migrate"]


def test_healthchecks_give_a_starting_process_time_and_a_web_check_only_asks_for_an_answer():
    services = compose()["services"]
    for name in ("redis", "postgres", "web", "worker"):
        assert "start_period" in services[name]["healthcheck"]
    # /healthz is 503 while a worker restarts; that must not mark the web container unhealthy.
    assert "HTTPError" in " ".join(services["web"]["healthcheck"]["test"])


def test_web_replicas_scale_behind_one_proxy_that_carries_websockets():
    services = compose()["services"]
    assert "ports" not in services["web"], "a fixed host port would stop `--scale web=N`"
    assert services["proxy"]["ports"] == ["${PORT:-8000}:80"]
    template = (ROOT / "deploy" / "nginx.conf.template").read_text()
    assert "proxy_pass $web" in template and "resolver 127.0.0.11" in template
    assert "Upgrade $http_upgrade" in template
    env = services["web"]["environment"]
    assert env["PUBLIC_URL"].startswith("${PUBLIC_URL")
    assert env["TRUST_PROXY_HEADERS"] == "1"


def test_the_join_page_advertises_the_public_url_when_one_is_set(settings, rf):
    from conference import join

    settings.PUBLIC_URL = "https://shell.example.org"
    assert join.join_url(rf.get("/join/", HTTP_HOST="10.0.0.5:8000")) == "https://shell.example.org/"
