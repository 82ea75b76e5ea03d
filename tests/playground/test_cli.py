"""``layerwise playground``: its options, and a clear message when the web packages are missing."""

import subprocess
import sys

from layerwise import cli


def test_the_command_is_listed_with_its_options(capsys):
    try:
        cli.main(["playground", "--help"])
    except SystemExit as done:
        assert done.code == 0
    text = capsys.readouterr().out
    for option in ("--host", "--port", "--open"):
        assert option in text
    assert "default 127.0.0.1" in text and "default 8090" in text


def test_the_other_commands_do_not_import_the_web_server():
    code = ("import sys, layerwise.cli; "
            "print(any(name.split('.')[0] in ('starlette', 'uvicorn') or name == 'layerwise.playground.server' "
            "for name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_missing_extra_is_named(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "starlette", None)  # as if it were not installed
    assert cli.main(["playground", "--port", "0"]) == 1
    assert capsys.readouterr().err == (
        "layerwise playground needs the 'playground' extra (starlette is missing): "
        "pip install \"layerwise[playground]\"\n"
    )
