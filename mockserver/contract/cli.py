"""The `contract` and `diff` commands; `mockserver.cli` adds them with `add_commands(subparsers)`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

DEFAULT_SPEC = "openapi"
DEFAULT_FIXTURES = "fixtures"

_CONTRACT_EPILOG = """\
Credentials: --token, --tenant and --other-tenant can come from MOCKSERVER_TOKEN, MOCKSERVER_TENANT and
MOCKSERVER_OTHER_TENANT instead (with --self, only from the flags); they are masked in every output.
Exit status: 0 no failure, 1 contract failures, 2 usage error, invalid spec or unreachable server."""

_DIFF_EPILOG = """\
Credentials as for `mockserver contract` (MOCKSERVER_TOKEN, MOCKSERVER_TENANT). The mock is asked as itself:
the tenant its fixtures declare (or --mock-tenant) and its default credentials; where the server gets the
n-th id it listed, the mock gets the n-th id it listed. Differences are classified (status, content type,
response shape, error body shape); data-dependent ones (a documented 404 on one side only, an optional field
set on one side only) are listed apart and do not fail the run unless --fail-on-data-dependent.
Exit status: 0 the mock and the server agree, 1 they disagree on at least one request, 2 usage error,
invalid spec or unreachable server."""


_VERIFY_EPILOG = """\
Consumer contracts are recorded by the mock: `mockserver serve --consumer-out DIR`. Credentials as for
`mockserver contract` (MOCKSERVER_TOKEN, MOCKSERVER_TENANT). Interactions recorded in a provider state (a
scenario, a named response) are replayed only with --state-setup.
Exit status: 0 every consumer gets what it relied on, 1 a consumer would break, 2 usage error, invalid spec
or consumer file, or unreachable server."""


def add_commands(subparsers: Any) -> None:
    """Add `contract`, `diff` and `verify` to the `mockserver` command line."""
    contract = subparsers.add_parser(
        "contract", help="check that a server (or the mock, with --self) honours the spec",
        description="Run schemathesis' checks and mockserver's own (auth enforcement, domain rules,\n"
                    "tenant isolation) against a server, or against the mock itself with --self.",
        epilog=_CONTRACT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = contract.add_mutually_exclusive_group(required=True)
    target.add_argument("--base-url", metavar="URL", help="the server under test, e.g. https://api.example.com")
    target.add_argument("--self", dest="self_test", action="store_true",
                        help="test the mock itself (in-process), with the same suite")
    _add_common_arguments(contract)
    contract.add_argument("--other-tenant", default=None,
                          help="a second tenant, for isolation checks (or MOCKSERVER_OTHER_TENANT)")
    contract.add_argument("--checks", default="all", metavar="all|a,b",
                          help="checks to run (default: all; schemathesis' and ours)")
    contract.add_argument("--max-response-time", type=float, default=None, metavar="SECONDS",
                          help="response-time budget per request (default: 2; 0 disables)")
    contract.add_argument("--coverage-report", type=Path, default=None, metavar="PATH",
                          help="write what the run covered as PATH.json and PATH.html")
    contract.add_argument("--min-coverage", default=None, metavar="METRIC=PERCENT,...",
                          help="fail (exit 1) below these coverages, e.g. operations=100,statuses=80; "
                               "metrics: operations, statuses, media_types, parameters, values, properties")
    contract.set_defaults(run=_run_contract)

    diff = subparsers.add_parser(
        "diff", help="compare the mock with a server on the same generated requests",
        description="Send the same generated requests (valid and invalid) to the mock and to the server,\n"
                    "and list every request where their status, content type or response shape differ.",
        epilog=_DIFF_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff.add_argument("--base-url", metavar="URL", required=True, help="the server to compare the mock with")
    diff.add_argument("--mock-tenant", default=None, metavar="ID",
                      help="the tenant the mock is asked as (default: the first its fixtures declare)")
    diff.add_argument("--fail-on-data-dependent", action="store_true",
                      help="fail on data-dependent differences too (a 404 on one side only, an optional "
                           "field set on one side only)")
    _add_common_arguments(diff)
    diff.set_defaults(run=_run_diff)

    verify = subparsers.add_parser(
        "verify", help="replay consumers' recorded interactions against a server",
        description="Replay each consumer contract's interactions against a server and check that every\n"
                    "answer conforms to the spec and gives the consumer what it relied on: the same status\n"
                    "and every response field it received, with the same JSON type.",
        epilog=_VERIFY_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verify.add_argument("--consumer", dest="consumers", action="append", type=Path, required=True,
                        metavar="FILE", help="a consumer contract file, or a folder of them (repeatable)")
    verify.add_argument("--base-url", metavar="URL", required=True, help="the server to verify")
    verify.add_argument("--state-setup", metavar="URL", default=None,
                        help='POST {"consumer": ..., "state": ...} here before each interaction that needs '
                             "a provider state")
    _add_target_arguments(verify)
    verify.set_defaults(run=_run_verify)


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """The spec, the fixtures and what every request carries: common to contract, diff and verify."""
    parser.add_argument("spec", nargs="?", default=DEFAULT_SPEC,
                        help="a spec file or a folder of OpenAPI slices (default: ./openapi)")
    parser.add_argument("--fixtures", default=None,
                        help="the fixtures folder: auth rules, domain rules, data "
                             "(default: ./fixtures if present)")
    parser.add_argument("--header", action="append", default=[], metavar="'Name: value'",
                        help="a header for every request (repeatable)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a real value for path parameter NAME, e.g. customer_id=cus_1 (repeatable)")
    parser.add_argument("--junit", type=Path, default=None, metavar="PATH", help="write a JUnit XML report")
    parser.add_argument("--token", default=None, help="bearer token (or MOCKSERVER_TOKEN)")
    parser.add_argument("--tenant", default=None, help="tenant id, sent in the config's tenant header "
                                                       "(or MOCKSERVER_TENANT)")


def _add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The target, then how requests are generated: contract and diff."""
    _add_target_arguments(parser)
    parser.add_argument("--mode", choices=["positive", "negative", "all"], default="all",
                        help="valid requests, invalid ones, or both (default: all; the stateful phase sends "
                             "valid ones only)")
    parser.add_argument("--max-examples", type=int, default=None, metavar="N",
                        help="generated requests per operation and phase (default: schemathesis' 100)")
    parser.add_argument("--seed", type=int, default=None, metavar="N", help="seed for reproducible runs")
    parser.add_argument("--phases", default="all", metavar="all|a,b",
                        help="schemathesis phases: examples, coverage, fuzzing, stateful (default: all; "
                             "stateful chains requests through the spec's links, declared and inferred)")
    parser.add_argument("--workers", type=int, default=1, metavar="N", help="concurrent workers (default: 1)")


def _options(args: argparse.Namespace) -> Any:
    from mockserver.contract.session import DEFAULT_MAX_RESPONSE_TIME, ContractOptions

    fixtures = Path(args.fixtures) if args.fixtures is not None else None
    if fixtures is None and Path(DEFAULT_FIXTURES).is_dir():
        fixtures = Path(DEFAULT_FIXTURES)
    max_response_time = getattr(args, "max_response_time", None)
    return ContractOptions(
        spec=Path(args.spec), fixtures=fixtures, base_url=args.base_url,
        self_test=getattr(args, "self_test", False), headers=args.header,
        checks=getattr(args, "checks", "all"), mode=args.mode, max_examples=args.max_examples, seed=args.seed,
        max_response_time=DEFAULT_MAX_RESPONSE_TIME if max_response_time is None else max_response_time,
        params=args.param, junit=args.junit, workers=args.workers, token=args.token, tenant=args.tenant,
        other_tenant=getattr(args, "other_tenant", None), phases=args.phases,
        coverage_report=getattr(args, "coverage_report", None),
        min_coverage=getattr(args, "min_coverage", None),
        mock_tenant=getattr(args, "mock_tenant", None),
        fail_on_data_dependent=getattr(args, "fail_on_data_dependent", False),
    )


def _run_contract(args: argparse.Namespace) -> int:
    from mockserver.contract.session import run_contract

    return run_contract(_options(args))


def _run_verify(args: argparse.Namespace) -> int:
    from mockserver.contract.verify import VerifyOptions, run_verify

    fixtures = Path(args.fixtures) if args.fixtures is not None else None
    if fixtures is None and Path(DEFAULT_FIXTURES).is_dir():
        fixtures = Path(DEFAULT_FIXTURES)
    return run_verify(VerifyOptions(
        spec=Path(args.spec), fixtures=fixtures, base_url=args.base_url, headers=args.header,
        params=args.param, junit=args.junit, token=args.token, tenant=args.tenant,
        consumers=args.consumers, state_setup=args.state_setup,
    ))


def _run_diff(args: argparse.Namespace) -> int:
    from mockserver.contract.session import run_diff

    return run_diff(_options(args))
