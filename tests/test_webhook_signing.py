"""Webhook signatures, checked by the Standard Webhooks reference verifier (the `standardwebhooks` package)."""
from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timezone

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from helios_dash.webhooks.signing import new_secret, secret_key, sign

BODY = json.dumps({"type": "validation.completed", "data": {"quality": 87.5, "name": "Bücher"}}).encode()


def test_new_secrets_are_whsec_base64_of_32_random_bytes():
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32


def test_the_reference_verifier_accepts_our_signature():
    secret, now = new_secret(), int(time.time())
    headers = sign(secret, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", now, BODY)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-timestamp"] == str(now)
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_a_datetime_timestamp_signs_as_its_whole_seconds():
    secret, moment = new_secret(), datetime.now(timezone.utc).replace(microsecond=654321)
    assert sign(secret, "msg_1", moment, BODY) == sign(secret, "msg_1", int(moment.timestamp()), BODY)
    Webhook(secret).verify(BODY, sign(secret, "msg_1", moment, BODY))


def test_the_spec_example_signature():
    """The test vector published with the Standard Webhooks specification (independent of our code)."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    headers = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.parametrize("tamper", ["body", "timestamp", "id", "secret"])
def test_tampering_fails_verification(tamper):
    secret, now = new_secret(), int(time.time())
    headers = sign(secret, "msg_1", now, BODY)
    body = BODY
    if tamper == "body":
        body = BODY.replace(b"87.5", b"97.5")
    elif tamper == "timestamp":
        headers["webhook-timestamp"] = str(now - 1)
    elif tamper == "id":
        headers["webhook-id"] = "msg_2"
    else:
        secret = new_secret()
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_an_old_signature_is_refused_as_a_replay():
    secret = new_secret()
    headers = sign(secret, "msg_1", int(time.time()) - 3600, BODY)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, headers)


@pytest.mark.parametrize("bad", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_not base64!"])
def test_a_malformed_secret_is_refused(bad):
    with pytest.raises(ValueError):
        secret_key(bad)
