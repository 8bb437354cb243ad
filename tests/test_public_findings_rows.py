"""The public findings, built in one pass (issue 19), are what sorting them all gave.

``partnership.reporting.truth`` splits the findings by severity and sorts each part, and
scrubs each distinct subject once; before, it sorted every finding by severity, step, rule
and subject and scrubbed every text. The order, numbering and words must be the same:
ties on every key keep the order the checks gave, a finding without a step goes last, an
"info" finding is left out, a person's subject reads "a person".
"""

from __future__ import annotations

import random

from partnership.checks import Finding, Severity
from partnership.reporting.truth import SOMEONE, Scrubber, public_findings

WORDS = ["ann-marsh", "Ann Marsh", "ann.private@example.org"]


def _reference(findings: list[Finding]) -> list[dict]:
    """What public_findings did before: one sort of all of them, every text scrubbed."""
    scrubber = Scrubber(WORDS)
    rank = {Severity.PROBLEM: 0, Severity.WARNING: 1}
    kept = [f for f in findings if f.severity in rank]
    kept.sort(key=lambda f: (rank[f.severity], f.step or 99, f.rule, f.subject))
    rows = []
    for number, f in enumerate(kept, 1):
        subject = scrubber.scrub(f.subject)
        if subject.startswith("person "):
            subject = "a person"
        rows.append({"id": number, "step": f.step or None, "severity": str(f.severity),
                     "rule": f.rule, "subject": subject, "message": scrubber.scrub(f.message)})
    return rows


class _Checked:
    """A partnership whose checks found ``findings`` (and whose record holds ``WORDS``)."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings

    def check(self) -> list[Finding]:
        return list(self.findings)


def test_the_rows_are_those_of_one_sort_of_every_finding(monkeypatch) -> None:
    from partnership.reporting import truth

    monkeypatch.setattr(truth, "_private_words", lambda conn, p: WORDS)
    rng = random.Random(19)
    subjects = ["outcome o-1", "outcome o-2", "person ann-marsh", "commitment C-7", "partner p (ann-marsh)"]
    findings = [
        Finding(rule=rng.choice(["pivot", "stale", "killer", "stale"]), subject=rng.choice(subjects),
                message=f"{rng.choice(['ann-marsh', 'Ann Marsh', 'bob'])} said {i % 7} "
                        f"(ann.private@example.org)",
                severity=rng.choice([Severity.PROBLEM, Severity.WARNING, Severity.WARNING, Severity.INFO]),
                step=rng.choice([0, 1, 3, 3, 6]))
        for i in range(400)]
    # exact ties on every key, in an order only the checks' order decides
    findings += [Finding(rule="pivot", subject="outcome o-1", message=f"tie {i}", step=4,
                         severity=Severity.WARNING) for i in range(5)]
    rows = public_findings(_Checked(findings), None)  # type: ignore[arg-type]
    assert rows == _reference(findings)
    assert [r["id"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["message"] for r in rows if r["message"].startswith("tie ")] == [f"tie {i}" for i in range(5)]
    assert {r["severity"] for r in rows} == {"problem", "warning"}
    assert all("ann" not in r["subject"] + r["message"].replace(SOMEONE, "") for r in rows)
    assert rows[-1]["step"] in (None, 6) and any(r["subject"] == "a person" for r in rows)


def test_no_findings_no_rows(monkeypatch) -> None:
    from partnership.reporting import truth

    monkeypatch.setattr(truth, "_private_words", lambda conn, p: [])
    assert public_findings(_Checked([]), None) == []  # type: ignore[arg-type]
    info = [Finding(rule="fyi", subject="x", message="y", severity=Severity.INFO)]
    assert public_findings(_Checked(info), None) == []  # type: ignore[arg-type]
