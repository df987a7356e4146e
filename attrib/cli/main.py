# SPDX-License-Identifier: Apache-2.0
"""``attrib``: the entry point, lazy subcommands, and the one error boundary."""
from __future__ import annotations

import importlib
import os
import sys

import click

from .. import __version__

# subcommand -> "module:attribute"; imported only when that command runs, so
# `attrib --help` and the pre-commit hook do not pay for numpy or datasketch.
COMMANDS = {
    "index": "attrib.cli.index:index",
    "scan": "attrib.cli.scan:scan",
    "compare": "attrib.cli.scan:compare",
    "check": "attrib.cli.check:check",
    "audit": "attrib.cli.audit:audit",
    "model": "attrib.cli.model:model",
    "notice": "attrib.cli.notice:notice",
    "rules": "attrib.cli.rules:rules",
}
SUMMARIES = {
    "index": "Build and curate the index of known upstream projects.",
    "scan": "Find code in a tree that derives from indexed upstreams.",
    "compare": "Find code in one tree that derives from another (no index).",
    "check": "Check what a commit (--staged) or a pull request (--diff) adds.",
    "audit": "Audit a suspicious repository: an HTML evidence report.",
    "model": "Compare model artifacts: config, tokenizer, weights.",
    "notice": "Write the THIRD_PARTY_NOTICES file that makes the copies comply.",
    "rules": "List, explain and validate the licence rules.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(n, SUMMARIES[n]) for n in COMMANDS])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="attrib")
def cli() -> None:
    """Find disguised copies of known upstream code, with line evidence.

    \b
    Index an upstream once, then scan any tree against it:
      attrib index add examples/minicpmv --name MiniCPM-V
      attrib scan examples/llama3v
    Compare two trees directly, no index:
      attrib compare examples/llama3v examples/minicpmv
    Write the notices a copy needs:
      attrib notice examples/llama3v -o -

    Exit codes: 0 clean (or every copy credited), 1 an obligation of severity
    error fails (with --no-rules: any match), 2 usage or input error,
    3 internal error (a bug: please report it).
    """
    if os.environ.get("ATTRIB_WORKERS"):  # a bad value fails every command, not only
        from ..engine.cores import default_workers  # those with enough work to fork

        default_workers()


def main(argv: list[str] | None = None) -> None:
    from ..errors import AttribError

    try:
        code = cli.main(args=argv, prog_name="attrib", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("attrib: interrupted", err=True)
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = 2 if exc.exit_code in (1, 2) else exc.exit_code
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except AttribError as exc:
        click.echo(f"attrib: error: {exc}", err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("attrib: interrupted", err=True)
        code = 130
    except Exception as exc:  # noqa: BLE001 - the one boundary that reports bugs
        if os.environ.get("ATTRIB_DEBUG"):
            raise
        click.echo(f"attrib: internal error: {type(exc).__name__}: {exc} "
                   "(set ATTRIB_DEBUG=1 for a traceback, and please report it)", err=True)
        code = 3
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
