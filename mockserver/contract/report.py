"""Reports of a run: the summary table, the failure list with curl reproductions, and JUnit XML.

Every text goes through the run's masker, so no token or tenant id is ever printed or written; in curl
commands, secret-named headers, query parameters and body fields are masked too.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from mockserver.contract.results import FailureRecord, RunResult, SentRequest, Tally
from mockserver.foundation.masking import Masker, mask_body, mask_headers, mask_url

# Headers every request carries that say nothing about the failure.
_NOISE_HEADERS = frozenset({
    "user-agent", "accept-encoding", "connection", "content-length", "host", "x-schemathesis-testcaseid",
})


Rebase = tuple[str, str]  # (origin the requests went to, origin a person can reach the same server on)


def curl_command(request: SentRequest, masker: Masker, rebase: Rebase | None = None) -> str:
    """A copy-paste curl command for `request`, with secrets replaced by their variables (and the origin
    the request went to replaced by one a person can reach, when given)."""
    keep = masker.holds_secret  # a known secret shows as its variable, so the command still runs
    url = request.url
    if rebase is not None and url.startswith(rebase[0]):
        url = rebase[1] + url[len(rebase[0]):]
    parts = ["curl", "-X", request.method, masker.shell_word(mask_url(url, keep=keep))]
    content_type = None
    for name, value in request.headers:
        content_type = value if name.lower() == "content-type" else content_type
        if name.lower() in _NOISE_HEADERS or (name.lower() == "accept" and value == "*/*"):
            continue
        shown = mask_headers({name: value}, keep=keep)[name]
        parts += ["-H", masker.shell_word(f"{name}: {shown}")]
    if request.body:
        parts += ["--data-raw", masker.shell_word(mask_body(request.body, content_type, keep=keep))]
    return " ".join(parts)


def _rows(result: RunResult) -> list[tuple[str, str, Tally]]:
    return [(operation, check, tally) for (operation, check), tally in sorted(result.tallies.items())
            if tally.passed or tally.failed]


def summary_table(result: RunResult) -> str:
    rows = _rows(result)
    if not rows:
        return "No check ran."
    operation_width = max(len("Operation"), *(len(operation) for operation, _, _ in rows))
    check_width = max(len("Check"), *(len(check) for _, check, _ in rows))
    lines = [f"{'Operation':<{operation_width}}  {'Check':<{check_width}}  {'Passed':>7}  {'Failed':>7}"]
    lines.append("-" * len(lines[0]))
    previous = None
    for operation, check, tally in rows:
        shown = operation if operation != previous else ""
        previous = operation
        counts = f"{tally.passed:>7}  {tally.failed:>7}"
        lines.append(f"{shown:<{operation_width}}  {check:<{check_width}}  {counts}")
    return "\n".join(lines)


def failure_list(failures: Iterable[FailureRecord], masker: Masker, rebase: Rebase | None = None) -> str:
    blocks = []
    for number, failure in enumerate(failures, 1):
        times = f" ({failure.occurrences} times)" if failure.occurrences > 1 else ""
        reason = f"{failure.title}: {failure.reason}" if failure.reason else failure.title
        lines = [f"{number}. [{failure.check}] {failure.operation}{times}", f"   {masker.mask(reason)}"]
        if failure.request is not None and failure.steps:
            lines.append(f"   Reproduce with these {len(failure.steps) + 1} requests, in order (the ids are "
                         "the ones the run's answers gave):")
        if failure.request is not None:
            lines += [f"   {curl_command(request, masker, rebase)}" for request in failure.steps]
            lines.append(f"   {curl_command(failure.request, masker, rebase)}")
        blocks.append("\n".join(lines))
    return masker.mask("\n\n".join(blocks))


def render(
    result: RunResult, masker: Masker, *, title: str = "Contract", failures_label: str = "Failures",
    apart_label: str = "Reported apart", rebase: Rebase | None = None,
) -> str:
    """The whole text report: table, then failures, findings reported apart, notes, errors and the verdict.
    With `rebase`, curl commands reach the server at its second origin (said once above them)."""
    sections = [f"{title} summary ({result.requests} requests)", summary_table(result)]
    if result.stateful is not None and result.stateful.scenarios:
        sections.append(str(result.stateful))
    where = [f"(The curl commands reach {rebase[1]}: start the mock there first with `mockserver serve`.)"] \
        if rebase is not None and (result.failures or result.apart) else []
    if result.failures:
        heading = f"{failures_label} ({len(result.failures)} distinct)"
        sections += [heading, *where, failure_list(result.failures, masker, rebase)]
        where = []
    if result.apart:
        sections += [f"{apart_label} ({len(result.apart)} distinct)", *where,
                     failure_list(result.apart, masker, rebase)]
    if result.notes:
        sections += [f"Notes ({len(result.notes)})", "\n".join(f"- {note}" for note in result.notes)]
    if result.errors:
        sections += [f"Errors ({len(result.errors)})", "\n".join(f"- {error}" for error in result.errors)]
    checks = len({check for _, check, _ in _rows(result)})
    failed = len(result.failing_checks())
    verdict = f"FAILED: {failed} of {checks} checks failed" if result.failures else f"PASSED: {checks} checks"
    sections.append(verdict)
    return masker.mask("\n\n".join(sections))


def junit_xml(result: RunResult, masker: Masker, *, suite_name: str = "mockserver contract",
              extra_suites: Iterable[ET.Element] = (), rebase: Rebase | None = None) -> str:
    """JUnit XML: a test suite per operation, a test case per check, a failure per distinct failure
    (then `extra_suites`, e.g. coverage)."""
    failures_by_case: dict[tuple[str, str], list[FailureRecord]] = defaultdict(list)
    for failure in result.failures:
        failures_by_case[(failure.operation, failure.check)].append(failure)
    by_operation: dict[str, list[tuple[str, Tally]]] = defaultdict(list)
    for operation, check, tally in _rows(result):
        by_operation[operation].append((check, tally))
    for operation, check in failures_by_case:
        if all(existing != check for existing, _ in by_operation[operation]):
            by_operation[operation].append((check, Tally()))
    root = ET.Element("testsuites", name=suite_name)
    for operation, checks in by_operation.items():
        suite = ET.SubElement(root, "testsuite", name=operation)
        failed = 0
        for check, tally in checks:
            case = ET.SubElement(suite, "testcase", classname=operation, name=check)
            ET.SubElement(case, "system-out").text = f"passed: {tally.passed}, failed: {tally.failed}"
            found = failures_by_case.get((operation, check), [])
            if found:
                failed += 1
                element = ET.SubElement(case, "failure", message=masker.mask(_reason(found[0])), type=check)
                element.text = failure_list(found, masker, rebase)
        suite.set("tests", str(len(checks)))
        suite.set("failures", str(failed))
        suite.set("errors", "0")
    root.extend(extra_suites)
    root.set("tests", str(sum(int(suite.get("tests", "0")) for suite in root)))
    root.set("failures", str(sum(int(suite.get("failures", "0")) for suite in root)))
    if result.errors:
        errors = ET.SubElement(root, "testsuite", name="errors", tests="1", failures="0", errors="1")
        case = ET.SubElement(errors, "testcase", classname="errors", name="run")
        message = masker.mask(result.errors[0])[:200]
        ET.SubElement(case, "error", message=message).text = masker.mask("\n".join(result.errors))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _reason(failure: FailureRecord) -> str:
    return f"{failure.title}: {failure.reason}" if failure.reason else failure.title


def write_junit(
    path: Path, result: RunResult, masker: Masker, *, suite_name: str = "mockserver contract",
    extra_suites: Iterable[ET.Element] = (), rebase: Rebase | None = None,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = junit_xml(result, masker, suite_name=suite_name, extra_suites=extra_suites, rebase=rebase)
    path.write_text(text + "\n", encoding="utf-8")
