"""SARIF 2.1.0, as Semgrep, CodeQL, Bandit, Trivy and most scanners write it, read as findings."""

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

SEVERITIES = ("critical", "high", "medium", "low")
LEVELS = ("none", "note", "warning", "error")
# What the API takes per upload, and per finding.
MAX_FINDINGS_PER_UPLOAD = 5000
MAX_TITLE = 300
MAX_FINGERPRINT = 200
MAX_DESCRIPTION = 10_000

# SARIF's default when neither the result nor its rule gives a level (§3.27.10).
_DEFAULT_LEVEL = "warning"
_LEVEL_SEVERITY = {"error": "high", "warning": "medium", "note": "low", "none": "low"}
# Results that say a check passed or did not apply: not findings (§3.27.9).
_NOT_FINDINGS = frozenset({"pass", "notApplicable"})
_PLACEHOLDER = re.compile(r"\{(\d+)\}")


class BadSarif(ValueError):
    """A SARIF file that cannot be read; the message names the file and the place in it."""


@dataclass(frozen=True)
class Finding:
    """One result, as the API's findings upload takes it."""

    title: str
    severity: str
    fingerprint: str
    external_id: str | None
    location: str | None
    description: str | None
    # The fingerprint computed from the result's content, used when the tool's own is not unique.
    content_fingerprint: str = field(default="", compare=False, repr=False)

    def as_json(self) -> dict[str, Any]:
        """The finding in the upload's body."""
        return {
            "title": self.title,
            "severity": self.severity,
            "fingerprint": self.fingerprint,
            "external_id": self.external_id,
            "location": self.location,
            "description": self.description,
        }


@dataclass
class ToolScan:
    """Every finding one tool reported, across all the files given: one upload."""

    tool: str
    files: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # Runs whose invocation says the tool did not finish: a full upload would mark what it did
    # not get to as fixed.
    unfinished: list[str] = field(default_factory=list)


def severity_of(level: str, security_severity: float | None) -> str:
    """A CVSS score (`security-severity`) when there is one, else the SARIF level."""
    if security_severity is not None:
        if security_severity >= 9.0:
            return "critical"
        if security_severity >= 7.0:
            return "high"
        if security_severity >= 4.0:
            return "medium"
        return "low"
    return _LEVEL_SEVERITY.get(level, "medium")


def _hashed(*parts: object) -> str:
    encoded = json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode()
    return "sha256:" + hashlib.sha256(encoded).hexdigest()


def _fitting(fingerprint: str) -> str:
    return fingerprint if len(fingerprint) <= MAX_FINGERPRINT else _hashed(fingerprint)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first_value(fingerprints: Any) -> str | None:
    if not isinstance(fingerprints, dict):
        return None
    for key in sorted(fingerprints):
        value = fingerprints[key]
        if isinstance(value, str) and value:
            return value
    return None


def _score(properties: Mapping[str, Any]) -> float | None:
    value = properties.get("security-severity")
    try:
        score = float(value) if isinstance(value, str | int | float) else None
    except ValueError:
        return None
    return score if score is not None and 0.0 <= score <= 10.0 else None


class _Run:
    """One `runs[i]`: its tool, its rules, and the results read from it."""

    def __init__(self, path: Path, where: str, run: dict[str, Any]) -> None:
        self.path = path
        self.where = where
        tool = _object(run.get("tool"))
        self.driver = _object(tool.get("driver"))
        name = self.driver.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.bad(f"{where}.tool.driver.name", "missing: every run names its tool")
        self.tool = name.strip()
        extensions = tool.get("extensions")
        self.extensions = [_object(e) for e in extensions] if isinstance(extensions, list) else []
        artifacts = run.get("artifacts")
        self.artifacts = [_object(a) for a in artifacts] if isinstance(artifacts, list) else []
        self.results = run.get("results")
        invocations = run.get("invocations")
        self.finished = not (
            isinstance(invocations, list)
            and any(_object(i).get("executionSuccessful") is False for i in invocations)
        )

    def bad(self, where: str, problem: str) -> BadSarif:
        return BadSarif(f"{self.path}: {where}: {problem}")

    def rule(self, result: dict[str, Any]) -> dict[str, Any]:
        """The rule a result refers to: by `rule.index` (in `rule.toolComponent`'s rules, which
        is where CodeQL keeps them) or `ruleIndex`, else by id in any component."""
        reference = _object(result.get("rule"))
        component = self.driver
        tool_component = _object(reference.get("toolComponent")).get("index")
        if isinstance(tool_component, int) and 0 <= tool_component < len(self.extensions):
            component = self.extensions[tool_component]
        rules = component.get("rules")
        index = reference.get("index", result.get("ruleIndex"))
        if isinstance(rules, list) and isinstance(index, int) and 0 <= index < len(rules):
            return _object(rules[index])
        rule_id = result.get("ruleId") or reference.get("id")
        for candidate in (self.driver, *self.extensions):
            for rule in candidate.get("rules") or []:
                if isinstance(rule, dict) and rule.get("id") == rule_id and rule_id:
                    return rule
        return {}

    def message(self, result: dict[str, Any], rule: dict[str, Any], where: str) -> str:
        message = result.get("message")
        if not isinstance(message, dict):
            raise self.bad(f"{where}.message", "missing: every result needs a message")
        text = message.get("text")
        if isinstance(text, str) and text.strip():
            return text
        # A message may instead name one of its rule's message strings, with arguments.
        strings = _object(rule.get("messageStrings"))
        template = _object(strings.get(str(message.get("id")))).get("text")
        if isinstance(template, str):
            arguments = message.get("arguments")
            values = [str(a) for a in arguments] if isinstance(arguments, list) else []
            return _PLACEHOLDER.sub(
                lambda m: values[int(m[1])] if int(m[1]) < len(values) else m[0], template
            )
        raise self.bad(
            f"{where}.message", "has neither text nor an id that its rule's messageStrings define"
        )

    def location(self, result: dict[str, Any]) -> tuple[str | None, int | None]:
        locations = result.get("locations")
        if not isinstance(locations, list) or not locations:
            return None, None
        physical = _object(_object(locations[0]).get("physicalLocation"))
        artifact = _object(physical.get("artifactLocation"))
        uri = artifact.get("uri")
        index = artifact.get("index")
        if not isinstance(uri, str) and isinstance(index, int) and index < len(self.artifacts):
            uri = _object(self.artifacts[index].get("location")).get("uri")
        line = _object(physical.get("region")).get("startLine")
        return (
            uri if isinstance(uri, str) and uri else None,
            line if isinstance(line, int) and not isinstance(line, bool) else None,
        )

    def findings(self) -> list[Finding]:
        where = f"{self.where}.results"
        if self.results is None:
            raise self.bad(
                where, "missing: the run reports no results array, which means the tool did not run"
            )
        if not isinstance(self.results, list):
            raise self.bad(where, "must be an array")
        findings = []
        for index, result in enumerate(self.results):
            if not isinstance(result, dict):
                raise self.bad(f"{where}[{index}]", "must be an object")
            finding = self.finding(result, f"{where}[{index}]")
            if finding is not None:
                findings.append(finding)
        return findings

    def finding(self, result: dict[str, Any], where: str) -> Finding | None:
        rule = self.rule(result)
        text = self.message(result, rule, where)
        level = result.get("level")
        if level is not None and level not in LEVELS:
            raise self.bad(f"{where}.level", f"{level!r} is not one of {', '.join(LEVELS)}")
        if result.get("kind", "fail") in _NOT_FINDINGS or _suppressed(result):
            return None
        if level is None:
            level = _object(rule.get("defaultConfiguration")).get("level")
            level = level if level in LEVELS else _DEFAULT_LEVEL
        score = _score(_object(result.get("properties")))
        if score is None:
            score = _score(_object(rule.get("properties")))
        rule_id = result.get("ruleId") or _object(result.get("rule")).get("id") or rule.get("id")
        rule_id = rule_id if isinstance(rule_id, str) and rule_id else None
        uri, line = self.location(result)
        content = _hashed(rule_id, uri, line, text)
        given = _first_value(result.get("fingerprints"))
        if given is None:
            partial = _first_value(result.get("partialFingerprints"))
            # A partial fingerprint (CodeQL's line hash) identifies a result only together with
            # its rule: two rules firing on one line share it.
            given = f"{rule_id}:{partial}" if partial and rule_id else partial
        first_line = text.strip().splitlines()[0].strip()
        title = first_line or rule_id or "(untitled)"
        if len(title) > MAX_TITLE:
            title = title[: MAX_TITLE - 1] + "…"
        return Finding(
            title=title,
            severity=severity_of(str(level), score),
            fingerprint=_fitting(given) if given else content,
            external_id=rule_id,
            location=f"{uri}:{line}" if uri and line is not None else uri,
            # The whole message, when the title could not hold it.
            description=text.strip()[:MAX_DESCRIPTION] if text.strip() != title else None,
            content_fingerprint=content,
        )


def _suppressed(result: dict[str, Any]) -> bool:
    """Suppressed in source or by a reviewer (`nosemgrep`, `# nosec`, a dismissed alert), unless
    the suppression is only under review or was rejected."""
    suppressions = result.get("suppressions")
    if not isinstance(suppressions, list):
        return False
    return any(_object(s).get("status", "accepted") == "accepted" for s in suppressions)


def _load(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadSarif(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadSarif(f"{path}: byte {exc.start}: not UTF-8 text") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise BadSarif(f"{path}: {where}: not JSON ({exc.msg})") from exc


def read_sarif(path: Path) -> list[ToolScan]:
    """Read one SARIF file, one scan per run; BadSarif names the file and the JSON path."""
    document = _load(path)
    if not isinstance(document, dict):
        raise BadSarif(f"{path}: $: a SARIF log is a JSON object")
    version = document.get("version")
    if version != "2.1.0":
        raise BadSarif(f"{path}: $.version: {version!r} is not 2.1.0, the SARIF version read here")
    runs = document.get("runs")
    if not isinstance(runs, list):
        raise BadSarif(f"{path}: $.runs: missing, or not an array")
    scans = []
    for index, run in enumerate(runs):
        where = f"$.runs[{index}]"
        if not isinstance(run, dict):
            raise BadSarif(f"{path}: {where}: must be an object")
        sarif_run = _Run(path, where, run)
        scans.append(
            ToolScan(
                tool=sarif_run.tool,
                files=[path],
                findings=sarif_run.findings(),
                unfinished=[] if sarif_run.finished else [f"{path}: {where}"],
            )
        )
    return scans


def _rank(finding: Finding) -> int:
    return SEVERITIES.index(finding.severity)


def _unique(findings: list[Finding]) -> list[Finding]:
    """One finding per fingerprint, the most severe. A tool's fingerprint shared by results that
    differ (Semgrep without a login writes `requires login` for all) is not trusted: those
    findings fall back to the fingerprint of their content."""
    contents: defaultdict[str, set[str]] = defaultdict(set)
    for finding in findings:
        contents[finding.fingerprint].add(finding.content_fingerprint)
    chosen: dict[str, Finding] = {}
    for finding in findings:
        if len(contents[finding.fingerprint]) > 1:
            finding = replace(finding, fingerprint=finding.content_fingerprint)
        kept = chosen.get(finding.fingerprint)
        if kept is None or _rank(finding) < _rank(kept):
            chosen[finding.fingerprint] = finding
    return list(chosen.values())


def read_sarif_files(paths: Iterable[Path]) -> list[ToolScan]:
    """Read every file first (one bad file stops all), then group the runs by tool name."""
    scans: dict[str, ToolScan] = {}
    for path in paths:
        for scan in read_sarif(path):
            grouped = scans.setdefault(scan.tool, ToolScan(tool=scan.tool))
            if path not in grouped.files:
                grouped.files.append(path)
            grouped.findings.extend(scan.findings)
            grouped.unfinished.extend(scan.unfinished)
    for scan in scans.values():
        scan.findings = _unique(scan.findings)
        if len(scan.findings) > MAX_FINDINGS_PER_UPLOAD:
            files = ", ".join(str(p) for p in scan.files)
            raise BadSarif(
                f"{files}: {scan.tool} reports {len(scan.findings)} findings; one upload takes "
                f"at most {MAX_FINDINGS_PER_UPLOAD}"
            )
    return list(scans.values())
