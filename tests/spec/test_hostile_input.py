"""Issue #15, items 2, 3 and 5 (spec part): hostile or careless input is a located SpecError.

Never an internal error, a traceback or a hang: each reproducer from the issue, and the
limits that keep loading fast (file size, nesting depth, values after alias expansion).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from golive.checks.registry import CheckRegistry
from golive.errors import SpecError, SpecProblem
from golive.spec import SpecLoader, _libyaml, parse_duration
from golive.spec._deploy_file import loads_deploy_config
from golive.spec._yaml import MAX_DEPTH, MAX_SPEC_BYTES, MAX_VALUES

HEAD = """\
service:
  name: demo
environments:
  local:
    base_url: http://127.0.0.1:9
criteria:
  - id: a
    title: T
    area: docs
    tier: must
    check: {type: tcp, port: 9}
"""


@pytest.fixture(scope="module", params=["libyaml", "ruamel"])
def loader(request: pytest.FixtureRequest) -> Iterator[SpecLoader]:
    """A loader reading YAML with libyaml's events, and one with ruamel alone (its fallback)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_libyaml, "AVAILABLE", request.param == "libyaml")
        yield SpecLoader(CheckRegistry.default())


def problems(loader: SpecLoader, text: str) -> list[SpecProblem]:
    with pytest.raises(SpecError) as info:
        loader.loads(text, display="golive.yaml")
    found = list(info.value.problems)
    assert found and all(p.line >= 1 and p.col >= 1 for p in found), found
    return found


def one(loader: SpecLoader, text: str) -> str:
    found = problems(loader, text)
    assert len(found) == 1, found
    return str(found[0])


# -- item 2: YAML features that crashed the loader ----------------------------------------------


def test_merge_key_content_is_validated_at_its_real_position(loader: SpecLoader) -> None:
    text = HEAD + "    timeout: &t 10s\n  - <<: &c {id: b, title: T, area: docs, tier: must, owner: [1]}\n"
    text += "    check: {type: tcp, port: 9, <<: {connect_timeout: soon}}\n"
    found = [str(p) for p in problems(loader, text)]
    # owner comes from the merged mapping on line 13; connect_timeout from the one on line 14.
    assert any(f.startswith("golive.yaml:13:") and "owner" in f for f in found), found
    assert any(f.startswith("golive.yaml:14:") and "connect_timeout" in f for f in found), found


def test_merge_keys_load_a_valid_spec(loader: SpecLoader) -> None:
    text = (
        HEAD + "  - <<: &c {title: T, area: docs, tier: must}\n    id: b\n    check: {type: tcp, port: 9}\n"
    )
    text += "  - {<<: *c, id: c, check: {type: tcp, port: 10}}\n"
    spec = loader.loads(text)
    assert [c.id for c in spec.criteria] == ["a", "b", "c"]
    assert spec.criterion("c").title == "T"


@pytest.mark.parametrize(
    ("value", "where", "words"),
    [
        ("<<: 3", "12:9", "expected a mapping or list of mappings for merging"),
        ("<<: [1]", "12:10", "expected a mapping for merging"),
        ("<<: *nowhere", "12:9", "undefined alias"),
    ],
)
def test_broken_merge_keys(loader: SpecLoader, value: str, where: str, words: str) -> None:
    message = one(loader, HEAD + f"    {value}\n")
    assert message.startswith(f"golive.yaml:{where}:") and words in message


@pytest.mark.parametrize(
    ("value", "col", "words"),
    [
        ("a\x01b", 10, "control character U+0001"),
        ("a\x00", 10, "control character U+0000"),
        ("!!int abc", 9, "cannot read this value as 'int'"),
        ("!!bool maybe", 9, "cannot read this value as 'bool'"),
        ("!!float abc", 9, "cannot read this value as 'float'"),
        ("!!omap [{a: 1}, {a: 2}]", 9, "cannot read this value as 'omap': duplicate key"),
        ("9" * 5000, 9, "cannot read this value as 'int'"),
        ("0x" + "f" * 5000, 9, "integer with more than 100 digits"),
    ],
)
def test_bad_scalars_are_located(loader: SpecLoader, value: str, col: int, words: str) -> None:
    message = one(loader, f"service:\n  name: {value}\nenvironments: {{}}\n")
    assert message.startswith(f"golive.yaml:2:{col}:") and words in message, message
    assert len(message) < 300


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 5000 + "]" * 5000,
        "a: " + "{a: " * 5000 + "1" + "}" * 5000,
        "a:\n" + "- " * 5000,
        "".join(" " * i + "k:\n" for i in range(300)),
        # Depth reached through aliases, each anchor one level deeper than the last.
        "a0: &a0 []\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 300)),
    ],
    ids=["flow-seq", "flow-map", "block-seq", "block-map", "aliases"],
)
def test_deep_nesting_is_refused_fast(loader: SpecLoader, text: str) -> None:
    message = one(loader, text)
    assert f"deeper than {MAX_DEPTH} levels" in message


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a {<<: *a}\n"])
def test_recursive_alias(loader: SpecLoader, text: str) -> None:
    assert one(loader, text).startswith("golive.yaml:1:4: recursive alias")


def test_thousand_long_needs_chain(loader: SpecLoader) -> None:
    crit = "  - {{id: c{i}, title: T, area: docs, tier: must, check: {{type: tcp, port: 9}}, needs: [{n}]}}\n"
    body = "".join(crit.format(i=i, n=f"c{i + 1}" if i < 999 else "c0") for i in range(1000))
    found = problems(loader, HEAD.split("criteria:")[0] + "criteria:\n" + body)
    assert [p.message for p in found] == [
        "cycle in needs: " + " -> ".join(f"c{i}" for i in range(8)) + " -> … (1000 criteria)"
    ]
    spec = loader.loads(HEAD.split("criteria:")[0] + "criteria:\n" + body.replace("[c0]", "[]"))
    assert len(spec.criteria) == 1000


# -- item 3: alias bombs and size ---------------------------------------------------------------

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


def _bomb_in_thread(loader: SpecLoader, text: str) -> tuple[str, float, int]:
    """Load in a thread (so a regression cannot hang the test run); message, seconds, RSS growth kB."""
    result: list[str] = []
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def run() -> None:
        try:
            loader.loads(text)
        except SpecError as exc:
            result.append(str(exc.problems[0]))

    start = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "the alias bomb was expanded"
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return result[0], time.monotonic() - start, growth


@pytest.mark.parametrize("level", range(len(LAUGHS.splitlines()), 2, -2))
def test_alias_bomb_fails_fast_at_any_level(loader: SpecLoader, level: int) -> None:
    lines = LAUGHS.splitlines(keepends=True)[:level]
    text = "".join(lines) + f"service: {{name: *{lines[-1][0]}}}\n"
    message, seconds, growth = _bomb_in_thread(loader, text)
    if level >= 6:  # 9**5 values: over the cap
        assert f"expand to more than {MAX_VALUES:,} values" in message
    assert message.startswith("golive.yaml:")
    assert seconds < 10 and growth < 200_000  # a guard, sized for a slow machine: today ~5 ms, no growth


def test_the_465_byte_bomb_from_the_issue(loader: SpecLoader) -> None:
    text = LAUGHS + "service: {name: *i}\n"
    assert len(text) < 465
    message, _, growth = _bomb_in_thread(loader, text)
    assert message.startswith("golive.yaml:5:4: aliases here expand to more than")
    assert growth < 200_000


def test_too_many_values_without_aliases(loader: SpecLoader) -> None:
    message = one(loader, "a: [" + "1," * (MAX_VALUES + 10) + "]\n")
    assert f"more than {MAX_VALUES:,} values" in message


def test_file_over_the_size_cap(loader: SpecLoader, tmp_path: Path) -> None:
    spec = tmp_path / "golive.yaml"
    spec.write_text(HEAD + "#" * MAX_SPEC_BYTES + "\n")
    with pytest.raises(SpecError) as info:
        loader.load(spec)
    assert (
        str(info.value)
        == f"{spec}: the file is {spec.stat().st_size:,} bytes; a spec may be at most 262,144 bytes (256 KiB)"
    )


# -- item 5: unreadable files, FIFOs, echoes, durations -------------------------------------------


def test_unreadable_file_has_no_fake_position(loader: SpecLoader, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    spec = tmp_path / "golive.yaml"
    spec.write_text(HEAD)
    spec.chmod(0)
    with pytest.raises(SpecError) as info:
        loader.load(spec)
    assert str(info.value) == f"{spec}: cannot read: permission denied; check the file's permissions"


def test_missing_file_and_directory_without_spec(loader: SpecLoader, tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        loader.load(tmp_path / "nope.yaml")
    assert str(info.value) == f"{tmp_path / 'nope.yaml'}: file not found; check the path"
    with pytest.raises(SpecError) as info:
        loader.load(tmp_path)
    assert ":0:" not in str(info.value) and str(info.value).startswith(f"{tmp_path}: no golive.yaml")


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_fifo_or_device_as_spec_is_refused_without_blocking(
    loader: SpecLoader, tmp_path: Path, kind: str
) -> None:
    path = Path("/dev/zero")
    if kind == "fifo":
        path = tmp_path / "golive.yaml"
        os.mkfifo(path)
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(_load_error(loader, path)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "loading blocked"
    assert result == [f"{path}: cannot read: not a regular file; pass a YAML file"]


def _load_error(loader: SpecLoader, path: Path) -> str:
    try:
        loader.load(path)
    except SpecError as exc:
        return str(exc)
    return "loaded"


def test_cli_validate_on_a_fifo_exits_2(tmp_path: Path) -> None:
    fifo = tmp_path / "golive.yaml"
    os.mkfifo(fifo)
    proc = subprocess.run(
        [sys.executable, "-m", "golive", "validate", str(fifo)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stderr
    assert "not a regular file" in proc.stderr and "Traceback" not in proc.stderr


def test_non_utf8_byte_is_located(loader: SpecLoader, tmp_path: Path) -> None:
    spec = tmp_path / "golive.yaml"
    spec.write_bytes(b"service:\n  name: caf\xe9\n")
    with pytest.raises(SpecError) as info:
        loader.load(spec)
    assert str(info.value) == f"{spec}:2:12: byte 0xe9 is not UTF-8; save the file as UTF-8"


def test_duplicate_key_does_not_echo_a_huge_value(loader: SpecLoader) -> None:
    message = one(loader, "service:\n  name: a\n  name: " + "x" * 13_800 + "\n")
    assert (
        message.startswith("golive.yaml:3:3: YAML syntax error: found duplicate key") and len(message) < 300
    )


def test_echoed_input_is_bounded(loader: SpecLoader) -> None:
    long = "k" * 1000  # YAML caps an implicit key at 1024 characters
    text = HEAD + f"    {long}: 1\n    needs: [{long}]\n  - {{id: b, title: T, area: docs, tier: must, "
    text += f"check: {{type: {long}}}}}\ndefault_environment: {long}\n"
    found = problems(loader, text)
    assert len(found) == 4 and all(len(p.message) < 300 for p in found), found


@pytest.mark.parametrize(
    "value", [".inf", "1e400", ".nan", "-5", "-.inf", "99999999999999999999d", "367d", "9" * 60]
)
def test_absurd_timeouts_are_located(loader: SpecLoader, value: str) -> None:
    message = one(loader, HEAD + f"    timeout: {value}\n")
    assert message.startswith("golive.yaml:12:14: timeout:"), message


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("connect_timeout", ".inf"),
        ("connect_timeout", "'inf'"),
        ("connect_timeout", ".nan"),
        ("port", "1e400"),
    ],
)
def test_non_finite_numbers_in_check_params(loader: SpecLoader, param: str, value: str) -> None:
    text = HEAD.replace("{type: tcp, port: 9}", f"{{type: tcp, port: 9, {param}: {value}}}")
    assert one(loader, text).startswith("golive.yaml:11:")


def test_durations_are_finite_and_at_most_a_year() -> None:
    assert parse_duration("366d") == 366 * 86400
    for bad in [float("inf"), float("nan"), -1, 10**400, "1" * 41 + "s", "367d"]:
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_a_long_digit_run_is_not_a_slow_duration() -> None:
    start = time.monotonic()
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration("9" * 200_000)
    assert time.monotonic() - start < 5  # a guard against the quadratic scan: today ~0 ms


def test_deploy_file_gets_the_same_guards() -> None:
    with pytest.raises(SpecError) as info:
        loads_deploy_config("deploy: &d {x: *d}\n", display="deploy.yaml")
    assert str(info.value).startswith("deploy.yaml:1:9: recursive alias")
