"""An image's real layers, read from ``docker save``: every file of every layer, and whiteouts.

The saved archive is read as a stream (``tarfile`` ``r|``), and so is each layer inside it:
nothing is extracted but the text files (no NUL byte in their first 8 KiB) up to a size
limit, which go under a directory golive owns, one per layer (``L01``, ``L02``, …), so that a
scanner can read them. Every regular file is hashed (MD5 and SHA-256), whether extracted or
not, so that files shipped by a package can be told from files the image's build added.

Whiteouts (``.wh.NAME`` deletes NAME from the layers below, ``.wh..wh..opq`` hides a
directory's lower content) decide the final file system; a file a later layer deletes is
still shipped in its own layer, which is why every layer is read, not only the final view.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from golive.containers.base import ContainersError

_WHITEOUT = ".wh."
_OPAQUE = ".wh..wh..opq"
_SNIFF = 8192


@dataclass(frozen=True, kw_only=True)
class LayerFile:
    """One regular file of one layer (``path`` without a leading slash)."""

    path: str
    size: int
    md5: str
    sha256: str
    text: bool
    large: bool


@dataclass(frozen=True, kw_only=True)
class Layer:
    """One layer: its files, what it deletes from the layers below, its directory for scanners."""

    index: int
    name: str
    files: tuple[LayerFile, ...]
    deleted: tuple[str, ...]
    opaque: tuple[str, ...]
    dir: Path

    @property
    def label(self) -> str:
        """``L03``: the layer's directory name and how evidence names it."""
        return self.dir.name


@dataclass(frozen=True, kw_only=True)
class SavedImage:
    """Every layer of an image, lowest first, and its final file system."""

    layers: tuple[Layer, ...]
    skipped: tuple[str, ...] = ()

    def final(self) -> dict[str, tuple[Layer, LayerFile]]:
        """Path → (layer, file) of every regular file the running container sees."""
        view: dict[str, tuple[Layer, LayerFile]] = {}
        for layer in self.layers:
            for gone in (*layer.opaque, *layer.deleted):
                prefix = f"{gone}/"
                for path in [p for p in view if p == gone or p.startswith(prefix)]:
                    if path != gone or gone in layer.deleted:
                        del view[path]
            for item in layer.files:
                view[item.path] = (layer, item)
        return view

    def text_of(self, layer: Layer, item: LayerFile) -> str | None:
        """An extracted text file's content; None when it was not extracted."""
        if not item.text:
            return None
        return (layer.dir / item.path).read_text(encoding="utf-8", errors="replace")


@dataclass(kw_only=True)
class _Reading:
    files: list[LayerFile] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)


def _clean(name: str) -> str | None:
    """A member's path inside the image, or None when it would leave the layer's directory."""
    parts = [p for p in PurePosixPath(name).parts if p not in ("/", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _read_file(stream: IO[bytes], path: str, size: int, limit: int, target: Path) -> LayerFile:
    """Hash one file; write it under ``target`` when it is text and within ``limit`` bytes."""
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    if size > limit:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            md5.update(chunk)
            sha.update(chunk)
        return LayerFile(
            path=path, size=size, md5=md5.hexdigest(), sha256=sha.hexdigest(), text=False, large=True
        )
    data = stream.read()
    md5.update(data)
    sha.update(data)
    text = b"\0" not in data[:_SNIFF]
    if text:
        out = target / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return LayerFile(
        path=path, size=size, md5=md5.hexdigest(), sha256=sha.hexdigest(), text=text, large=False
    )


def _read_layer(stream: IO[bytes], target: Path, limit: int) -> _Reading:
    """Every member of one layer archive, streamed."""
    reading = _Reading()
    with tarfile.open(fileobj=stream, mode="r|*") as layer:
        for member in layer:
            path = _clean(member.name)
            if path is None:
                continue
            base = PurePosixPath(path)
            if base.name == _OPAQUE:
                reading.opaque.append(str(base.parent) if str(base.parent) != "." else "")
            elif base.name.startswith(_WHITEOUT):
                reading.deleted.append(str(base.parent / base.name[len(_WHITEOUT) :]).removeprefix("./"))
            elif member.isreg():
                data = layer.extractfile(member)
                if data is not None:
                    reading.files.append(_read_file(data, path, member.size, limit, target))
    return reading


def _is_layer(name: str) -> bool:
    return name.endswith("/layer.tar") or name.startswith("blobs/sha256/")


def read_saved(archive: Path, scratch: Path, *, limit: int) -> SavedImage:
    """Read a ``docker save`` archive (legacy or OCI layout) into :class:`SavedImage`."""
    readings: dict[str, tuple[_Reading, Path]] = {}
    aliases: dict[str, str] = {}
    manifest: list[dict[str, object]] = []
    try:
        with tarfile.open(archive, mode="r|") as saved:
            for member in saved:
                if member.name == "manifest.json" and member.isreg():
                    handle = saved.extractfile(member)
                    manifest = json.loads(handle.read()) if handle else []
                elif _is_layer(member.name) and (member.issym() or member.islnk()):
                    aliases[member.name] = str(PurePosixPath(member.name).parent / member.linkname)
                elif _is_layer(member.name) and member.isreg():
                    _stream_layer(saved, member, scratch, limit, readings)
    except (tarfile.TarError, OSError, ValueError) as exc:
        raise ContainersError(f"cannot read the saved image {archive.name}: {exc}") from None
    return _assemble(manifest, readings, aliases, scratch)


def _stream_layer(
    saved: tarfile.TarFile,
    member: tarfile.TarInfo,
    scratch: Path,
    limit: int,
    readings: dict[str, tuple[_Reading, Path]],
) -> None:
    handle = saved.extractfile(member)
    if handle is None:
        return
    target = scratch / f"layer-{len(readings):03d}"
    target.mkdir(parents=True)
    try:
        readings[member.name] = (_read_layer(handle, target, limit), target)
    except tarfile.ReadError:
        target.rmdir()  # an OCI blob that is not a layer (the image's config): not a layer


def _assemble(
    manifest: list[dict[str, object]],
    readings: dict[str, tuple[_Reading, Path]],
    aliases: dict[str, str],
    scratch: Path,
) -> SavedImage:
    listed = manifest[0].get("Layers") if manifest else None
    if not isinstance(listed, list):
        raise ContainersError("the saved image has no manifest.json listing its layers")
    names = [str(n) for n in listed]
    layers: list[Layer] = []
    for index, name in enumerate(names, start=1):
        found = readings.get(name) or readings.get(_normal(aliases.get(name, "")))
        if found is None:
            raise ContainersError(f"layer {name} is listed in the manifest but not in the archive")
        reading, directory = found
        label = scratch / f"L{index:02d}"
        if directory.exists():
            directory.rename(label)
        else:  # the same layer twice: the first copy's files serve both
            label = next(layer.dir for layer in layers if layer.name == _canonical(name, aliases))
        layers.append(
            Layer(
                index=index,
                name=_canonical(name, aliases),
                files=tuple(reading.files),
                deleted=tuple(reading.deleted),
                opaque=tuple(reading.opaque),
                dir=label,
            )
        )
    return SavedImage(layers=tuple(layers))


def _normal(path: str) -> str:
    parts: list[str] = []
    for part in PurePosixPath(path).parts:
        if part == "..":
            parts = parts[:-1]
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _canonical(name: str, aliases: dict[str, str]) -> str:
    return _normal(aliases[name]) if name in aliases else name
