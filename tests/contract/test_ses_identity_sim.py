"""Contract: the SES simulator's GetAccount and GetEmailIdentity, read by AWS's own sesv2 client.

Shapes: https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetAccount.html and
https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetEmailIdentity.html. boto3 signs the
identity's path percent-encoded (``contact%40domaine-exemple.fr``), so this also proves the
simulator verifies SigV4 on the path as sent; crmtui's own client is checked against the same
simulator with the same answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from crmtui.connectors.ses import SesClient
from crmtui.sandbox.loopback import LoopbackServer
from crmtui.sandbox.mail import SES_ACCESS_KEY_ID, SES_REGION, SES_SECRET_ACCESS_KEY, SesSim
from crmtui.secrets import Secret

NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=30, read_timeout=30)


@pytest.fixture
def sim() -> Iterator[SesSim]:
    ses = SesSim(max_send_rate=14, max_24h_send=50_000, verified=("domaine-exemple.fr", "moi@ailleurs.fr"))
    server = LoopbackServer(ses.app)
    ses.url = server.start()  # type: ignore[attr-defined]
    yield ses
    server.stop()


def sesv2(sim: SesSim) -> Any:
    return boto3.client(
        "sesv2",
        endpoint_url=sim.url,  # type: ignore[attr-defined]
        region_name=SES_REGION,
        aws_access_key_id=SES_ACCESS_KEY_ID,
        aws_secret_access_key=SES_SECRET_ACCESS_KEY,
        config=NO_RETRY,
    )


def test_boto3_get_account_shape(sim: SesSim) -> None:
    sim.production_access = False
    account = sesv2(sim).get_account()
    assert account["SendQuota"] == {"Max24HourSend": 50000.0, "MaxSendRate": 14.0, "SentLast24Hours": 0.0}
    assert account["SendingEnabled"] is True and account["ProductionAccessEnabled"] is False
    assert account["EnforcementStatus"] == "HEALTHY"
    sim.sending_paused = True
    assert sesv2(sim).get_account()["SendingEnabled"] is False


def test_boto3_get_email_identity_domain_address_pending_and_unknown(sim: SesSim) -> None:
    client = sesv2(sim)
    domain = client.get_email_identity(EmailIdentity="domaine-exemple.fr")
    assert domain["IdentityType"] == "DOMAIN"
    assert domain["VerifiedForSendingStatus"] is True and domain["VerificationStatus"] == "SUCCESS"
    assert domain["DkimAttributes"]["Status"] == "SUCCESS" and len(domain["DkimAttributes"]["Tokens"]) == 3
    assert domain["FeedbackForwardingStatus"] is True

    address = client.get_email_identity(EmailIdentity="moi@ailleurs.fr")  # '@' is %40 on the wire
    assert address["IdentityType"] == "EMAIL_ADDRESS" and address["VerifiedForSendingStatus"] is True

    sim.pending.add("attente@ailleurs.fr")
    pending = client.get_email_identity(EmailIdentity="attente@ailleurs.fr")
    assert pending["VerifiedForSendingStatus"] is False and pending["VerificationStatus"] == "PENDING"

    with pytest.raises(ClientError) as exc:
        client.get_email_identity(EmailIdentity="inconnu@nulle-part.fr")
    err = exc.value.response
    assert err["Error"]["Code"] == "NotFoundException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 404


async def test_crmtui_client_reads_the_same_answers(sim: SesSim) -> None:
    async with httpx.AsyncClient() as http:
        client = SesClient(
            http,
            region=SES_REGION,
            access_key_id=SES_ACCESS_KEY_ID,
            secret_access_key=Secret(SES_SECRET_ACCESS_KEY),
            endpoint_url=sim.url,  # type: ignore[attr-defined]
        )
        account = await client.get_account()
        assert (account.max_24h_send, account.max_send_rate, account.production_access) == (50000, 14, True)
        address = await client.get_email_identity("moi@ailleurs.fr")
        assert address is not None and address.verified and address.kind == "EMAIL_ADDRESS"
        assert await client.get_email_identity("inconnu@nulle-part.fr") is None
        by_domain = await client.sender_identity("Domaine <contact@domaine-exemple.fr>")
        assert by_domain is not None and by_domain.identity == "domaine-exemple.fr" and by_domain.verified
        assert await client.sender_identity("x@nulle-part.fr") is None
