"""helpers.config: environments, keys from the environment or .env, clear errors, masking."""
from __future__ import annotations

import pytest

from helpers import config
from local_exchange.settings import DEMO_API_KEY, DEMO_API_SECRET

KEY = "AbCdEfGhIjKlMnOpQr"
SECRET = "0123456789abcdef0123456789abcdef0123"


@pytest.fixture
def clean(monkeypatch, tmp_path):
    """No BYBIT_* variable set, and a working directory without any .env above it."""
    import os
    for name in list(os.environ):
        if name.startswith("BYBIT_"):
            monkeypatch.delenv(name)
    work = tmp_path / "course" / "notebooks"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    # find_dotenv walks up from the cwd; make sure nothing above tmp_path is found
    monkeypatch.setattr(config, "find_dotenv", lambda usecwd=True: _find_below(tmp_path))
    return monkeypatch


def _find_below(root):
    """find_dotenv limited to the test's temporary tree (walks up from the cwd, like the real one)."""
    from pathlib import Path
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / ".env").is_file():
            return str(folder / ".env")
        if folder == root:
            break
    return ""


def test_default_is_local_with_demo_keys(clean):
    s = config.settings()
    assert (s.env, s.api_key, s.api_secret, s.rest_url, s.local_url) == ("local", DEMO_API_KEY, DEMO_API_SECRET,
                                                                         None, None)
    assert s.uses_demo_keys


@pytest.mark.parametrize("value,env", [("local", "local"), ("LOCAL", "local"), ("Testnet", "testnet"),
                                       ("demo", "demo"), (" MAINNET ", "mainnet")])
def test_env_is_case_insensitive(clean, value, env):
    clean.setenv("BYBIT_ENV", value)
    clean.setenv("BYBIT_API_KEY", KEY)
    clean.setenv("BYBIT_API_SECRET", SECRET)
    assert config.settings().env == env


@pytest.mark.parametrize("env,url", [("testnet", "https://api-testnet.bybit.com"),
                                     ("demo", "https://api-demo.bybit.com"),
                                     ("mainnet", "https://api.bybit.com")])
def test_remote_environments_use_the_given_keys(clean, env, url):
    clean.setenv("BYBIT_ENV", env)
    clean.setenv("BYBIT_API_KEY", KEY)
    clean.setenv("BYBIT_API_SECRET", SECRET)
    s = config.settings()
    assert (s.rest_url, s.api_key, s.api_secret, s.allow_mainnet_orders) == (url, KEY, SECRET, False)


def test_unknown_env_lists_the_four(clean):
    clean.setenv("BYBIT_ENV", "prod")
    with pytest.raises(config.ConfigError) as caught:
        config.settings()
    message = str(caught.value)
    assert "'prod'" in message
    for env in ("local", "testnet", "demo", "mainnet"):
        assert env in message


@pytest.mark.parametrize("env,where", [("testnet", "testnet.bybit.com"), ("demo", "Demo Trading"),
                                       ("mainnet", "API Management")])
def test_missing_keys_say_exactly_what_to_set(clean, env, where):
    clean.setenv("BYBIT_ENV", env)
    with pytest.raises(config.ConfigError) as caught:
        config.settings()
    message = str(caught.value)
    assert f"BYBIT_ENV={env}" in message
    assert "BYBIT_API_KEY" in message and "BYBIT_API_SECRET" in message
    assert ".env" in message
    assert where in message


def test_missing_secret_only_names_the_secret_as_missing(clean):
    clean.setenv("BYBIT_ENV", "testnet")
    clean.setenv("BYBIT_API_KEY", KEY)
    with pytest.raises(config.ConfigError, match="but BYBIT_API_SECRET is not set"):
        config.settings()


def test_dotenv_found_from_a_subfolder(clean, tmp_path):
    (tmp_path / "course" / ".env").write_text(
        f"BYBIT_ENV=testnet\nBYBIT_API_KEY={KEY}\nBYBIT_API_SECRET={SECRET}\n", encoding="utf-8")
    s = config.settings()   # cwd is course/notebooks, the .env is one level up
    assert (s.env, s.api_key, s.api_secret) == ("testnet", KEY, SECRET)


def test_real_environment_wins_over_dotenv(clean, tmp_path):
    (tmp_path / "course" / ".env").write_text(
        f"BYBIT_ENV=testnet\nBYBIT_API_KEY=from-the-file-key\nBYBIT_API_SECRET={SECRET}\n", encoding="utf-8")
    clean.setenv("BYBIT_API_KEY", KEY)
    clean.setenv("BYBIT_ENV", "demo")
    s = config.settings()
    assert (s.env, s.api_key, s.api_secret) == ("demo", KEY, SECRET)


def test_real_find_dotenv_walks_up_from_the_cwd(monkeypatch, tmp_path):
    """The unpatched search: usecwd=True starts from the working directory, not from this file."""
    (tmp_path / ".env").write_text("BYBIT_ENV=demo\n", encoding="utf-8")
    sub = tmp_path / "notebooks"
    sub.mkdir()
    monkeypatch.chdir(sub)
    values = config.read_environment(environ={})
    assert values["BYBIT_ENV"] == "demo"


def test_explicit_environ_and_dotenv_path(tmp_path):
    env_file = tmp_path / "custom.env"
    env_file.write_text(f"BYBIT_API_KEY={KEY}\nBYBIT_API_SECRET={SECRET}\nOTHER=1\n", encoding="utf-8")
    s = config.settings(environ={"BYBIT_ENV": "mainnet", "BYBIT_ALLOW_MAINNET_ORDERS": "1"},
                        dotenv_path=str(env_file))
    assert (s.env, s.api_key, s.allow_mainnet_orders) == ("mainnet", KEY, True)


@pytest.mark.parametrize("value,allowed", [("1", True), ("true", True), ("0", False), ("", False), ("no", False)])
def test_mainnet_order_switch(clean, value, allowed):
    s = config.settings(environ={"BYBIT_ENV": "mainnet", "BYBIT_API_KEY": KEY, "BYBIT_API_SECRET": SECRET,
                                 "BYBIT_ALLOW_MAINNET_ORDERS": value})
    assert s.allow_mainnet_orders is allowed


def test_classroom_server_requires_keys(clean):
    clean.setenv("BYBIT_LOCAL_URL", "http://192.168.1.10:8765")
    with pytest.raises(config.ConfigError) as caught:
        config.settings()
    message = str(caught.value)
    assert "BYBIT_API_KEY" in message and "instructor" in message
    clean.setenv("BYBIT_API_KEY", KEY)
    clean.setenv("BYBIT_API_SECRET", SECRET)
    s = config.settings()
    assert (s.env, s.rest_url, s.local_url, s.api_key) == ("local", "http://192.168.1.10:8765",
                                                           "http://192.168.1.10:8765", KEY)


def test_server_on_this_machine_accepts_demo_keys(clean):
    clean.setenv("BYBIT_LOCAL_URL", "http://127.0.0.1:8765/")
    s = config.settings()
    assert (s.local_url, s.api_key) == ("http://127.0.0.1:8765", DEMO_API_KEY)


def test_bad_local_url(clean):
    clean.setenv("BYBIT_LOCAL_URL", "192.168.1.10:8765")
    with pytest.raises(config.ConfigError, match="http://"):
        config.settings()


def test_mask():
    assert config.mask("demo-api-key") == "demo…"
    assert config.mask(KEY) == "AbCd…"
    assert config.mask("short") == "…"
    assert config.mask("") == config.mask(None) == "(not set)"


def test_repr_never_shows_a_secret(clean):
    s = config.settings(environ={"BYBIT_ENV": "testnet", "BYBIT_API_KEY": KEY, "BYBIT_API_SECRET": SECRET})
    for text in (repr(s), str(s), f"{s}", repr([s])):
        assert KEY not in text and SECRET not in text and SECRET[:4] not in text
        assert "AbCd…" in text and "testnet" in text


def test_settings_are_frozen(clean):
    s = config.settings()
    with pytest.raises(AttributeError):
        s.env = "mainnet"
