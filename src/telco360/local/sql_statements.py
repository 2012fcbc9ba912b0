"""Read the Snowflake SQL in `snowflake/`: render its Jinja subset and split it into statements.

schemachange renders every script with Jinja before sending it to Snowflake. The scripts here
use only three Jinja constructs, so the local warehouse and the tests can render them without
Jinja: `{{ name }}` (a deploy variable), `{% include "modules/path" %}` (a file under
`snowflake/modules/`: schemachange serves its modules folder under the `modules/` prefix) and
`{% if name %} ... {% else %} ... {% endif %}` on a variable's truth (with Jinja's `-`
whitespace control). Anything else is refused, and tests/test_schemachange_render.py renders
every script with schemachange itself and compares, so the two renderings cannot drift apart.

Splitting is done before parsing because a `$$ ... $$` procedure body holds `;` of its own:
sqlglot would swallow the statements that follow it.
"""

from __future__ import annotations

import re
from pathlib import Path

SNOWFLAKE_DIR = Path(__file__).resolve().parents[3] / "snowflake"
MIGRATIONS_DIR = SNOWFLAKE_DIR / "migrations"
MODULES_DIR = SNOWFLAKE_DIR / "modules"

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_INCLUDE = re.compile(r"\{%-?\s*include\s+[\"']([^\"']+)[\"']\s*-?%\}")
_BRANCH = re.compile(r"\{%(-?)\s*(if\s+[A-Za-z_][A-Za-z0-9_]*|else|endif)\s*(-?)%\}")


class SqlTemplateError(ValueError):
    """A script uses Jinja this reader does not support, or a variable has no value."""


def render(text: str, variables: dict[str, str], where: str = "script") -> str:
    """Render the Jinja subset: includes first (they may use variables), then variables."""

    def include(match: re.Match) -> str:
        name = match.group(1)
        if not name.startswith("modules/"):
            raise SqlTemplateError(
                f"{where}: include {name!r}: schemachange finds modules as 'modules/<path>'"
            )
        path = MODULES_DIR / name.removeprefix("modules/")
        if not path.is_file():
            raise SqlTemplateError(f"{where}: include {match.group(1)!r}: no such file in {path}")
        text = render(path.read_text(encoding="utf-8"), variables, str(path))
        # Jinja drops a template's single trailing newline (keep_trailing_newline=False).
        return text.removesuffix("\n")

    text = _INCLUDE.sub(include, text)
    text = _branches(text, variables, where)

    def variable(match: re.Match) -> str:
        name = match.group(1)
        if name not in variables:
            raise SqlTemplateError(
                f"{where}: Jinja variable {name!r} has no value; add it to "
                "snowflake/schemachange-config.yml `vars` (or pass it with --vars)"
            )
        return str(variables[name])

    text = _VARIABLE.sub(variable, text)
    leftover = re.search(r"\{[{%#]", text)
    if leftover:
        line = text[: leftover.start()].count("\n") + 1
        snippet = text[leftover.start() : leftover.start() + 30]
        raise SqlTemplateError(
            f"{where}, line {line}: unsupported Jinja {snippet!r}"
            " (only {{ variable }}, {% include 'modules/file' %} and {% if variable %} are used"
            " in snowflake/)"
        )
    return text


def _branches(text: str, variables: dict[str, str], where: str) -> str:
    """`{% if name %}` / `{% else %}` / `{% endif %}` on a variable's truth, as Jinja renders
    them without trim_blocks (schemachange's settings): the text between tags is kept as is,
    except where a `-` strips the whitespace on that side of a tag."""
    parts = _BRANCH.split(text)  # text, (dash, tag, dash, text)*
    texts = parts[0::4]
    tags = [(parts[i], parts[i + 1], parts[i + 2]) for i in range(1, len(parts), 4)]
    for n, (before, _, after) in enumerate(tags):
        if before:
            texts[n] = texts[n].rstrip()
        if after:
            texts[n + 1] = texts[n + 1].lstrip()
    out, stack = [texts[0]], []
    for (_, tag, _), following in zip(tags, texts[1:], strict=True):
        if tag.startswith("if"):
            name = tag.split()[1]
            if name not in variables:
                raise SqlTemplateError(
                    f"{where}: Jinja variable {name!r} has no value; add it to "
                    "snowflake/schemachange-config.yml `vars` (or pass it with --vars)"
                )
            stack.append(bool(variables[name]))
        elif not stack:
            raise SqlTemplateError(f"{where}: {{% {tag} %}} without {{% if %}}")
        elif tag == "else":
            stack[-1] = not stack[-1]
        else:
            stack.pop()
        if all(stack):
            out.append(following)
    if stack:
        raise SqlTemplateError(f"{where}: {{% if %}} without {{% endif %}}")
    return "".join(out)


def split_statements(text: str) -> list[str]:
    """Split SQL text on top-level `;`, respecting quotes, comments and `$$` bodies.

    Returns the statements without their trailing `;`, stripped; comment-only pieces are dropped.
    """
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        two = text[i : i + 2]
        if two == "--":
            end = text.find("\n", i)
            end = n if end == -1 else end
            current.append(text[i:end])
            i = end
        elif two == "/*":
            end = text.find("*/", i + 2)
            end = n if end == -1 else end + 2
            current.append(text[i:end])
            i = end
        elif two == "$$":
            end = text.find("$$", i + 2)
            if end == -1:
                raise ValueError("unterminated $$ block in SQL text")
            current.append(text[i : end + 2])
            i = end + 2
        elif ch in ("'", '"'):
            j = i + 1
            while j < n:
                if text[j] == "\\" and ch == "'":
                    j += 2
                    continue
                if text[j] == ch:
                    if j + 1 < n and text[j + 1] == ch:  # doubled quote = escaped quote
                        j += 2
                        continue
                    break
                j += 1
            current.append(text[i : j + 1])
            i = j + 1
        elif ch == ";":
            statements.append("".join(current))
            current = []
            i += 1
        else:
            current.append(ch)
            i += 1
    statements.append("".join(current))
    return [s.strip() for s in statements if _has_code(s)]


def _has_code(statement: str) -> bool:
    without = re.sub(r"--[^\n]*|/\*.*?\*/", "", statement, flags=re.S)
    return bool(without.strip())


def migration_files() -> list[Path]:
    """schemachange order: versioned scripts by version, then repeatable scripts by name."""

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in path.name[1:].split("__", 1)[0].split("."))

    versioned = sorted(MIGRATIONS_DIR.glob("V*__*.sql"), key=version)
    repeatable = sorted(MIGRATIONS_DIR.glob("R__*.sql"))
    return versioned + repeatable


def module_statements(name: str) -> list[str]:
    """The statements of one model module, e.g. `model/merge_batch.sql`."""
    path = MODULES_DIR / name
    return split_statements(render(path.read_text(encoding="utf-8"), {}, str(path)))
