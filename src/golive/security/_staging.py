"""Scratch copies of text for detect-secrets: history's added lines, and files it would skip.

detect-secrets never opens a file whose extension it counts as non-text (``.lock``,
``.map``, ``.css``, ...) even when named on its command line, and silently drops a file it
cannot decode. golive stages such text (and each commit's added lines) under a scratch
directory with names detect-secrets will read, and maps every result back to the original
path, line and commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

#: Extensions detect-secrets 1.5 refuses to open (``filters.heuristic.is_non_text_file``, a
#: default filter its worker processes always re-enable).
DETECT_SECRETS_SKIPS = frozenset(
    {
        ".7z", ".bin", ".bmp", ".bz2", ".class", ".css", ".dmg", ".doc", ".eot", ".exe", ".gif",
        ".gz", ".ico", ".iml", ".ipr", ".iws", ".jar", ".jpg", ".jpeg", ".lock", ".map", ".mo",
        ".pdf", ".png", ".prefs", ".psd", ".rar", ".realm", ".s7z", ".sum", ".svg", ".tar",
        ".tif", ".tiff", ".ttf", ".webp", ".woff", ".xls", ".xlsx", ".zip",
    }
)  # fmt: skip
#: The suffix a staged copy of such a file gets (detect-secrets treats it as plain text).
STAGED_SUFFIX = ".golive.txt"


def skipped_by_detect_secrets(path: str) -> bool:
    """True when detect-secrets would not open ``path`` by itself."""
    return PurePosixPath(path).suffix.lower() in DETECT_SECRETS_SKIPS


@dataclass
class Staged:
    """One staged file: where its lines came from."""

    path: str
    commit: str = ""
    texts: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def original_line(self, staged_line: int) -> int:
        """The line in the original file (or commit) of a 1-based line of the staged copy."""
        idx = staged_line - 1
        return self.lines[idx] if 0 <= idx < len(self.lines) else 0


@dataclass
class Stager:
    """Collects text for a scratch directory, then writes it (:meth:`write`)."""

    out: Path
    staged: dict[str, Staged] = field(default_factory=dict)

    def _name(self, commit: str, path: str) -> str:
        parts = PurePosixPath(path).parts
        if not parts or ".." in parts or PurePosixPath(path).is_absolute():
            raise ValueError(f"refusing to stage an unsafe path: {path!r}")
        base = f"{commit[:12] or 'tree'}/{path}"
        return base + STAGED_SUFFIX if skipped_by_detect_secrets(path) else base

    def add_line(self, commit: str, path: str, text: str, line: int) -> None:
        """One line a commit added to ``path`` (at ``line`` of the new version)."""
        name = self._name(commit, path)
        entry = self.staged.setdefault(name, Staged(path=path, commit=commit))
        entry.texts.append(text)
        entry.lines.append(line)

    def add_file(self, path: str, text: str) -> None:
        """A whole working-tree file."""
        texts = text.splitlines()
        self.staged[self._name("", path)] = Staged(
            path=path, texts=texts, lines=list(range(1, len(texts) + 1))
        )

    def write(self) -> list[str]:
        """Write every staged file (UTF-8); their names relative to ``out``, sorted."""
        for name, entry in self.staged.items():
            dest = self.out / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text("\n".join(entry.texts) + "\n", encoding="utf-8", errors="replace")
        return sorted(self.staged)
