"""The `heartline` command against a real SQLite file, run as a subprocess like a user would."""

import json
import os
import subprocess
import sys

import pytest


@pytest.fixture
def run(tmp_path):
    env = {
        **os.environ,
        "HEARTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "HEARTLINE_DATA_DIR": str(tmp_path),
        "HEARTLINE_EMOTION_ENGINE": "lexicon",
    }

    def _run(*args, ok=True):
        proc = subprocess.run(
            [sys.executable, "-m", "heartline", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    return _run


def test_db_users_tokens_and_import(run, tmp_path):
    run("db", "upgrade")
    assert run("db", "current").stdout.strip() != "(empty)"
    run(
        "users",
        "create",
        "--email",
        "admin@example.com",
        "--password",
        "quartz-meadow-lantern-5",
        "--role",
        "admin",
    )
    pw = "quartz-meadow-lantern-5"
    dup = run("users", "create", "--email", "admin@example.com", "--password", pw, ok=False)
    assert dup.returncode == 2 and "already exists" in dup.stderr
    bad_role = run(
        "users",
        "create",
        "--email",
        "x@example.com",
        "--password",
        "quartz-meadow-lantern-5",
        "--role",
        "root",
        ok=False,
    )
    assert bad_role.returncode == 2 and "role" in bad_role.stderr
    last = run("users", "set", "admin@example.com", "--inactive", ok=False)
    assert last.returncode == 2 and "last active admin" in last.stderr
    run("users", "create", "--email", "b@example.com", "--password", "quartz-meadow-lantern-5")
    changed = run("users", "set", "B@example.com", "--role", "manager", "--inactive")
    assert "role agent -> manager" in changed.stdout and "is_active True -> False" in changed.stdout
    listed = run("users", "list").stdout.splitlines()
    assert next(line for line in listed if "b@example.com" in line).split()[2:] == [
        "manager",
        "disabled",
    ]
    assert run("users", "set", "nobody@example.com", "--active", ok=False).returncode == 2
    weak = run("users", "create", "--email", "w@example.com", "--password", "password", ok=False)
    assert weak.returncode == 2 and "password:" in weak.stderr
    reset = run("users", "reset-password", "admin@example.com").stdout
    assert "temporary password" in reset and "quartz-meadow-lantern-5" not in reset
    token = (
        run("tokens", "create", "--name", "shop", "--role", "integration")
        .stdout.strip()
        .splitlines()[-1]
    )
    assert token.startswith("hl_")
    customers = tmp_path / "c.jsonl"
    customers.write_text(json.dumps({"external_id": "a", "name": "A"}) + "\n{oops\n")
    proc = run("import", "customers", str(customers), "--errors", str(tmp_path / "err.csv"))
    assert "1 created" in proc.stdout and "1 rejected" in proc.stdout
    assert "line 2" in proc.stderr
    assert (tmp_path / "err.csv").read_text().splitlines()[1].startswith("2,row,broken JSON")
    run("db", "downgrade", "base")
    assert run("db", "current").stdout.strip() == "(empty)"


# What a start may not import: the database layer, the web framework, the emotion engine and
# its numerics, the domain services. Each command imports what it needs when it runs.
HEAVY_AT_START = (
    "sqlalchemy", "alembic", "fastapi", "starlette", "pydantic", "pydantic_settings",
    "numpy", "onnxruntime", "sklearn", "tokenizers", "yaml", "uvicorn", "celery",
    "heartline.db", "heartline.config", "heartline.models", "heartline.emotion.neural",
    "heartline.emotion.service", "heartline.mood.service", "heartline.interactions.service",
    "heartline.customers.service", "heartline.demo.service", "heartline.app",
)  # fmt: skip


def _loaded_at_start(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    return set(proc.stdout.split())


@pytest.mark.parametrize(
    "code",
    [
        "import heartline.cli",
        # --help builds every command (typer reads each signature) and prints the list
        "import sys; sys.argv = ['heartline', '--help']\n"
        "from heartline.cli import app\n"
        "try:\n    app()\nexcept SystemExit:\n    pass",
    ],
)
def test_cli_start_does_not_import_heavy_modules(code):
    loaded = _loaded_at_start(code)
    assert "heartline.cli" in loaded and "typer" in loaded  # the probe did load the CLI
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY_AT_START or m in HEAVY_AT_START)
    assert heavy == []


def test_version_and_a_command_that_needs_the_database(run):
    from heartline import __version__

    assert run("version").stdout.strip() == f"heartline {__version__}"
    # the database loads inside the command: it still works end to end
    run("db", "upgrade")
    assert run("db", "current").stdout.strip() not in ("", "(empty)")
