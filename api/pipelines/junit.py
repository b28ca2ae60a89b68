"""JUnit XML, as pytest, Maven Surefire, Gradle, go-junit-report and jest-junit write it."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import ParseError

from junitparser import Error, Failure, JUnitXml, JUnitXmlError, TestCase, TestSuite

# What the API takes (failing_tests: at most 200 names of at most 500 characters).
MAX_FAILING_TESTS = 200
MAX_TEST_NAME = 500


class BadReport(ValueError):
    """A test report that cannot be read; the message names the file and where."""


@dataclass
class TestRun:
    """What a set of JUnit files says: counts, and the names of the tests that failed."""

    __test__ = False  # not a pytest test class, despite its name

    files: list[Path] = field(default_factory=list)
    run: int = 0
    failed: int = 0
    skipped: int = 0
    failing_tests: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        """`failed` when any test failed or errored, else `passed`."""
        return "failed" if self.failed else "passed"

    @property
    def summary(self) -> str:
        """One line for the result's summary, e.g. `120 tests, 2 failed, 3 skipped (JUnit: …)`."""
        names = ", ".join(path.name for path in self.files)
        return (f"{self.run} tests, {self.failed} failed, {self.skipped} skipped (JUnit: {names})")[
            :2000
        ]


def test_name(case: TestCase) -> str:
    """`classname.name`; just the name when the reporter repeats the class in it (jest-junit)."""
    name = case.name or "(unnamed)"
    classname = case.classname or ""
    full = name if not classname or name.startswith(classname) else f"{classname}.{name}"
    return full[:MAX_TEST_NAME]


def _cases(suite: TestSuite) -> Iterator[TestCase]:
    # junitparser walks nested <testsuite>s (Surefire and go-junit-report may nest them) itself.
    yield from suite


def _suite_errors(suite: TestSuite) -> Iterator[str]:
    """An <error> or <failure> straight under a <testsuite>: a suite that did not run at all."""
    # junitparser leaves these two unannotated.
    children = [
        child
        for kind in (Error, Failure, TestSuite)
        for child in suite.iterchildren(kind)  # type: ignore[no-untyped-call]
    ]
    if any(isinstance(child, Error | Failure) for child in children):
        yield suite.name or "(unnamed suite)"
    for nested in children:
        if isinstance(nested, TestSuite):
            yield from _suite_errors(nested)


def read_junit(path: Path) -> TestRun:
    """Read one JUnit XML file; BadReport names the file and the line when it is not one."""
    try:
        report = JUnitXml.fromfile(str(path))
    except ParseError as exc:
        line, column = exc.position
        raise BadReport(
            f"{path}: line {line}, column {column + 1}: not well-formed XML ({exc.msg})"
        ) from exc
    except JUnitXmlError as exc:
        raise BadReport(
            f"{path}: line 1: the root element must be <testsuites> or <testsuite> ({exc})"
        ) from exc
    except OSError as exc:
        raise BadReport(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    run = TestRun(files=[path])
    # A bare <testsuite> root comes back wrapped in JUnitXml; older junitparsers returned it as is.
    suites = [report] if isinstance(report, TestSuite) else list(report)
    for suite in suites:
        for case in _cases(suite):
            run.run += 1
            if case.is_failure or case.is_error:
                run.failed += 1
                run.failing_tests.append(test_name(case))
            elif case.is_skipped:
                run.skipped += 1
        for name in _suite_errors(suite):
            run.failed += 1
            run.failing_tests.append(name[:MAX_TEST_NAME])
    return run


def read_junit_files(paths: Iterable[Path]) -> TestRun:
    """Read every file first (a bad one stops everything), then add them up."""
    total = TestRun()
    for path in paths:
        part = read_junit(path)
        total.files.append(path)
        total.run += part.run
        total.failed += part.failed
        total.skipped += part.skipped
        total.failing_tests.extend(part.failing_tests)
    # Several files may name one test (a rerun); the server takes each name once, 200 at most.
    total.failing_tests = list(dict.fromkeys(total.failing_tests))[:MAX_FAILING_TESTS]
    return total
