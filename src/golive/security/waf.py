"""``security.waf``: the web application firewall in front of the service refuses attacks and
lets legitimate traffic through.

golive sends a bounded, shipped corpus of OWASP attack payloads (SQL injection, XSS, path
traversal, file inclusion, command and code injection, scanner user agents; in the query,
path, body, headers and cookies) and one legitimate request per operation of the service's
OpenAPI document, paced at ``rate_per_second``. A request is *blocked* when the answer has
one of ``blocked_status`` (403) and, with ``blocked_body``, a matching body; any other answer,
the service's own 4xx included, went through. 429 is the edge's rate limit, never a block:
golive backs off and retries, and a request still limited is not judged.

Fails when the block rate is below ``min_block_rate`` or the false-positive rate above
``max_false_positive_rate``, naming every payload that got through and every legitimate
request that was refused, each with a curl reproducer.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import re
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import httpx

from golive.kit.check import CheckContext, CheckError
from golive.kit.masking import Masker, review_masker
from golive.kit.outcomes import Findings, no_data
from golive.results import Evidence, Outcome
from golive.security._gate import write_artifacts
from golive.security._params import WafParams
from golive.security._probe import GuardedClient
from golive.security._waf_corpus import (
    Attack,
    WafRequest,
    attack_request,
    default_attack_path,
    legitimate_requests,
    load_attacks,
)
from golive.security.base import Finding, Location, RunState, SecurityError, Severity, ToolRun, fingerprint
from golive.security.findings import build_report

WAF_TRAFFIC = "WAF probe traffic"
_CWE = {
    "sqli": "CWE-89",
    "xss": "CWE-79",
    "traversal": "CWE-22",
    "rfi": "CWE-98",
    "cmdi": "CWE-78",
    "code": "CWE-94",
    "log4shell": "CWE-917",
    "protocol": "CWE-113",
}


class Verdict(enum.StrEnum):
    """What happened to one request at the edge."""

    BLOCKED = "blocked"
    PASSED = "passed"
    RATE_LIMITED = "rate-limited"
    NO_RESPONSE = "no-response"


@dataclass(frozen=True, kw_only=True)
class Sent:
    """One request of a corpus and what the edge did with it."""

    request: WafRequest
    verdict: Verdict
    status: int = 0
    attack: Attack | None = None


@dataclass
class Sender:
    """Sends requests at a fixed pace, backing off on 429; judges each answer."""

    client: GuardedClient
    base: str
    params: WafParams
    limited: int = 0
    _next: float = field(default=0.0)

    def blocked(self, response: httpx.Response) -> bool:
        """True when the answer is the WAF's refusal."""
        if response.status_code not in self.params.blocked_status:
            return False
        return self.params.blocked_body is None or bool(re.search(self.params.blocked_body, response.text))

    async def _pace(self) -> None:
        wait = self._next - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._next = time.monotonic() + 1.0 / self.params.rate_per_second

    async def answer(self, request: WafRequest) -> httpx.Response | None:
        """The answer to ``request`` after backing off from 429s (None: no answer)."""
        response: httpx.Response | None = None
        for attempt in range(self.params.max_retries + 1):
            await self._pace()
            try:
                response = await self.client.request(
                    request.method,
                    request.url(self.base),
                    headers=dict(request.headers),
                    content=request.body,
                )
            except httpx.HTTPError:
                return None
            if response.status_code != 429:
                return response
            self.limited += 1
            if attempt < self.params.max_retries:
                await asyncio.sleep(self._backoff(response, attempt))
        return response

    async def send(self, request: WafRequest, attack: Attack | None = None) -> Sent:
        """Send ``request`` (retrying after 429) and judge the last answer."""
        response = await self.answer(request)
        if response is None:
            return Sent(request=request, verdict=Verdict.NO_RESPONSE, attack=attack)
        if response.status_code == 429:
            verdict = Verdict.RATE_LIMITED
        else:
            verdict = Verdict.BLOCKED if self.blocked(response) else Verdict.PASSED
        return Sent(request=request, verdict=verdict, status=response.status_code, attack=attack)

    def _backoff(self, response: httpx.Response, attempt: int) -> float:
        header = response.headers.get("retry-after", "")
        wait = float(header) if header.isdigit() else 0.5 * 2**attempt
        return min(max(wait, 0.1), self.params.max_backoff)


@dataclass(frozen=True, kw_only=True)
class Tally:
    """One corpus's results."""

    sent: tuple[Sent, ...]

    def count(self, verdict: Verdict) -> int:
        """Requests with ``verdict``."""
        return sum(1 for s in self.sent if s.verdict is verdict)

    @property
    def unjudged(self) -> int:
        """Requests still rate-limited after the retries, or unanswered."""
        return self.count(Verdict.RATE_LIMITED) + self.count(Verdict.NO_RESPONSE)


class WafCheck:
    """Attack payloads are refused by the WAF; legitimate requests from the OpenAPI go through."""

    #: Bursts of hostile traffic: nothing else talking to the service runs meanwhile.
    exclusive: ClassVar[bool] = True
    #: ...but it times nothing on this machine: offline work runs beside it.
    disruptive: ClassVar[bool] = True
    name: ClassVar[str] = "security.waf"
    description: ClassVar[str] = (
        "WAF: block rate of OWASP attack payloads and false positives on the OpenAPI's requests."
    )
    Params: ClassVar[type[WafParams]] = WafParams
    #: Talks to the service through base_url unless its params give base_url.
    needs_base_url: ClassVar[bool] = True

    @staticmethod
    def uses_base_url(params: WafParams) -> bool:
        """The params' own base_url replaces the environment's."""
        return not params.base_url

    async def run(self, params: WafParams, ctx: CheckContext) -> Outcome:
        """Refuse disallowed targets before any traffic, then send both corpora and judge."""
        base = (ctx.resolve(params.base_url) if params.base_url else ctx.url("")).rstrip("/")
        ctx.require_target(base, what=WAF_TRAFFIC)
        try:
            attacks = load_attacks()
        except SecurityError as exc:
            raise CheckError(str(exc)) from None
        client = GuardedClient(
            http=ctx.http,
            guard=functools.partial(ctx.require_target, what=WAF_TRAFFIC),
            max_requests=(len(attacks) + params.max_legitimate + 1) * (params.max_retries + 1),
            request_timeout=params.request_timeout,
            deadline=time.monotonic() + ctx.timeout * 0.9,
        )
        sender = Sender(client=client, base=base, params=params)
        try:
            doc = await _openapi(sender, params.openapi or ctx.environment.openapi_path, ctx)
            mutating = not ctx.destructive_refusal("legitimate requests to state-changing operations")
            legit = legitimate_requests(doc, limit=params.max_legitimate, mutating=mutating)
            path = params.attack_path or default_attack_path(doc)
            legit_sent = Tally(sent=tuple([await sender.send(r) for r in legit]))
            attack_sent = Tally(sent=tuple([await sender.send(attack_request(a, path), a) for a in attacks]))
        except SecurityError as exc:
            raise CheckError(f"{exc} (after {client.sent} request(s))") from None
        masker = review_masker(ctx.spec, ctx.environment, ctx.environ) if ctx.spec else Masker()
        return _judge(ctx, params, base, attack_sent, legit_sent, sender, masker)


async def _openapi(sender: Sender, path: str, ctx: CheckContext) -> dict[str, Any]:
    url = ctx.resolve(path)
    r = await sender.answer(WafRequest(label="OpenAPI document", method="GET", path=url))
    if r is None or r.status_code != 200:
        raise CheckError(
            f"OpenAPI document {path} not available ({f'HTTP {r.status_code}' if r else 'no answer'})"
        )
    try:
        doc = r.json()
    except ValueError:
        raise CheckError(f"OpenAPI document {path} is not JSON") from None
    if not isinstance(doc, dict):
        raise CheckError(f"OpenAPI document {path} is not an object")
    return doc


def _finding(sent: Sent, base: str, masker: Masker) -> Finding:
    request, attack = sent.request, sent.attack
    where = f"HTTP {sent.status}" + (" from the service" if 400 <= sent.status < 500 else "")
    reproduce = masker.mask(request.curl(base))
    if attack is not None:
        rule, severity = f"golive.waf.bypass.{attack.kind}", Severity.HIGH
        title = f"The WAF let attack {attack.id} through ({attack.kind} in {attack.place})"
        advice = "Enable blocking (SecRuleEngine On) and a rule set that covers this payload."
        cwe: tuple[str, ...] = (_CWE[attack.kind],) if attack.kind in _CWE else ()
        key, parameter = attack.id, attack.name
    else:
        rule, severity = "golive.waf.false-positive", Severity.MEDIUM
        title = f"The WAF refused legitimate request {request.label}"
        advice = "Tune the rule that fired (an exclusion for this parameter), never disable the WAF."
        cwe, key, parameter = (), request.label, ""
    return Finding(
        tool="golive-waf",
        rule_id=rule,
        severity=severity,
        title=title,
        location=Location(url=base + "/" + request.path.lstrip("/"), parameter=parameter),
        fingerprint=fingerprint("waf", rule, key),
        category="dast",
        evidence=f"{request.method} -> {where}; reproduce: {reproduce}",
        advice=advice,
        cwe=cwe,
        dedupe_key=f"waf|{rule}|{key}",
    )


def _rate(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _measure(params: WafParams, attacks: Tally, legit: Tally, sender: Sender) -> Findings:
    """The rates and counts, and a problem for each rate that misses its threshold."""
    blocked, through = attacks.count(Verdict.BLOCKED), attacks.count(Verdict.PASSED)
    refused = legit.count(Verdict.BLOCKED)
    out = Findings()
    block_rate = _rate(blocked, blocked + through)
    fp_rate = _rate(refused, len(legit.sent))
    out.measure("attacks", len(attacks.sent))
    out.measure("attacks_blocked", blocked)
    out.measure("block_rate", block_rate, unit="%", target=f">= {params.min_block_rate:g}")
    out.measure("legitimate", len(legit.sent))
    out.measure("legitimate_blocked", refused)
    out.measure("false_positive_rate", fp_rate, unit="%", target=f"<= {params.max_false_positive_rate:g}")
    out.measure("rate_limited_answers", sender.limited)
    out.measure("requests", sender.client.sent)
    # Unjudged attacks count as blocked here: a fail must be a measured miss.
    if _rate(blocked + attacks.unjudged, len(attacks.sent)) < params.min_block_rate:
        names = ", ".join(s.attack.id for s in attacks.sent if s.attack and s.verdict is Verdict.PASSED)
        out.problem(
            f"block rate {block_rate:g}% < {params.min_block_rate:g}%: "
            f"{through} attack(s) got through ({names})"
        )
    if fp_rate > params.max_false_positive_rate:
        names = ", ".join(s.request.label for s in legit.sent if s.verdict is Verdict.BLOCKED)
        out.problem(
            f"false-positive rate {fp_rate:g}% > {params.max_false_positive_rate:g}%: refused {names}"
        )
    return out


def _summary(attacks: Tally, legit: Tally) -> str:
    blocked, refused = attacks.count(Verdict.BLOCKED), legit.count(Verdict.BLOCKED)
    text = (
        f"block rate {_rate(blocked, blocked + attacks.count(Verdict.PASSED)):g}% "
        f"({blocked}/{len(attacks.sent)}), false positives {_rate(refused, len(legit.sent)):g}% "
        f"({refused}/{len(legit.sent)})"
    )
    through = [s.attack.id for s in attacks.sent if s.attack and s.verdict is Verdict.PASSED]
    return text + (f"; got through: {', '.join(through)}" if through else "")


def _judge(
    ctx: CheckContext,
    params: WafParams,
    base: str,
    attacks: Tally,
    legit: Tally,
    sender: Sender,
    masker: Masker,
) -> Outcome:
    bad = [s for s in attacks.sent if s.verdict is Verdict.PASSED]
    bad += [s for s in legit.sent if s.verdict is Verdict.BLOCKED]
    findings = tuple(_finding(s, base, masker) for s in bad)
    run = ToolRun(
        tool="golive-waf", state=RunState.RAN, findings=findings, reason=f"{sender.client.sent} request(s)"
    )
    report = build_report([run], [], target=base, today=date.today())
    artifacts = write_artifacts(ctx, report, Severity.HIGH, None)
    out = _measure(params, attacks, legit, sender)
    lines = [
        f"{s.verdict.value:>12} {s.status or '-':>3} {s.request.label}" for s in (*legit.sent, *attacks.sent)
    ]
    details = [f.evidence for f in findings]
    evidence = Evidence(excerpt=masker.mask("\n".join([*details, *lines])), artifacts=tuple(artifacts))
    reproducer = masker.mask(bad[0].request.curl(base)) if bad else ""
    if not out.problems and (attacks.unjudged or legit.unjudged):
        raise CheckError(
            f"{attacks.unjudged + legit.unjudged} request(s) not judged (still 429 after "
            f"{params.max_retries} retries, or no answer); lower rate_per_second or raise max_retries"
        )
    if not out.problems and not legit.sent:
        return no_data("no legitimate request: the OpenAPI document lists no operation golive may call")
    return out.outcome(
        passed=_summary(attacks, legit), failed="WAF", evidence=evidence, reproducer=reproducer
    )
