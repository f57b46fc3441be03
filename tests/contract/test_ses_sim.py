"""Contract tests for SES v2 (WIRE.md §4.1, §4.4), against two independent references.

1. AWS's own client, ``boto3.client("sesv2")``, drives the SES simulator over loopback: what boto3
   serialises (SigV4, rest-json, base64 ``Raw.Data``) the simulator must accept, and what the
   simulator answers (``MessageId``, ``x-amzn-ErrorType`` codes, GetAccount) boto3 must parse.
2. crmtui's own SES sender (:class:`crmtui.connectors.ses.SesClient`) sends through moto's standalone
   server with moto's IAM authentication switched on (``/moto-api/reset-auth``), so moto recomputes
   every SigV4 signature with the secret of an IAM access key it issued (moto/iam/access_control.py
   ``IAMRequestBase.check_signature``): a wrongly signed request is refused, a good one lands in
   moto's SES backend.
"""

from __future__ import annotations

import dataclasses
import email.utils
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from crmtui.connectors.errors import ConnectorError
from crmtui.connectors.ses import SesClient
from crmtui.connectors.smtp import OutgoingEmail, RecipientRejected
from crmtui.sandbox.control import Fault
from crmtui.sandbox.loopback import LoopbackServer
from crmtui.sandbox.mail import (
    SANDBOX_FROM,
    SES_ACCESS_KEY_ID,
    SES_REGION,
    SES_SECRET_ACCESS_KEY,
    SesSim,
    parse_message,
)
from crmtui.secrets import Secret

REGION = "eu-west-3"
assert SES_REGION == REGION
TO = "alice@exemple.fr"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=30, read_timeout=30)


# -- 1. boto3's sesv2 client against the simulator ------------------------------------------------


@pytest.fixture
def sim() -> Iterator[SesSim]:
    ses = SesSim(max_send_rate=50, max_24h_send=1000)
    server = LoopbackServer(ses.app)
    ses.url = server.start()  # type: ignore[attr-defined]
    yield ses
    server.stop()


def sesv2(sim: SesSim, *, secret: str = SES_SECRET_ACCESS_KEY, key: str = SES_ACCESS_KEY_ID) -> Any:
    return boto3.client(
        "sesv2",
        endpoint_url=sim.url,  # type: ignore[attr-defined]
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=NO_RETRY,
    )


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    err = exc.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Message"]


def test_boto3_send_email_simple_with_headers_and_tags(sim: SesSim) -> None:
    answer = sesv2(sim).send_email(
        FromEmailAddress=SANDBOX_FROM,
        Destination={"ToAddresses": [TO]},
        Content={
            "Simple": {
                "Subject": {"Data": "Nouveautés du domaine", "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": "Bonjour Alice", "Charset": "UTF-8"},
                    "Html": {"Data": "<p>Bonjour Alice</p>", "Charset": "UTF-8"},
                },
                "Headers": [
                    {"Name": "List-Unsubscribe", "Value": "<https://crm.domaine-exemple.fr/u/abc>"},
                    {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
                    {"Name": "Message-ID", "Value": "<ours-123@domaine-exemple.fr>"},
                ],
            }
        },
        EmailTags=[{"Name": "ledger_key", "Value": "k1"}, {"Name": "scenario", "Value": "Bienvenue"}],
        ConfigurationSetName="crm-events",
    )
    message_id = answer["MessageId"]
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    [kept] = sim.messages
    assert (
        kept["MessageId"] == message_id and kept["To"] == [TO] and kept["Subject"] == "Nouveautés du domaine"
    )
    assert kept["Tags"] == {"ledger_key": "k1", "scenario": "Bienvenue"}
    assert kept["ConfigurationSetName"] == "crm-events"
    assert sim.deliveries == {"k1": 1}

    delivered = parse_message(kept["raw"])
    # "If you provide a Message-ID header, Amazon SES overrides the header with its own value"
    # (docs.aws.amazon.com/ses/latest/dg/header-fields.html); the Date is SES's acceptance time.
    assert delivered["Message-ID"] == f"<{message_id}@{REGION}.amazonses.com>"
    assert "ours-123" not in kept["raw"].decode()
    accepted = email.utils.parsedate_to_datetime(delivered["Date"])
    assert abs(accepted - datetime.now(UTC)) < timedelta(minutes=10)
    assert delivered["Subject"] == "Nouveautés du domaine" and delivered["To"] == TO
    assert delivered["List-Unsubscribe"] == "<https://crm.domaine-exemple.fr/u/abc>"
    assert delivered.get_body(("plain",)).get_content().strip() == "Bonjour Alice"  # type: ignore[union-attr]
    assert delivered.get_body(("html",)).get_content().strip() == "<p>Bonjour Alice</p>"  # type: ignore[union-attr]


def raw_message(subject: str = "Raw hello", to: str = TO) -> bytes:
    msg = EmailMessage()
    msg["From"] = SANDBOX_FROM
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Mon, 01 Jan 2001 00:00:00 +0000"
    msg["Message-ID"] = "<raw-ours@domaine-exemple.fr>"
    msg.set_content("Bonjour en brut")
    msg.add_alternative("<p>Bonjour en brut</p>", subtype="html")
    return msg.as_bytes()


def test_boto3_send_email_raw_is_base64_on_the_wire_and_rewritten_like_simple(sim: SesSim) -> None:
    client = sesv2(sim)
    with_destination = client.send_email(
        FromEmailAddress=SANDBOX_FROM,
        Destination={"ToAddresses": ["bob@exemple.fr"]},
        Content={"Raw": {"Data": raw_message()}},  # boto3 base64-encodes the blob itself
        EmailTags=[{"Name": "ledger_key", "Value": "k2"}],
    )
    from_headers = client.send_email(Content={"Raw": {"Data": raw_message("Second", to="carol@exemple.fr")}})
    first, second = sim.messages
    assert first["MessageId"] == with_destination["MessageId"] and first["To"] == ["bob@exemple.fr"]
    assert second["MessageId"] == from_headers["MessageId"] and second["To"] == ["carol@exemple.fr"]
    assert second["From"] == SANDBOX_FROM and second["Subject"] == "Second"
    assert first["Body"]["Html"]["Data"].strip() == "<p>Bonjour en brut</p>"
    for kept in (first, second):
        delivered = parse_message(kept["raw"])
        assert delivered["Message-ID"] == f"<{kept['MessageId']}@{REGION}.amazonses.com>"
        assert delivered["Date"] != "Mon, 01 Jan 2001 00:00:00 +0000"
        assert kept["Headers"]["Message-ID"] == "<raw-ours@domaine-exemple.fr>"  # as submitted
    # The submitted Message-ID identifies the delivery when there is no ledger_key tag.
    assert sim.deliveries == {"k2": 1, "raw-ours@domaine-exemple.fr": 1}


def test_boto3_get_account_and_create_email_identity(sim: SesSim) -> None:
    client = sesv2(sim)
    account = client.get_account()
    assert account["SendQuota"] == {"Max24HourSend": 1000.0, "MaxSendRate": 50.0, "SentLast24Hours": 0.0}
    assert account["SendingEnabled"] is True and account["ProductionAccessEnabled"] is True

    with pytest.raises(ClientError) as refused:
        client.send_email(
            FromEmailAddress="ventes@autre-domaine.fr",
            Destination={"ToAddresses": [TO]},
            Content={"Simple": {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}}},
        )
    code, status, message = error_of(refused)
    assert (code, status) == ("MessageRejected", 400)
    assert message.startswith("Email address is not verified.") and "ventes@autre-domaine.fr" in message

    created = client.create_email_identity(EmailIdentity="autre-domaine.fr")
    assert created["IdentityType"] == "DOMAIN" and created["VerifiedForSendingStatus"] is True
    client.send_email(
        FromEmailAddress="ventes@autre-domaine.fr",
        Destination={"ToAddresses": [TO]},
        Content={"Simple": {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}}},
    )
    assert client.get_account()["SendQuota"]["SentLast24Hours"] == 1.0


def test_boto3_reads_every_simulated_error_code(sim: SesSim) -> None:
    client = sesv2(sim)
    simple = {"Simple": {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}}}

    sim.reject_addresses.add("blocked@exemple.fr")
    with pytest.raises(ClientError) as rejected:
        client.send_email(
            FromEmailAddress=SANDBOX_FROM, Destination={"ToAddresses": ["blocked@exemple.fr"]}, Content=simple
        )
    assert error_of(rejected)[:2] == ("MessageRejected", 400)

    sim.control.add_fault(Fault("rate_limit"), times=1)
    with pytest.raises(ClientError) as throttled:
        client.send_email(FromEmailAddress=SANDBOX_FROM, Destination={"ToAddresses": [TO]}, Content=simple)
    assert error_of(throttled) == ("TooManyRequestsException", 429, "Maximum sending rate exceeded.")

    sim.max_24h_send = 0
    with pytest.raises(ClientError) as quota:
        client.send_email(FromEmailAddress=SANDBOX_FROM, Destination={"ToAddresses": [TO]}, Content=simple)
    # The daily quota is a throttling error
    # (https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html).
    assert error_of(quota) == ("TooManyRequestsException", 429, "Daily message quota exceeded.")

    with pytest.raises(ClientError) as bad_secret:
        sesv2(sim, secret="not-the-secret").get_account()
    code, status, _ = error_of(bad_secret)
    assert status == 403 and code == "InvalidSignatureException"
    with pytest.raises(ClientError) as bad_key:
        sesv2(sim, key="AKIANOTTHEKEY0000000").get_account()
    assert error_of(bad_key)[:2] == ("UnrecognizedClientException", 403)
    assert not sim.messages


# -- 2. crmtui's SES sender against moto's server --------------------------------------------------


@pytest.fixture
def moto() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        yield url
    finally:
        # moto's auth switch and backends are process-wide: leave them as found.
        httpx.post(f"{url}/moto-api/reset-auth", content=b"inf", timeout=30)
        httpx.post(f"{url}/moto-api/reset", timeout=30)
        server.stop()


def moto_client(service: str, url: str, **creds: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=creds.get("key", "testing"),
        aws_secret_access_key=creds.get("secret", "testing"),
        config=NO_RETRY,
    )


def issue_key(url: str) -> tuple[str, str]:
    """An IAM user allowed ``ses:*`` and its access key, created before authentication is switched on."""
    iam = moto_client("iam", url)
    iam.create_user(UserName="crmtui")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ses:*", "Resource": "*"}]}
    iam.put_user_policy(UserName="crmtui", PolicyName="send", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="crmtui")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def outgoing(to: str, key: str = "k-moto-1") -> OutgoingEmail:
    return OutgoingEmail(
        key=key,
        message_id=f"{key}@domaine-exemple.fr",
        from_addr=SANDBOX_FROM,
        to=to,
        subject="Bonjour",
        html="<p>Bonjour</p>",
        text="Bonjour",
        unsubscribe_url="https://crm.domaine-exemple.fr/u/abc",
        tags={"ledger_key": key},
    )


def sent_in_moto(url: str) -> list[dict[str, Any]]:
    """moto's SES backend's sent messages, read through its own model dump (``/moto-api/data.json``)."""
    data = httpx.get(f"{url}/moto-api/data.json", timeout=30).json()
    return list(data.get("ses", {}).get("Message", []))


async def test_crmtui_ses_sender_is_accepted_by_moto_with_sigv4_checked(moto: str) -> None:
    key_id, secret = issue_key(moto)
    moto_client("sesv2", moto).create_email_identity(EmailIdentity="contact@domaine-exemple.fr")
    on = httpx.post(f"{moto}/moto-api/reset-auth", content=b"0", timeout=30)  # every request from now on
    assert on.status_code == 200, on.text
    answers: list[tuple[int, str, str]] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        answers.append(
            (response.status_code, response.request.headers.get("authorization", ""), response.text)
        )

    async with httpx.AsyncClient(timeout=30, event_hooks={"response": [keep]}) as http:

        def sender(secret_key: str, access_key: str = key_id) -> SesClient:
            return SesClient(
                http,
                region=REGION,
                access_key_id=access_key,
                secret_access_key=Secret(secret_key),
                endpoint_url=moto,
            )

        # moto recomputes the signature with the key's secret: a wrong secret does not match. moto
        # answers this in the query protocol's XML without x-amzn-ErrorType (SES v2 answers JSON with
        # the header, which crmtui reads as AuthError); without an SES error code crmtui cannot know
        # the answer came from SES, so it keeps the send's fate unknown rather than call it refused.
        with pytest.raises(ConnectorError) as wrong:
            await sender("0" * 40).send(outgoing(TO, "k-wrong"))
        assert wrong.value.status == 403 and "<Code>SignatureDoesNotMatch</Code>" in answers[-1][2]
        with pytest.raises(ConnectorError):
            await sender(secret, access_key="AKIA0000000000000000").send(outgoing(TO, "k-nokey"))
        assert answers[-1][0] == 403 and "InvalidClientTokenId" in answers[-1][2]
        assert sent_in_moto(moto) == []

        message_id = await sender(secret).send(outgoing(TO))
        status, authorization, _ = answers[-1]
        assert status == 200 and message_id
        # The signature moto accepted: SigV4, credential scope <key>/<day>/eu-west-3/ses/aws4_request.
        assert re.fullmatch(
            rf"AWS4-HMAC-SHA256 Credential={key_id}/\d{{8}}/{REGION}/ses/aws4_request, "
            r"SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}",
            authorization,
        ), authorization

        # An unverified From is refused by moto too, as a MessageRejected for that message.
        other = dataclasses.replace(
            outgoing("bob@exemple.fr", "k-moto-2"), from_addr="ventes@autre-domaine.fr"
        )
        with pytest.raises(RecipientRejected):
            await sender(secret).send(other)

    # Only the good signature's message landed, as crmtui built it (moto keeps the HTML body of Simple).
    [landed] = sent_in_moto(moto)
    assert landed == {
        "id": message_id,
        "source": SANDBOX_FROM,
        "destinations": {"ToAddresses": [TO]},
        "subject": "Bonjour",
        "body": "<p>Bonjour</p>",
    }
