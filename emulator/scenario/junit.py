"""A replay's checks as JUnit XML: one testsuite per scenario, one testcase per expectation."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from emulator.scenario.model import Scenario
from emulator.scenario.player import Check
from firmware.rules.localtime import to_local


def junit_xml(scenario: Scenario, checks: list[Check], seconds: float) -> str:
    failures = [check for check in checks if not check.passed]
    suite = ElementTree.Element(
        "testsuite",
        name=scenario.name,
        tests=str(len(checks)),
        failures=str(len(failures)),
        errors="0",
        time=f"{seconds:.3f}",
    )
    properties = ElementTree.SubElement(suite, "properties")
    ElementTree.SubElement(properties, "property", name="file", value=scenario.source)
    ElementTree.SubElement(properties, "property", name="rules", value=" ".join(scenario.rules))
    classname = Path(scenario.source).stem
    for check in checks:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=classname,
            name=f"line {check.line}: {check.what} = {check.expected}",
            file=scenario.source,
            line=str(check.line),
        )
        if not check.passed:
            failure = ElementTree.SubElement(
                case, "failure", message=f"expected {check.expected}, got {check.actual}"
            )
            failure.text = (
                f"{scenario.source}:{check.line} at {to_local(check.at):%Y-%m-%d %H:%M:%S %Z}: "
                f"{check.what} expected {check.expected}, got {check.actual}"
            )
    ElementTree.indent(suite)
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
