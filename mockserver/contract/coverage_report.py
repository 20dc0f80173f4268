"""Coverage as people and tools read it: a table after the run, JSON, a self-contained HTML page, and a
JUnit test suite (one test case per metric, failed when under its `--min-coverage` threshold)."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from mockserver.consumers import kinds
from mockserver.contract.coverage import METRIC_TITLES, METRICS, CoverageReport, OperationCoverage, Ratio

_HEADINGS = {"operations": "Called", "statuses": "Statuses", "media_types": "Media types",
             "parameters": "Parameters", "values": "Values", "properties": "Properties"}
MAX_MISSING_SHOWN = 6


def _percent(ratio: Ratio) -> str:
    return f"{ratio.percent:.0f}%"


def coverage_table(report: CoverageReport) -> str:
    """The table printed after a run: per operation, covered/total of each metric, then the totals."""
    columns = [metric for metric in METRICS if metric != "operations"]
    rows = [[operation.operation, str(operation.requests)]
            + [str(operation.ratios()[metric]) for metric in columns] for operation in report.operations]
    totals = report.totals()
    rows.append(["Total", str(sum(operation.requests for operation in report.operations))]
                + [f"{totals[metric]} {_percent(totals[metric])}" for metric in columns])
    header = ["Operation", "Requests", *(_HEADINGS[metric] for metric in columns)]
    widths = [max(len(row[index]) for row in [header, *rows]) for index in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) if index == 0 else cell.ljust(width)
                for index, (cell, width) in enumerate(zip(cells[1:], widths[1:], strict=True)))
        return "  ".join([first, *rest]).rstrip()

    lines = [f"Coverage: {totals['operations']} operations called", line(header),
             "-" * len(line(header))]
    lines += [line(row) for row in rows[:-1]] + ["-" * len(line(header)), line(rows[-1])]
    gaps = [f"  {operation.operation}: {gap}" for operation in report.operations for gap in _gaps(operation)]
    if gaps:
        lines += ["", "Not covered:", *gaps]
    if report.thresholds:
        lines += ["", _threshold_line(report)]
    return "\n".join(lines)


def _gaps(operation: OperationCoverage) -> list[str]:
    gaps = []
    if not operation.requests:
        return ["never called"]
    missing = [key for key, returned in operation.statuses.items() if not returned]
    if missing:
        gaps.append("statuses never returned: " + ", ".join(missing))
    unsent = [name for (_, name), counts in operation.parameters.items()
              if not any(count for kind, count in counts.items() if kind != kinds.ABSENT)]
    if unsent:
        gaps.append("parameters never sent: " + ", ".join(unsent))
    several = len({key for key, _ in operation.properties}) > 1  # then each pointer says which status
    absent = sorted(f"{key} {pointer}" if several else pointer
                    for (key, _), pointers in operation.properties.items()
                    for pointer, present in pointers.items() if not present)
    if absent:
        shown = ", ".join(absent[:MAX_MISSING_SHOWN]) + (f" and {len(absent) - MAX_MISSING_SHOWN} more"
                                                          if len(absent) > MAX_MISSING_SHOWN else "")
        gaps.append("response properties never present: " + shown)
    return gaps


def _threshold_line(report: CoverageReport) -> str:
    totals = report.totals()
    parts = []
    for metric, minimum in report.thresholds.items():
        verdict = "ok" if totals[metric].percent + 1e-9 >= minimum else "BELOW"
        parts.append(f"{metric} {totals[metric].percent:.1f}% (minimum {minimum:g}%) {verdict}")
    return "Coverage thresholds: " + "; ".join(parts)


def as_data(report: CoverageReport) -> dict[str, Any]:
    totals = report.totals()
    below = report.below()
    return {
        "totals": {metric: {"covered": totals[metric].covered, "total": totals[metric].total,
                            "percent": round(totals[metric].percent, 2)} for metric in METRICS},
        "thresholds": {metric: {"minimum": minimum, "passed": metric not in below}
                       for metric, minimum in report.thresholds.items()},
        "operations": [_operation_data(operation) for operation in report.operations],
    }


def _operation_data(operation: OperationCoverage) -> dict[str, Any]:
    return {
        "operation": operation.operation,
        "requests": operation.requests,
        "statuses_returned": {str(status): count for status, count in operation.returned.items()},
        "statuses": [{"status": key, "returned": returned} for key, returned in operation.statuses.items()],
        "media_types": [{"status": key, "media_type": media, "returned": returned}
                        for (key, media), returned in operation.media_types.items()],
        "parameters": [{"in": location, "name": name, "kinds": counts}
                       for (location, name), counts in operation.parameters.items()],
        "properties": [{"status": key, "media_type": media, "pointer": pointer, "present": present}
                       for (key, media), pointers in operation.properties.items()
                       for pointer, present in pointers.items()],
        "ratios": {metric: {"covered": ratio.covered, "total": ratio.total}
                   for metric, ratio in operation.ratios().items()},
    }


def coverage_paths(path: Path) -> tuple[Path, Path]:
    """`--coverage-report PATH`: PATH.json and PATH.html (a .json or .html suffix is replaced)."""
    base = path.with_suffix("") if path.suffix.lower() in (".json", ".html", ".htm") else path
    return base.with_name(base.name + ".json"), base.with_name(base.name + ".html")


def write_coverage(path: Path, report: CoverageReport, *, title: str) -> tuple[Path, Path]:
    json_path, html_path = coverage_paths(path)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(as_data(report), indent=2) + "\n", encoding="utf-8")
    html_path.write_text(coverage_html(report, title=title), encoding="utf-8")
    return json_path, html_path


def junit_suite(report: CoverageReport) -> ET.Element:
    """A `coverage` test suite: a test case per metric, failed when under its threshold."""
    totals = report.totals()
    below = report.below()
    suite = ET.Element("testsuite", name="coverage")
    properties = ET.SubElement(suite, "properties")
    for metric in METRICS:
        percent = f"{totals[metric].percent:.1f}"
        ET.SubElement(properties, "property", name=f"coverage.{metric}", value=percent)
    for metric in METRICS:
        case = ET.SubElement(suite, "testcase", classname="coverage", name=metric)
        minimum = report.thresholds.get(metric)
        text = f"{METRIC_TITLES[metric]}: {totals[metric]} ({totals[metric].percent:.1f}%)"
        if minimum is not None:
            text += f", minimum {minimum:g}%"
        ET.SubElement(case, "system-out").text = text
        if metric in below:
            message = f"{metric} coverage {below[metric][0]:.1f}% is below {minimum:g}%"
            ET.SubElement(case, "failure", type="coverage", message=message).text = text
    suite.set("tests", str(len(METRICS)))
    suite.set("failures", str(len(below)))
    suite.set("errors", "0")
    return suite


# --- HTML ----------------------------------------------------------------------------------------

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2433}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin:0}table{border-collapse:collapse;margin:.5rem 0 1rem}
td,th{border:1px solid #d5dae3;padding:.25rem .6rem;text-align:left;vertical-align:top}th{background:#f1f4f9}
.cards{display:flex;flex-wrap:wrap;gap:.75rem;margin:1rem 0 2rem}
.card{border:1px solid #d5dae3;border-radius:.5rem;padding:.75rem 1rem;min-width:10rem}
.card b{display:block;font-size:1.4rem}
.bar{height:.4rem;background:#e6e9ef;border-radius:.2rem;margin-top:.4rem}
.bar i{display:block;height:100%;border-radius:.2rem;background:#2f9e44}.low i{background:#e03131}
.yes{background:#e6f6ea}.no{background:#fdecec}.na{color:#8a93a3}
details{border-top:1px solid #d5dae3;padding:.6rem 0}
summary{cursor:pointer}summary span{color:#5c6677;font-size:.9rem;margin-left:1rem}code{font-size:.9em}
"""


def coverage_html(report: CoverageReport, *, title: str) -> str:
    totals = report.totals()
    below = report.below()
    cards = []
    for metric in METRICS:
        ratio = totals[metric]
        minimum = report.thresholds.get(metric)
        note = f" (minimum {minimum:g}%)" if minimum is not None else ""
        low = " low" if metric in below else ""
        cards.append(f'<div class="card{low}">{_e(METRIC_TITLES[metric])}<b>{ratio.percent:.0f}%</b>'
                     f'{ratio.covered} of {ratio.total}{_e(note)}'
                     f'<div class="bar"><i style="width:{ratio.percent:.1f}%"></i></div></div>')
    sections = [_operation_html(operation) for operation in report.operations]
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{_e(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{_e(title)}</h1>"
            f"<div class=cards>{''.join(cards)}</div>{''.join(sections)}</body></html>\n")


def _operation_html(operation: OperationCoverage) -> str:
    ratios = operation.ratios()
    summary = " · ".join(f"{_HEADINGS[metric].lower()} {ratios[metric]}" for metric in METRICS
                         if metric != "operations")
    complete = all(ratio.covered == ratio.total for ratio in ratios.values())
    opened = "" if complete else " open"
    parts = [f"<details{opened}><summary><h2 style=display:inline><code>{_e(operation.operation)}</code></h2>"
             f"<span>{operation.requests} request(s) · {_e(summary)}</span></summary>"]
    if operation.statuses:
        returned = ", ".join(f"{status}: {count}" for status, count in operation.returned.items()) or "none"
        rows = "".join(f"<tr><td>{_e(key)}</td>{_yes_no(hit)}</tr>"
                       for key, hit in operation.statuses.items())
        parts.append(f"<table><tr><th>Documented status</th><th>Returned</th></tr>{rows}</table>"
                     f"<p>Statuses returned: {_e(returned)}</p>")
    if operation.media_types:
        rows = "".join(f"<tr><td>{_e(key)}</td><td>{_e(media)}</td>{_yes_no(hit)}</tr>"
                       for (key, media), hit in operation.media_types.items())
        parts.append(f"<table><tr><th>Status</th><th>Media type</th><th>Returned</th></tr>{rows}</table>")
    if operation.parameters:
        head = "".join(f"<th>{kind}</th>" for kind in kinds.KINDS)
        rows = "".join(
            f"<tr><td>{_e(location)}</td><td><code>{_e(name)}</code></td>"
            + "".join(_kind_cell(counts, kind) for kind in kinds.KINDS) + "</tr>"
            for (location, name), counts in operation.parameters.items())
        parts.append(f"<table><tr><th>In</th><th>Parameter</th>{head}</tr>{rows}</table>")
    for (key, media), pointers in operation.properties.items():
        rows = "".join(f"<tr><td><code>{_e(pointer)}</code></td>{_yes_no(present)}</tr>"
                       for pointer, present in pointers.items())
        heading = f"<tr><th>Property of {_e(key)} {_e(media)}</th><th>Present</th></tr>"
        parts.append(f"<table>{heading}{rows}</table>")
    parts.append("</details>")
    return "".join(parts)


def _kind_cell(counts: dict[str, int], kind: str) -> str:
    if kind not in counts:
        return '<td class=na>n/a</td>'
    count = counts[kind]
    return f'<td class={"yes" if count else "no"}>{count}</td>'


def _yes_no(hit: bool) -> str:
    return '<td class=yes>yes</td>' if hit else '<td class=no>no</td>'


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)
