"""The Glue scripts carry generated copies of the contract and lake helpers (Glue uploads one
file per job). These tests fail when a copy is stale: run `make embed`."""

import pytest

from telco360 import embed

GLUE_SCRIPTS = ("clean_standardize.py", "build_staging.py")


@pytest.mark.parametrize("script", GLUE_SCRIPTS)
def test_glue_script_embeds_current_shared_modules(script):
    text = (embed.GLUE_DIR / script).read_text(encoding="utf-8")
    for module in embed.EMBEDDED_MODULES:
        begin, end = embed.markers(module)
        assert text.count(begin) == 1 and text.count(end) == 1, f"{script}: no {module} block"
    assert embed.render(text) == text, f"{script} embeds a stale copy: run `make embed`"


@pytest.mark.parametrize("script", GLUE_SCRIPTS)
def test_glue_script_does_not_import_the_package(script):
    # telco360 is not installed on Glue: a script importing it works here and fails there.
    text = (embed.GLUE_DIR / script).read_text(encoding="utf-8")
    assert "import telco360" not in text and "from telco360" not in text


def test_render_replaces_only_the_block_body():
    begin, end = embed.markers("contract.py")
    stale = f"x = 1\n{begin}\nOLD = True\n{end}\ny = 2\n"
    fresh = embed.render(stale)
    assert fresh.startswith("x = 1\n") and fresh.endswith(f"{end}\ny = 2\n")
    assert "OLD = True" not in fresh and "CUSTOMER_ID_PATTERN" in fresh


def test_render_fills_an_empty_block():
    begin, end = embed.markers("lake_io.py")
    filled = embed.render(f"{begin}\n{end}\n")
    assert filled.startswith(f"{begin}\n") and filled.endswith(f"{end}\n")
    assert "def write_json" in filled
