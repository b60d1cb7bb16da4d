"""axe-core in a Playwright page: the accessibility audit the browser tests run on each page.

axe-core is vendored from npm (``vendor/axe-core/``, its README says how to update it) and never
fetched while the tests run. Its source is evaluated in the page through the DevTools protocol,
which the page's Content Security Policy does not govern: the page under audit keeps the very
policy agents and customers get (``script-src 'self'``, or no script at all on the survey page).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

# The vendored copy, pinned here only: tests/unit/test_vendored_axe.py fails on any other file.
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"

# What fails a test: a barrier for some people (axe's "serious") or a blocker ("critical").
BLOCKING = ("serious", "critical")

# The console's and the survey's own markup is audited; a customer's original HTML, shown in a
# sandboxed frame, is the sender's (the frame element itself, its title included, is audited).
_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"], iframes: false});
  return results.violations.map((rule) => ({
    rule: rule.id,
    impact: rule.impact || "",
    help: rule.help,
    help_url: rule.helpUrl,
    nodes: rule.nodes.map((node) => ({
      target: node.target.map(String).join(" "),
      html: node.html,
      summary: node.failureSummary || "",
    })),
  }));
}"""


@dataclass(frozen=True)
class FailingNode:
    target: str
    html: str
    summary: str


@dataclass(frozen=True)
class Violation:
    """One axe rule the page breaks, with the elements that break it."""

    rule: str
    impact: str
    help: str
    help_url: str
    nodes: tuple[FailingNode, ...]

    def describe(self) -> str:
        lines = [f"{self.rule} ({self.impact}): {self.help}", f"  {self.help_url}"]
        for node in self.nodes:
            lines.append(f"  - {node.target}")
            lines.append(f"    {node.html}")
            lines.extend(f"    {line}" for line in node.summary.splitlines() if line.strip())
        return "\n".join(lines)


@cache
def axe_source() -> str:
    """The vendored axe-core, refused when it is not the pinned file."""
    content = AXE_SCRIPT.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    if digest != AXE_SHA256:
        raise AssertionError(f"{AXE_SCRIPT} is not axe-core {AXE_VERSION} as pinned (sha256 {digest})")
    return content.decode("utf-8")


def _injected(page: Page) -> None:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    version = page.evaluate("() => window.axe.version")
    assert version == AXE_VERSION, f"axe {version} ran instead of the vendored {AXE_VERSION}"


def violations(page: Page, impacts: tuple[str, ...] = BLOCKING) -> list[Violation]:
    """What axe-core finds wrong on the page as it is now, of the given impacts (serious and
    critical by default)."""
    _injected(page)
    found: list[dict[str, Any]] = page.evaluate(_RUN)
    return [
        Violation(
            rule=rule["rule"],
            impact=rule["impact"],
            help=rule["help"],
            help_url=rule["help_url"],
            nodes=tuple(FailingNode(**node) for node in rule["nodes"]),
        )
        for rule in found
        if rule["impact"] in impacts
    ]


def report(found: list[Violation]) -> str:
    """The violations in words, for an assertion's message."""
    return "\n".join(violation.describe() for violation in found)
