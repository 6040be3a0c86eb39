"""Reading a runbook: headings, anchors, sections and verify blocks with their lines."""

from __future__ import annotations

from golive.runbook._markdown import parse_runbook, slugify

DOC = """# Runbook: demo

## Health `checks`
<a id="probes"></a>

```sh {verify name="live" timeout=5 exit=0 expect='"ok"'}
curl "${BASE_URL}/healthz"
```

```text {expected}
ok

  done
```

## Health checks

````markdown
## Not a heading
```sh {verify}
not a step
```
````

### Deploy {#ship-it}

```bash {destructive}
./wipe
```

```python {verify}
print(1)
```
"""


def test_headings_anchors_and_sections() -> None:
    doc = parse_runbook(DOC)
    assert [(h.line, h.level, h.text, h.anchor) for h in doc.headings] == [
        (1, 1, "Runbook: demo", "runbook-demo"),
        (3, 2, "Health checks", "health-checks"),
        (16, 2, "Health checks", "health-checks-1"),
        (25, 3, "Deploy", "deploy"),
    ]
    assert {"probes", "ship-it", "health-checks-1"} <= doc.anchors
    section = doc.section(doc.headings[1])
    assert (section.start, section.end) == (4, 15)
    assert "curl" in section.body and "curl" not in section.prose
    assert doc.section(doc.headings[2]).end == len(doc.lines)  # its ### is inside it


def test_blocks_and_attributes() -> None:
    doc = parse_runbook(DOC)
    runnable = [b for b in doc.blocks if b.runnable]
    assert [(b.line, b.lang, b.label) for b in runnable] == [
        (6, "sh", "live"),
        (27, "bash", "Deploy"),
        (31, "python", "Deploy"),
    ]
    live = runnable[0]
    assert (live.timeout, live.expect_exit, live.expect) == (5.0, 0, '"ok"')
    assert live.expected_lines == ("ok", "done") and live.expected_line == 10
    assert runnable[1].destructive and not runnable[1].verify
    # the nested fence is content of the outer ````markdown block, not a step
    assert not any("not a step" in b.code for b in runnable)
    assert doc.problems == ("line 31: only shell blocks (sh, bash) can be verify steps, not 'python'",)


def test_attribute_problems_have_lines() -> None:
    doc = parse_runbook(
        '# x\n\n```sh {verify timeout=soon exit=x expect="(" bogus}\ntrue\n```\n'
        "\n```text {expected}\nx\n```\n"
    )
    assert [p.split(":")[1].strip().split(" ")[0] for p in doc.problems] == [
        "unknown",
        "timeout",
        "exit",
        "invalid",
    ]
    assert "unknown block flag 'bogus'" in doc.problems[0]
    assert all(p.startswith("line 3:") for p in doc.problems)


def test_expected_block_must_follow_a_step() -> None:
    doc = parse_runbook("# x\n\n```text {expected}\nx\n```\n")
    assert doc.problems == ("line 3: an {expected} block must directly follow a verify block",)


def test_slugify_like_github() -> None:
    assert slugify("Escalation & emergency contacts") == "escalation--emergency-contacts"
    assert slugify("  HighErrorRate ") == "higherrorrate"
    assert slugify("Données: reprise") == "données-reprise"
