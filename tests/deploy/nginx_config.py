"""The nginx sites parsed as nginx would, by crossplane (nginx's own parser rules, in Python)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import crossplane  # type: ignore[import-untyped]

from tests.deploy.files import NGINX

SNIPPET = NGINX / "oncall-proxy.conf"
SNIPPET_INSTALLED_AT = "/etc/nginx/snippets/oncall-proxy.conf"

Directive = dict[str, Any]


def main_config(site: Path, workdir: Path, *, http_extra: str = "") -> Path:
    """An nginx.conf in `workdir` that includes `site` the way the deployment installs it.

    The site's include of the installed snippet path is pointed at the repository's snippet.
    """
    text = site.read_text(encoding="utf-8")
    assert SNIPPET_INSTALLED_AT in text, f"{site.name} must include {SNIPPET_INSTALLED_AT}"
    (workdir / "oncall-proxy.conf").write_text(SNIPPET.read_text(encoding="utf-8"))
    local_site = workdir / site.name
    local_site.write_text(text.replace(SNIPPET_INSTALLED_AT, str(workdir / "oncall-proxy.conf")))
    main = workdir / "nginx.conf"
    main.write_text(
        f"events {{}}\nhttp {{\n{http_extra}\n    include {local_site};\n}}\n",
        encoding="utf-8",
    )
    return main


def parse(main: Path) -> dict[str, Any]:
    """crossplane's parse of `main` and its includes, with context and argument checks."""
    result: dict[str, Any] = crossplane.parse(
        str(main), check_ctx=True, check_args=True, comments=False
    )
    return result


def walk(block: list[Directive]) -> Iterator[tuple[Directive, list[Directive]]]:
    """Every directive with the chain of blocks above it (included files inlined)."""

    def visit(
        items: list[Directive], parents: list[Directive]
    ) -> Iterator[tuple[Directive, list[Directive]]]:
        for item in items:
            yield item, parents
            yield from visit(item.get("block", []), [*parents, item])

    yield from visit(block, [])


def inlined(result: dict[str, Any]) -> list[Directive]:
    """The main file's directives with every `include` replaced by the included directives."""
    configs = result["config"]

    def expand(items: list[Directive]) -> list[Directive]:
        out: list[Directive] = []
        for item in items:
            if item["directive"] == "include":
                for index in item.get("includes", []):
                    out.extend(expand(configs[index]["parsed"]))
                continue
            if "block" in item:
                item = {**item, "block": expand(item["block"])}
            out.append(item)
        return out

    parsed: list[Directive] = configs[0]["parsed"]
    return expand(parsed)


def upstream_servers(directives: list[Directive], name: str) -> list[str]:
    return [
        d["args"][0]
        for d, parents in walk(directives)
        if d["directive"] == "server"
        and parents
        and parents[-1]["directive"] == "upstream"
        and parents[-1]["args"] == [name]
    ]
