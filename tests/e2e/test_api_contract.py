"""The API does what docs/openapi.yaml says: schemathesis, every check, every phase (examples,
coverage, fuzzing, stateful), a bounded number of examples per operation and a fixed seed, against the
desk served over HTTP on a moto server, as an admin and without a token. It fails on a request valid by
the spec that is refused, an invalid one that is accepted, a 5xx, an undocumented status or body, and a
wrong answer to a method no route has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from postdesk.agents.model import Role
from postdesk_tools.local_server import RunningDesk
from tests.mails import build_mail

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "docs" / "openapi.yaml"
# Per operation and phase: enough to find what was found by hand, bounded for CI (about a minute a run).
MAX_EXAMPLES = 5
SEED = 20261205
ALL_PHASES = "examples,coverage,fuzzing,stateful"


def _config(desk: RunningDesk, token: str | None) -> str:
    """schemathesis.toml for one run. The stateful phase finds the ticket delivered first through the
    list (a fixed {ref} made schemathesis 4.32's coverage phase send ``0`` as a JSON body it took for
    valid). Two answers the spec
    cannot express are allowed to valid requests: PATCH answers 428 to a change that names no version
    (the body's ``version`` or an If-Match header: "one of a body field and a header"), as does a
    merge (which also refuses, 400, a ticket merged into itself), and the list answers 400 to a
    cursor it did not sign."""
    headers = f'headers = {{ Authorization = "Bearer {token}" }}\n' if token else ""
    return f"""
base-url = "{desk.api_url}"
seed = {SEED}
{headers}
[generation]
max-examples = {MAX_EXAMPLES}
deterministic = true

# A body over the size limit is refused with 413, which the check does not expect by default.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

# A cursor is signed for the list it continues: one made up to fit the pattern is a 400.
[[operations]]
include-name = "GET /tickets"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403"]

# schemathesis 4.32's coverage phase sends the note body `0` (a bare JSON number) as valid data; the
# 400 it gets is the right answer, so positive data for this one operation may meet a 400.
[[operations]]
include-name = "POST /tickets/{{ref}}/notes"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409"]

# A queue must be one of the desk's (its configuration, which no schema holds): 400 otherwise. A Cc or
# Bcc may be the requester or one of the desk's addresses (400), an offer dismissed must be on offer
# (400), and the Cc and Bcc together with the requester fit one mail of SES (422): no schema says so.
# Nor that a snooze ends in the future, at most a year ahead (400 in words otherwise).
[[operations]]
include-name = "PATCH /tickets/{{ref}}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "428"]

# A bulk change's assignee must be an active agent, which no schema can say: 400 otherwise.
[[operations]]
include-name = "POST /tickets/bulk"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403"]

# A new ticket's subject and names must be safe in a mail header and its body a valid template,
# which no pattern says whole (400), and a suppressed requester is not mailed (422). Its files, as a
# reply's below (400, 413).
[[operations]]
include-name = "POST /tickets"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "409", "413", "422"]

# A reply's attachment ids fit their pattern but must name an upload or a file of the thread (400
# in words otherwise), and its files fit the deployment's limits (413), which no schema can say.
[[operations]]
include-name = "POST /tickets/{{ref}}/replies"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "413", "422"]

# A file over the deployment's per-file limit (a setting, not a constant of the spec) is a 413, and
# one whose name or type says it is a program a 400.
[[operations]]
include-name = "POST /attachments"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "413"]

# Only held mail can be deleted or released, which no schema can say: 409 for any other ticket; an
# acknowledgement asked for held mail that is not spam is a 400.
[[operations]]
include-name = "DELETE /tickets/{{ref}}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409"]

[[operations]]
include-name = "POST /tickets/{{ref}}/release"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409"]

# A forward names messages and files of the ticket's thread and never goes to the requester, the
# ticket's Cc or the desk's own addresses, which no schema can say (400 in words); a held or merged
# ticket is a 409, a suppressed third party or one over SES's recipients a 422.
[[operations]]
include-name = "POST /tickets/{{ref}}/forwards"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "413", "422"]

# A report's span ends by today, starts by its end and covers at most 366 days, which no schema can
# say of two dates: a span that is not one is a 400.
[[operations]]
include-name = "GET /metrics"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403"]

# A preview's body may use a variable or tag that does not exist (400, naming the line), and its ref
# may fit the pattern of a reference no ticket has (404): no schema can say either.
[[operations]]
include-name = "POST /saved-replies/preview"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404"]

# A signature of more than 10 lines, or holding HTML, a variable or a control character, is a 400
# in words; a preview's queue must be one of the desk's: no pattern the generator handles says that.
[[operations]]
include-name = "PUT /me/signature"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401"]

[[operations]]
include-name = "POST /me/signature/preview"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401"]

# A merge names the version like PATCH (428 without one), and a ticket merged into itself is a 400.
[[operations]]
include-name = "POST /tickets/{{ref}}/merge"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "428"]

# Only a customer's message, not the ticket's first, can be split: a message id of the thread that
# is another's is a 400 in words, which no schema can say.
[[operations]]
include-name = "POST /tickets/{{ref}}/messages/{{message_id}}/split"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404", "409"]

# A webhook's host must be public: an address in a private, loopback, link-local or reserved range,
# or a name under .localhost or .internal, fits the URL's pattern but is refused (400 in words).
[[operations]]
include-name = "POST /webhooks"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "409"]

# An agent's queues must be the desk's (its configuration, which no schema holds), and an absence
# ends in the future, at most 366 days ahead: 400 in words otherwise.
[[operations]]
include-name = "PUT /agents/{{email}}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404"]

[[operations]]
include-name = "PUT /me/away"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401"]

# Watched queues must be the desk's: 400 naming the first that is not.
[[operations]]
include-name = "PUT /me/notifications"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401"]

# Which password, code or challenge is right no schema can say: a made-up one is a 401 in words,
# five failures for an address or from one IP in a window a 429, and a step answered without the
# field it asked for a 400.
[[operations]]
include-name = "POST /session"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "429"]

# A session is the cookie's, which an API token is not: without one, a 401 in words.
[[operations]]
include-name = "GET /session"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401"]

[[operations]]
include-name = "DELETE /session"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401"]

# Single sign-on: a 404 in words on a desk that offers none (as this one); where it is offered, a
# state no browser started is a 401, a person who is no agent a 403, a return address that is not
# the console's a 400, and the start and the finish a 302.
[[operations]]
include-name = "GET /session/sso"
checks.positive_data_acceptance.expected-statuses = ["302", "400", "401", "403", "404"]

# The code is the one mailed (401 otherwise, 429 after five failures).
[[operations]]
include-name = "POST /session/password-reset/confirm"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "429"]

[[operations]]
include-name = "POST /session/password-reset"
checks.positive_data_acceptance.expected-statuses = ["2xx", "429"]

# How a person signs in is changed from their signed-in session only: an API token is a 403 in words.
[[operations]]
include-name = "POST /me/two-step"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403"]

[[operations]]
include-name = "PUT /me/two-step"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403"]

[[operations]]
include-name = "DELETE /me/two-step"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403"]

# An invitation's address and name must be usable in a mail header and by the user pool, and its
# queues the desk's (400 in words); an active agent with the address is a 409.
[[operations]]
include-name = "POST /agents"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "409"]

# Only an agent who has not signed in yet gets a new temporary password (409 otherwise); the
# address must be an agent's (404).
[[operations]]
include-name = "POST /agents/{{email}}/invitation"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409"]

# A token's owner must be an active agent (404), an admin for the admin scope (400), and its name
# one line (400): no schema knows the agents.
[[operations]]
include-name = "POST /tokens"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404"]

# A key id that fits the pattern names no token the desk has made (404).
[[operations]]
include-name = "DELETE /tokens/{{key_id}}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404"]

# from and to must be dates or times with a zone, the span at most 400 days and in order, and a
# cursor one the desk made for them: 400 in words otherwise.
[[operations]]
include-name = "GET /audit"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403"]

# The knowledge base (docs/knowledge.md): a slug fits its pattern but may name no article (404) or one
# there is already (409); an owner must be an agent of the desk, and the slugs preview and images are
# the API's own (400); a draft saved over a version someone saved since, or a change over an
# article's older version, is a 409; 200 kB of Markdown is counted in bytes, which a length in
# characters does not say (413); an image's bytes must be a PNG, JPEG, GIF or WebP picture (400).
[[operations]]
include-name = "POST /articles"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "409", "413"]

[[operations]]
include-name = "PATCH /articles/{{slug}}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409"]

[[operations]]
include-name = "PUT /articles/{{slug}}/{{lang}}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "413"]

[[operations]]
include-name = "POST /articles/preview"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "413"]

[[operations]]
include-name = "POST /articles/images"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "413"]

# An article is drafted from the agents' replies: a ticket no agent answered yet is a 422 in words,
# which no schema can say of a reference.
[[operations]]
include-name = "POST /tickets/{{ref}}/article"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
"""


def _schemathesis(config: Path, phases: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and an installed tool
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            str(OPENAPI),
            "--checks",
            "all",
            "--phases",
            phases,
            "--workers",
            "2",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )


@pytest.mark.parametrize("as_admin", [True, False], ids=["admin", "no-token"])
def test_the_api_does_what_its_spec_says(desk: RunningDesk, tmp_path: Path, as_admin: bool) -> None:
    # A ticket for the stateful phase to find through the list (and its replies, notes, edits).
    desk.deliver(build_mail())
    token = (
        desk.add_agent(f"contract-{as_admin}@example.com", "Contract Admin", Role.ADMIN) if as_admin else None
    )
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(desk, token), encoding="utf-8")

    # Without a token every operation but the public pages is a 401: the coverage phase's boundary
    # values would only meet that 401 again, so that run leaves the phase out.
    done = _schemathesis(config, ALL_PHASES if as_admin else "examples,fuzzing,stateful")

    summary = (
        done.stdout[done.stdout.find("=== FAILURES") :] if "FAILURES" in done.stdout else done.stdout[-3000:]
    )
    assert done.returncode == 0, summary[:20000]
