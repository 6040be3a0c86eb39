"""The core family: the built-in check types (file, command, http, tcp) and core report formats.

Declared like every other family (see :mod:`golive.kit.family`) and loaded through the
``golive.families`` entry point.
"""

from __future__ import annotations

from golive.kit.family import Family

FAMILY = Family(
    name="core",
    help="Built-in check types and report formats.",
    checks={
        "file": "golive.checks.file:FileCheck",
        "command": "golive.checks.command:CommandCheck",
        "http": "golive.checks.http:HttpCheck",
        "tcp": "golive.checks.tcp:TcpCheck",
    },
    params={
        "file": "golive.checks.file:FileParams",
        "command": "golive.checks.command:CommandParams",
        "http": "golive.checks._params:HttpParams",
        "tcp": "golive.checks.tcp:TcpParams",
    },
    reporters={
        "terminal": "golive.reporters.terminal:TerminalReporter",
        "markdown": "golive.reporters.markdown:MarkdownReporter",
        "json": "golive.reporters.json:JsonReporter",
        "junit": "golive.reporters.junit:JunitReporter",
        "html": "golive.reporters.html:HtmlReporter",
    },
)
