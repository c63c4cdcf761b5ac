from __future__ import annotations

from pathlib import Path

import pytest

from argus.core.errors import ConfigError
from argus.core.predict.findings import RiskLevel
from argus.core.router.generation import Tier
from argus.github_app.config import parse_config
from argus.github_app.settings import DEFAULT_API_URL, load_settings

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"
GOOD = {
    "ARGUS_GITHUB_APP_ID": "12345",
    "ARGUS_GITHUB_PRIVATE_KEY": PEM,
    "ARGUS_GITHUB_WEBHOOK_SECRET": "s3cret",
}


def test_settings_from_the_environment_with_defaults():
    settings = load_settings(GOOD, dotenv=None)
    assert settings.app_id == 12345 and settings.private_key == PEM
    assert settings.api_url == DEFAULT_API_URL and not settings.uses_postgres
    assert "s3cret" not in repr(settings) and "PRIVATE" not in repr(settings)


@pytest.mark.parametrize("name", sorted(GOOD))
def test_a_missing_value_stops_start_up_naming_it(name):
    values = {key: value for key, value in GOOD.items() if key != name}
    with pytest.raises(ConfigError, match=name):
        load_settings(values, dotenv=None)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ARGUS_GITHUB_APP_ID", "my-app"),
        ("ARGUS_GITHUB_PRIVATE_KEY", "/nowhere/key.pem"),
        ("ARGUS_GITHUB_API_URL", "ftp://example.com"),
        ("ARGUS_DATABASE_URL", "mysql://db"),
        ("ARGUS_GITHUB_CHECKOUTS", "/nowhere/clones"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_it(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({**GOOD, name: value}, dotenv=None)


def test_private_key_path_and_dotenv(tmp_path: Path):
    key = tmp_path / "app.pem"
    key.write_text(PEM)
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# the App\nARGUS_GITHUB_APP_ID=7\n"
        f"ARGUS_GITHUB_PRIVATE_KEY={key}\n"
        'ARGUS_GITHUB_WEBHOOK_SECRET="from file"\n'
        "ARGUS_DATABASE_URL=postgresql://argus@localhost/argus\n"
    )
    settings = load_settings({"ARGUS_GITHUB_APP_ID": "8"}, dotenv=dotenv)
    assert settings.app_id == 8  # the environment wins over .env
    assert settings.private_key == PEM and settings.webhook_secret == "from file"
    assert settings.uses_postgres and settings.sqlite_path is None
    assert settings.checkouts_dir is None
    assert (
        load_settings({**GOOD, "ARGUS_GITHUB_CHECKOUTS": str(tmp_path)}, None).checkouts_dir
        == tmp_path
    )


def test_config_defaults_and_values():
    assert parse_config(None).fail_on is None
    config = parse_config(
        b"thresholds: {medium: 0.2, high: 0.5}\nfail_on: medium\nignore: ['docs/**', '*.md']\n"
        b"languages: [Python]\ngenerate_tests: true\nmax_tier: haiku\n"
    )
    assert (config.thresholds.medium, config.thresholds.high) == (0.2, 0.5)
    assert config.fail_on is RiskLevel.MEDIUM and config.max_tier is Tier.HAIKU
    assert config.generate_tests and config.languages == ("python",)
    assert config.ignores("docs/a/b.py") and config.ignores("README.md")
    assert not config.ignores("src/a.py") and config.ignores("src/a.py", ["src/*"])
    assert config.note is None


@pytest.mark.parametrize(
    "text",
    [
        b"fail_on: [high\n",
        b"- a list\n",
        b"fail_on: sometimes\n",
        b"thresholds: {medium: 0.9, high: 0.1}\n",
        b"colour: blue\n",
        b"generate_tests: maybe\n",
        b"\xff\xfe",
    ],
)
def test_broken_config_gives_defaults_and_a_note(text):
    config = parse_config(text)
    assert config.note and ".argus.yml could not be used" in config.note
    assert config.fail_on is None and config.ignore == ()


def test_app_configured_reads_the_environment_then_dotenv(tmp_path: Path):
    from argus.github_app.settings import app_configured

    dotenv = tmp_path / ".env"
    assert not app_configured({}, dotenv)
    dotenv.write_text("export ARGUS_GITHUB_APP_ID='9'\n")
    assert app_configured({}, dotenv)
    assert app_configured({"ARGUS_GITHUB_APP_ID": "3"}, None)
