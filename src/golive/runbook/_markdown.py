"""Read a runbook: headings with their anchors and sections, and fenced code blocks.

Parsing uses markdown-it-py (CommonMark), so fences, indented code and HTML behave as
a Markdown viewer shows them; every element keeps its 1-based line number so that a
problem can point at the exact line of the document.

A fenced block's info string may carry attributes in braces, e.g.
```` ```sh {verify timeout=20 exit=0 expect="ready"} ````: bare words are flags
(``verify``, ``destructive``, ``expected``), ``key=value`` pairs are options.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from golive.runbook.base import RunbookError

__all__ = [
    "CodeBlock",
    "Heading",
    "RunbookDocument",
    "Section",
    "parse_runbook",
    "read_runbook",
    "slugify",
]

_FLAGS = frozenset({"verify", "destructive", "expected"})
_OPTIONS = frozenset({"timeout", "exit", "expect", "shell", "name"})
SHELL_LANGS = frozenset({"sh", "shell", "bash", "console", ""})
_EXPLICIT_ANCHOR = re.compile(r"""<a\s+(?:[^>]*?\s)?(?:id|name)\s*=\s*["']([^"']+)["']""", re.I)
_ATTR_ANCHOR = re.compile(r"\{#([A-Za-z0-9_.:-]+)\}\s*$")


@dataclass(frozen=True, kw_only=True)
class Heading:
    """An ATX or setext heading."""

    line: int
    level: int
    text: str
    anchor: str


@dataclass(frozen=True, kw_only=True)
class CodeBlock:
    """A fenced code block with its verification attributes."""

    line: int
    """Line of the opening fence (1-based)."""
    end_line: int
    """Line of the closing fence (or the last line of the document)."""
    lang: str
    code: str
    section: str
    """Text of the nearest heading above the block ("" before the first heading)."""
    verify: bool = False
    destructive: bool = False
    expected: bool = False
    """An expected-output block: lines the previous verify step's output must contain."""
    timeout: float | None = None
    expect_exit: int = 0
    expect: str | None = None
    """Regular expression the output must match."""
    name: str = ""
    expected_lines: tuple[str, ...] = ()
    """Filled from a following ``{expected}`` block."""
    expected_line: int = 0

    @property
    def runnable(self) -> bool:
        """True for a step golive executes (verify or destructive)."""
        return self.verify or self.destructive

    @property
    def is_shell(self) -> bool:
        """True when the block's language is a shell."""
        return self.lang in SHELL_LANGS

    @property
    def label(self) -> str:
        """How a report names the step."""
        return self.name or self.section or f"block at line {self.line}"


@dataclass(frozen=True, kw_only=True)
class Section:
    """A heading and everything under it up to the next heading of the same or higher level."""

    heading: Heading
    start: int
    """First line after the heading."""
    end: int
    """Last line of the section (inclusive)."""
    body: str
    prose: str
    """The body without fenced code."""

    @property
    def has_content(self) -> bool:
        """True when there is more than headings, blank lines and HTML comments."""
        text = re.sub(r"<!--.*?-->", "", self.body, flags=re.S)
        return any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines())


@dataclass(frozen=True, kw_only=True)
class RunbookDocument:
    """A parsed runbook."""

    path: Path
    lines: tuple[str, ...]
    headings: tuple[Heading, ...]
    blocks: tuple[CodeBlock, ...]
    anchors: frozenset[str]
    problems: tuple[str, ...] = field(default=())
    """Syntax problems in block attributes, each starting with ``line N:``."""
    fenced_lines: frozenset[int] = frozenset()

    @property
    def text(self) -> str:
        """The whole document."""
        return "\n".join(self.lines)

    def section(self, heading: Heading) -> Section:
        """The section a heading opens."""
        end = len(self.lines)
        for h in self.headings:
            if h.line > heading.line and h.level <= heading.level:
                end = h.line - 1
                break
        body_lines = range(heading.line + 1, end + 1)
        body = "\n".join(self.lines[n - 1] for n in body_lines)
        prose = "\n".join(self.lines[n - 1] for n in body_lines if n not in self.fenced_lines)
        return Section(heading=heading, start=heading.line + 1, end=end, body=body, prose=prose)

    def find(self, pattern: str) -> list[Section]:
        """Sections whose heading matches a regular expression (case-insensitive)."""
        regex = re.compile(pattern, re.I)
        return [self.section(h) for h in self.headings if regex.search(h.text)]

    def heading_at(self, line: int) -> Heading | None:
        """The nearest heading at or above a line."""
        found = None
        for h in self.headings:
            if h.line <= line:
                found = h
        return found

    def prose_lines(self) -> Iterable[tuple[int, str]]:
        """(line number, text) of every line outside fenced code."""
        for n, line in enumerate(self.lines, start=1):
            if n not in self.fenced_lines:
                yield n, line


def slugify(text: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to dashes."""
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()


def _parse_info(info: str, line: int, problems: list[str]) -> tuple[str, dict[str, str], set[str]]:
    match = re.match(r"^\s*([^\s{]*)\s*(?:\{(.*)\})?\s*$", info)
    if not match:
        return info.split()[0] if info.split() else "", {}, set()
    lang = match.group(1).lower()
    options: dict[str, str] = {}
    flags: set[str] = set()
    raw = match.group(2)
    if raw is None:
        return lang, options, flags
    try:
        words = shlex.split(raw)
    except ValueError as exc:
        problems.append(f"line {line}: cannot read the block attributes {{{raw}}}: {exc}")
        return lang, options, flags
    for word in words:
        word = word.lstrip(".")
        if "=" in word:
            key, _, value = word.partition("=")
            if key not in _OPTIONS:
                problems.append(
                    f"line {line}: unknown block option {key!r} (known: {', '.join(sorted(_OPTIONS))})"
                )
                continue
            options[key] = value
        elif word in _FLAGS:
            flags.add(word)
        else:
            problems.append(f"line {line}: unknown block flag {word!r} (known: {', '.join(sorted(_FLAGS))})")
    return lang, options, flags


_RawBlock = tuple[Token, str, dict[str, str], set[str]]
"""A fence token with its language, options and flags, before it becomes a CodeBlock."""


@dataclass(kw_only=True)
class _Scan:
    """What one pass over the token stream collects."""

    headings: list[Heading] = field(default_factory=list)
    raw_blocks: list[_RawBlock] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fenced: set[int] = field(default_factory=set)
    anchors: set[str] = field(default_factory=set)

    def section_of(self, line: int) -> str:
        """Text of the nearest heading at or above ``line``."""
        found = ""
        for h in self.headings:
            if h.line <= line:
                found = h.text
        return found


def _scan(tokens: list[Token], lines: tuple[str, ...]) -> _Scan:
    """Headings with their anchors, fenced lines and the fences' attributes."""
    scan = _Scan()
    seen: dict[str, int] = {}
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map:
            title = _inline_text(tokens[i + 1])
            explicit = _ATTR_ANCHOR.search(title)
            if explicit:
                scan.anchors.add(explicit.group(1))
                title = title[: explicit.start()].rstrip()
            base = slugify(title)
            n = seen.get(base, 0)
            seen[base] = n + 1
            anchor = base if n == 0 else f"{base}-{n}"
            scan.anchors.add(anchor)
            scan.headings.append(
                Heading(line=tok.map[0] + 1, level=int(tok.tag[1]), text=title, anchor=anchor)
            )
        elif tok.type in ("fence", "code_block") and tok.map:
            scan.fenced.update(range(tok.map[0] + 1, tok.map[1] + 1))
            if tok.type == "fence":
                lang, options, flags = _parse_info(tok.info, tok.map[0] + 1, scan.problems)
                scan.raw_blocks.append((tok, lang, options, flags))
    for n, text_line in enumerate(lines, start=1):
        if n not in scan.fenced:
            scan.anchors.update(_EXPLICIT_ANCHOR.findall(text_line))
    return scan


def _block(raw: _RawBlock, section: str, problems: list[str]) -> CodeBlock:
    """A fence as a CodeBlock; bad option values become problems (and defaults)."""
    tok, lang, options, flags = raw
    assert tok.map is not None
    line = tok.map[0] + 1
    timeout: float | None = None
    expect_exit = 0
    if "timeout" in options:
        try:
            timeout = float(options["timeout"].rstrip("s"))
            if timeout <= 0:
                raise ValueError
        except ValueError:
            problems.append(f"line {line}: timeout must be a positive number of seconds")
    if "exit" in options:
        try:
            expect_exit = int(options["exit"])
        except ValueError:
            problems.append(f"line {line}: exit must be an integer")
    expect = options.get("expect")
    if expect is not None:
        try:
            re.compile(expect)
        except re.error as exc:
            problems.append(f"line {line}: invalid expect regular expression: {exc}")
            expect = None
    return CodeBlock(
        line=line,
        end_line=tok.map[1],
        lang=lang,
        code=tok.content,
        section=section,
        verify="verify" in flags,
        destructive="destructive" in flags,
        expected="expected" in flags,
        timeout=timeout,
        expect_exit=expect_exit,
        expect=expect,
        name=options.get("name", ""),
    )


def _blocks(scan: _Scan) -> list[CodeBlock]:
    """Every fence as a CodeBlock, ``{expected}`` blocks attached to the step before them."""
    blocks: list[CodeBlock] = []
    for raw in scan.raw_blocks:
        assert raw[0].map is not None
        block = _block(raw, scan.section_of(raw[0].map[0] + 1), scan.problems)
        if block.expected:
            if blocks and blocks[-1].runnable and not blocks[-1].expected_line:
                expected_lines = tuple(s.strip() for s in block.code.splitlines() if s.strip())
                blocks[-1] = replace(blocks[-1], expected_lines=expected_lines, expected_line=block.line)
            else:
                scan.problems.append(
                    f"line {block.line}: an {{expected}} block must directly follow a verify block"
                )
        if block.runnable and not block.is_shell:
            scan.problems.append(
                f"line {block.line}: only shell blocks (sh, bash) can be verify steps, not {block.lang!r}"
            )
        blocks.append(block)
    return blocks


def parse_runbook(text: str, path: Path = Path("PRODUCTION_RUNBOOK.md")) -> RunbookDocument:
    """Parse a runbook's Markdown."""
    lines = tuple(text.splitlines())
    scan = _scan(MarkdownIt("commonmark").parse(text), lines)
    blocks = _blocks(scan)
    return RunbookDocument(
        path=path,
        lines=lines,
        headings=tuple(scan.headings),
        blocks=tuple(blocks),
        anchors=frozenset(scan.anchors),
        problems=tuple(scan.problems),
        fenced_lines=frozenset(scan.fenced),
    )


def read_runbook(path: Path) -> RunbookDocument:
    """Read and parse a runbook file; RunbookError when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RunbookError(f"cannot read runbook {path}: {exc}") from exc
    return parse_runbook(text, path)
