"""What the launcher hands its children: no secret on a command line, proxy headers only when told."""

import subprocess
import sys

import pytest

from showcase.stack import ROOT, Stack


def test_proxy_headers_are_trusted_only_when_configured():
    assert Stack().proxy_flags() == []
    assert Stack(extra_env={"TRUST_PROXY_HEADERS": "1"}).proxy_flags() == ["--proxy-headers"]


def test_the_admin_password_goes_through_stdin_never_argv(tmp_path):
    stack = Stack(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    stack.manage("migrate", "--noinput")
    password = "a-password-only-stdin-knows"
    stack.manage("ensure_admin", "--username", "presenter", stdin=password + "\n")
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            f"print(get_user_model().objects.get(username='presenter').check_password({password!r}))",
        ],
        cwd=ROOT,
        env=stack.env(),
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "True"
    with pytest.raises(RuntimeError, match="at least 12"):
        stack.manage("ensure_admin", stdin="short\n")
