# SPDX-License-Identifier: Apache-2.0
"""``attrib rules list|explain|validate``."""
from __future__ import annotations

import json
import textwrap

import click

# what `rules list` prints: a table, or JSON (the report formats have no rule list to show)
format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]),
                             default="text", show_default=True,
                             help="text: a table; json: every field, for machines.")

rules_option = click.option(
    "--rules", "rule_files", metavar="FILE", multiple=True, type=click.Path(dir_okay=False),
    help="Also load this rule file (repeatable); its rules override shipped ones of the same id.")
root_option = click.option(
    "--root", metavar="DIR", default=".", show_default=True, type=click.Path(file_okay=False),
    help="Repository whose .attrib.yaml (or pyproject.toml [tool.attrib]) `rules:` files are "
         "loaded too.")


@click.group()
def rules() -> None:
    """Show and check the licence rules attrib applies to copied code.

    A rule says when it applies (the upstream's licence or licence family,
    the upstream, how many lines were copied) and what must then hold (the
    licence text, NOTICE content, copyright headers, a change notice, credit,
    licence compatibility), citing the licence section it comes from. Rules
    ship in rules/*.yaml; a project adds its own with `rules:` in .attrib.yaml
    or --rules FILE, and a rule with a shipped rule's id replaces it.

    \b
    Examples:
      attrib rules list
      attrib rules list --format json
      attrib rules explain apache-2.0/notice
      attrib rules validate compliance/extra-rules.yaml .attrib.yaml
    """


def _load(rule_files: tuple[str, ...], root: str):
    from ..config import load_config
    from ..rules import load_rules

    return load_rules([*load_config(root).rule_files(), *rule_files])


@rules.command(name="list")
@rules_option
@root_option
@format_option
def list_(rule_files: tuple[str, ...], root: str, fmt: str) -> None:
    """List the rules in force: id, severity, when each applies, citation.

    \b
    Examples:
      attrib rules list
      attrib rules list --rules compliance/extra-rules.yaml --format json
    """
    from dataclasses import asdict

    ruleset = _load(rule_files, root)
    if fmt == "json":
        click.echo(json.dumps({"schema_version": 1, "rules": [asdict(r) for r in ruleset.rules],
                               "compatibility": [asdict(c) for c in ruleset.compatibility]},
                              indent=2, ensure_ascii=False))
        return
    rows = [(r.id, r.obligation.severity, _when(r.when), r.obligation.citation)
            for r in ruleset.rules]
    widths = [max(len(row[i]) for row in rows + [("ID", "SEVERITY", "WHEN", "")]) for i in range(3)]
    for row in [("ID", "SEVERITY", "WHEN", "CITATION")] + sorted(rows):
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[3])


@rules.command()
@click.argument("rule_id", metavar="ID")
@rules_option
@root_option
def explain(rule_id: str, rule_files: tuple[str, ...], root: str) -> None:
    """Show everything about one rule.

    Where rule ID is defined (file:line), when it applies, what must hold,
    the licence section it cites, and the fix attrib suggests.

    \b
    Examples:
      attrib rules explain apache-2.0/notice
      attrib rules explain compatibility/project-license
    """
    ruleset = _load(rule_files, root)
    rule = ruleset.get(rule_id)
    ob = rule.obligation
    click.echo(f"{rule.id}: {rule.title}")
    for label, value in (("defined at", rule.origin), ("applies to", _when(rule.when)),
                         ("check", ob.check), ("severity", ob.severity), ("citation", ob.citation),
                         ("must hold", ob.summary), ("fix", ob.fix)):
        click.echo(textwrap.fill(value, 96, initial_indent=f"  {label + ':':<12}",
                                 subsequent_indent=" " * 14))
    if ob.check == "compatible":
        click.echo("  compatibility (upstream licence -> project licences it may join):")
        for c in ruleset.compatibility:
            allowed = ", ".join(c.allowed) + (f" except {', '.join(c.denied)}" if c.denied else "")
            click.echo(f"    {c.upstream:<20} -> {allowed}  [{c.origin}]")


@rules.command()
@click.argument("files", metavar="FILE...", nargs=-1, required=True,
                type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check rule files and config files; exit 2 on any error.

    Each FILE is reported as ok or with its first error as FILE:LINE:
    message. Files named .attrib.yaml, .attrib.yml or pyproject.toml are
    checked as project configuration.

    \b
    Examples:
      attrib rules validate compliance/extra-rules.yaml
      attrib rules validate rules/*.yaml .attrib.yaml
    """
    from pathlib import Path

    from ..config import CONFIG_FILES, load_config_file
    from ..errors import ConfigError
    from ..rules import load_rule_file

    failed = False
    for name in files:
        try:
            if Path(name).name in (*CONFIG_FILES, "pyproject.toml"):
                found = load_config_file(name)
                click.echo(f"{name}: ok (config)" if found else f"{name}: ok (no [tool.attrib])")
                continue
            loaded = load_rule_file(name)
        except ConfigError as exc:
            click.echo(str(exc), err=True)
            failed = True
            continue
        entries = len(loaded.compatibility)
        extra = f", {entries} compatibility entries" if entries else ""
        click.echo(f"{name}: ok ({len(loaded.rules)} rules{extra})")
    if failed:
        raise click.exceptions.Exit(2)


def _when(when) -> str:
    """A condition in a few words: 'Apache-2.0; >= 20 lines; weights'."""
    parts = [", ".join(when.licenses)] if when.licenses else []
    parts += [f"family {', '.join(when.families)}"] if when.families else []
    parts += [f"upstream {', '.join(when.upstreams)}"] if when.upstreams else []
    parts += [f">= {when.min_lines} lines"] if when.min_lines else []
    parts += [when.artifact if when.artifact != "any" else "code or weights"]
    if not (when.licenses or when.families):
        parts.insert(0, "any licence")
    return "; ".join(parts)
