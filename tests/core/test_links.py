"""CRM-signed agent links: HS256 JWTs checked against our clock, used once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cobrowse.core.links import (
    AUDIENCE,
    LEEWAY,
    MAX_LIFETIME,
    AgentLink,
    LinkError,
    LinkKey,
    ReplayCache,
    agent_name_problem,
    public_key,
    sign_link,
    verify_link,
)
from cobrowse.core.roles import Role

SECRET = "k" * 64
# Far from the wall clock on purpose: the check must use `now`, not time.time().
T0 = 2_500_000_000.0
JTI = "j" * 24


def claims(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "aud": AUDIENCE,
        "sub": "Asha Rao",
        "iat": int(T0),
        "exp": int(T0) + 300,
        "jti": JTI,
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def token(secret: str = SECRET, algorithm: str = "HS256", **over: Any) -> str:
    return jwt.encode(claims(**over), secret, algorithm=algorithm)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(header: dict[str, Any], payload: dict[str, Any], key: bytes | None) -> str:
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(payload).encode())
    sig = "" if key is None else b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())
    return signing_input + "." + sig


def test_constants() -> None:
    assert AUDIENCE == "cobrowse:agent-link"
    assert (MAX_LIFETIME, LEEWAY) == (3600.0, 30.0)


def test_round_trip() -> None:
    tok, expires_at = sign_link(secret=SECRET, agent="  Asha Rao ", now=T0, ttl=300)
    assert expires_at == T0 + 300
    link = verify_link(tok, secret=SECRET, now=T0 + 10)
    assert link.agent == "Asha Rao"
    assert link.expires_at == T0 + 300
    assert len(link.jti) >= 16


def test_a_link_carries_a_role_and_team() -> None:
    tok, _ = sign_link(
        secret=SECRET, agent="Meera", now=T0, ttl=60, role=Role.SUPERVISOR, team=" Refunds "
    )
    body = jwt.decode(tok, options={"verify_signature": False})
    assert (body["role"], body["team"]) == ("supervisor", "Refunds")
    link = verify_link(tok, secret=SECRET, now=T0)
    assert (link.role, link.team) == (Role.SUPERVISOR, "Refunds")
    plain = verify_link(
        sign_link(secret=SECRET, agent="A", now=T0, ttl=60)[0], secret=SECRET, now=T0
    )
    assert (plain.role, plain.team) == (Role.AGENT, None)
    with pytest.raises(LinkError, match="team"):
        sign_link(secret=SECRET, agent="A", now=T0, ttl=60, team="x" * 65)


@pytest.mark.parametrize(
    "claims",
    [{"role": "root"}, {"role": 1}, {"role": ["admin"]}, {"team": 7}, {"team": "a\nb"}],
)
def test_a_bad_role_or_team_claim_is_refused(claims: dict[str, object]) -> None:
    body = {"aud": AUDIENCE, "sub": "A", "iat": T0, "exp": T0 + 60, "jti": "j" * 20, **claims}
    tok = jwt.encode(body, SECRET, algorithm="HS256")
    with pytest.raises(LinkError, match="invalid link"):
        verify_link(tok, secret=SECRET, now=T0)


def test_a_crm_link_without_role_claim_is_an_agent() -> None:
    assert verify_link(token(), secret=SECRET, now=T0).role is Role.AGENT


def test_signed_claims_follow_the_recipe() -> None:
    tok, _ = sign_link(secret=SECRET, agent="Asha", now=T0 + 0.7, ttl=60)
    header = jwt.get_unverified_header(tok)
    assert header["alg"] == "HS256"
    body = jwt.decode(tok, options={"verify_signature": False})
    assert body["aud"] == AUDIENCE
    assert body["sub"] == "Asha"
    assert body["iat"] == int(T0)
    assert body["exp"] == int(T0 + 60.7)
    assert isinstance(body["jti"], str) and len(body["jti"]) >= 16


def test_every_link_has_a_new_jti() -> None:
    jtis = {
        verify_link(
            sign_link(secret=SECRET, agent="A", now=T0, ttl=60)[0], secret=SECRET, now=T0
        ).jti
        for _ in range(20)
    }
    assert len(jtis) == 20


def test_a_crm_built_token_verifies() -> None:
    link = verify_link(token(), secret=SECRET, now=T0)
    assert link == AgentLink(agent="Asha Rao", jti=JTI, expires_at=T0 + 300)


def test_verification_ignores_the_wall_clock() -> None:
    assert abs(time.time() - T0) > 10**7
    past = 1_000_000_000.0
    tok = token(iat=int(past), exp=int(past) + 300)
    assert verify_link(tok, secret=SECRET, now=past + 1).agent == "Asha Rao"
    with pytest.raises(LinkError):
        verify_link(token(), secret=SECRET, now=time.time())


@pytest.mark.parametrize("ttl", [0, -1, MAX_LIFETIME + 1, 10**6])
def test_sign_rejects_bad_ttl(ttl: float) -> None:
    with pytest.raises(LinkError, match="at most 3600"):
        sign_link(secret=SECRET, agent="Asha", now=T0, ttl=ttl)


def test_sign_accepts_max_ttl() -> None:
    tok, exp = sign_link(secret=SECRET, agent="Asha", now=T0, ttl=MAX_LIFETIME)
    assert verify_link(tok, secret=SECRET, now=T0).expires_at == exp


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("a" * 81, "longer than 80"),
        ("Asha\nRao", "control"),
        ("Asha\x7f", "control"),
        ("\x00", "control"),
    ],
)
def test_agent_name_problems(name: str, problem: str) -> None:
    found = agent_name_problem(name)
    assert found is not None and problem in found
    with pytest.raises(LinkError, match=problem):
        sign_link(secret=SECRET, agent=name, now=T0, ttl=60)


@pytest.mark.parametrize("name", ["Asha", "a" * 80, " Asha Rao ", "\u0906\u0936\u093e"])
def test_agent_names_ok(name: str) -> None:
    assert agent_name_problem(name) is None


# --- rejections -------------------------------------------------------------------


def rejected(tok: str, *, now: float = T0, secret: str = SECRET) -> str:
    with pytest.raises(LinkError) as info:
        verify_link(tok, secret=secret, now=now)
    return str(info.value)


def test_wrong_secret() -> None:
    assert "invalid link" in rejected(token(secret="x" * 64))


def test_tampered_payload() -> None:
    head, _, sig = token().split(".")
    other = token(sub="Mallory").split(".")[1]
    assert "invalid link" in rejected(f"{head}.{other}.{sig}")


def test_expiry_with_leeway() -> None:
    tok = token()
    exp = T0 + 300
    assert verify_link(tok, secret=SECRET, now=exp).agent == "Asha Rao"
    assert verify_link(tok, secret=SECRET, now=exp + LEEWAY - 0.001).agent == "Asha Rao"
    assert "expired" in rejected(tok, now=exp + LEEWAY)
    assert "expired" in rejected(tok, now=exp + 10_000)


def test_issued_in_the_future_with_leeway() -> None:
    tok = token(iat=int(T0) + 30, exp=int(T0) + 300)
    assert verify_link(tok, secret=SECRET, now=T0).agent == "Asha Rao"
    tok = token(iat=int(T0) + 31, exp=int(T0) + 300)
    assert "future" in rejected(tok, now=T0)


def test_lifetime_over_an_hour() -> None:
    assert verify_link(token(exp=int(T0) + 3600), secret=SECRET, now=T0)
    assert "too long" in rejected(token(exp=int(T0) + 3601))


@pytest.mark.parametrize("missing", ["aud", "sub", "iat", "exp", "jti"])
def test_missing_claims(missing: str) -> None:
    tok = jwt.encode(claims(**{missing: None}), SECRET, algorithm="HS256")
    assert missing in rejected(tok)


@pytest.mark.parametrize("aud", ["cobrowse:other", "", ["cobrowse:other"]])
def test_wrong_audience(aud: Any) -> None:
    assert "invalid link" in rejected(token(aud=aud))


@pytest.mark.parametrize("jti", ["short", "x" * 15, ""])
def test_short_jti(jti: str) -> None:
    assert "jti" in rejected(token(jti=jti))


def test_jti_of_16_is_enough() -> None:
    assert verify_link(token(jti="x" * 16), secret=SECRET, now=T0).jti == "x" * 16


@pytest.mark.parametrize("sub", ["", "a" * 81, "A\nB"])
def test_bad_agent_name_in_token(sub: str) -> None:
    assert "agent name" in rejected(token(sub=sub))


@pytest.mark.parametrize(
    ("field", "value"), [("iat", "now"), ("exp", "later"), ("iat", True), ("exp", None)]
)
def test_non_numeric_times(field: str, value: Any) -> None:
    payload = claims()
    payload[field] = value
    rejected(forged({"alg": "HS256", "typ": "JWT"}, payload, SECRET.encode()))


def test_alg_none_is_rejected() -> None:
    tok = forged({"alg": "none", "typ": "JWT"}, claims(), None)
    assert "invalid link" in rejected(tok)
    tok = jwt.encode(claims(), None, algorithm="none")
    assert "invalid link" in rejected(tok)


@pytest.mark.parametrize("alg", ["RS256", "ES256", "HS512", "hs256"])
def test_other_algorithms_are_rejected_even_with_an_hmac_of_the_secret(alg: str) -> None:
    # Algorithm confusion: the header claims another algorithm; the signature is
    # a valid HMAC-SHA256 made with the very secret the server holds.
    tok = forged({"alg": alg, "typ": "JWT"}, claims(), SECRET.encode())
    assert "invalid link" in rejected(tok)


def test_hs512_with_the_right_secret_is_rejected() -> None:
    assert "invalid link" in rejected(token(algorithm="HS512"))


@pytest.mark.parametrize("tok", ["", "abc", "a.b.c", "a.b", "...."])
def test_garbage_tokens(tok: str) -> None:
    assert "invalid link" in rejected(tok)


def test_oversized_token() -> None:
    assert "too long" in rejected("a" * 4097)


# --- single use -------------------------------------------------------------------


def link(jti: str = JTI, exp: float = T0 + 300) -> AgentLink:
    return AgentLink(agent="Asha", jti=jti, expires_at=exp)


def test_replay_cache_single_use() -> None:
    cache = ReplayCache()
    assert cache.use(link(), now=T0) is True
    assert cache.use(link(), now=T0 + 1) is False
    assert cache.use(link(), now=T0 + 300 + LEEWAY - 0.001) is False
    assert cache.use(link("other" * 4), now=T0 + 2) is True


def test_replay_cache_forgets_after_expiry_plus_leeway() -> None:
    cache = ReplayCache()
    cache.use(link(), now=T0)
    cache.use(link("b" * 20, exp=T0 + 3000), now=T0)
    cache.use(link("c" * 20, exp=T0 + 10), now=T0 + 300 + LEEWAY)  # triggers pruning
    assert JTI not in cache._seen
    assert "b" * 20 in cache._seen
    # By then verify_link refuses the link anyway, so forgetting is safe.
    with pytest.raises(LinkError, match="expired"):
        verify_link(token(), secret=SECRET, now=T0 + 300 + LEEWAY)


def test_cache_with_verified_links() -> None:
    cache = ReplayCache()
    tok, _ = sign_link(secret=SECRET, agent="Asha", now=T0, ttl=60)
    first = verify_link(tok, secret=SECRET, now=T0 + 1)
    assert cache.use(first, now=T0 + 1)
    again = verify_link(tok, secret=SECRET, now=T0 + 2)  # still valid as a token
    assert not cache.use(again, now=T0 + 2)


# --- public-key links (RS256, ES256), kid, issuer, algorithm pinning -----------------

RSA_PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_PRIVATE = ec.generate_private_key(ec.SECP256R1())
OTHER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(private: Any) -> bytes:
    return bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def signed(private: Any, alg: str, *, kid: str | None = None, **over: Any) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims(**over), private, algorithm=alg, headers=headers)


def test_public_key_algorithm_comes_from_the_key() -> None:
    assert public_key(pem(RSA_PRIVATE)).alg == "RS256"
    assert public_key(pem(EC_PRIVATE), kid="crm-ec").alg == "ES256"
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(LinkError, match="2048"):
        public_key(pem(small))
    with pytest.raises(LinkError, match="P-256"):
        public_key(pem(ec.generate_private_key(ec.SECP384R1())))
    with pytest.raises(LinkError, match="PEM"):
        public_key(b"not a key")


def test_rs256_and_es256_links_verify_with_the_public_key() -> None:
    keys = [public_key(pem(RSA_PRIVATE), kid="rsa-1"), public_key(pem(EC_PRIVATE), kid="ec-1")]
    got = verify_link(signed(RSA_PRIVATE, "RS256", kid="rsa-1"), keys=keys, now=T0)
    assert got.agent == "Asha Rao"
    assert verify_link(signed(EC_PRIVATE, "ES256", kid="ec-1"), keys=keys, now=T0).jti == JTI


def test_a_single_public_key_needs_no_kid() -> None:
    keys = [public_key(pem(RSA_PRIVATE))]
    assert verify_link(signed(RSA_PRIVATE, "RS256"), keys=keys, secret=SECRET, now=T0)
    # ... and the shared secret still works beside it.
    assert verify_link(token(), keys=keys, secret=SECRET, now=T0)


def test_kid_selects_the_key_and_an_unknown_kid_is_refused() -> None:
    keys = [public_key(pem(RSA_PRIVATE), kid="a"), public_key(pem(OTHER_RSA), kid="b")]
    assert verify_link(signed(OTHER_RSA, "RS256", kid="b"), keys=keys, now=T0)
    with pytest.raises(LinkError, match="Signature verification failed"):
        verify_link(signed(OTHER_RSA, "RS256", kid="a"), keys=keys, now=T0)
    with pytest.raises(LinkError, match="unknown key id"):
        verify_link(signed(RSA_PRIVATE, "RS256", kid="c"), keys=keys, now=T0)


def test_signed_by_another_private_key_is_refused() -> None:
    keys = [public_key(pem(RSA_PRIVATE))]
    with pytest.raises(LinkError, match="Signature verification failed"):
        verify_link(signed(OTHER_RSA, "RS256"), keys=keys, now=T0)


@pytest.mark.parametrize("kid", [None, "rsa-1"])
def test_hs256_signed_with_the_public_key_as_secret_is_refused(kid: str | None) -> None:
    # The RS256/HS256 confusion: the attacker knows the public key (it is public) and
    # signs an HS256 token using its PEM text as the HMAC secret.
    keys = [public_key(pem(RSA_PRIVATE), kid=kid)]
    header = {"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid else {})}
    tok = forged(header, claims(), pem(RSA_PRIVATE))
    with pytest.raises(LinkError, match="invalid link"):
        verify_link(tok, keys=keys, now=T0)
    # Even with a shared secret configured too, the secret is what HS256 is checked with.
    with pytest.raises(LinkError, match="invalid link"):
        verify_link(tok, keys=keys, secret=SECRET, now=T0)


def test_a_public_key_is_never_used_with_another_algorithm() -> None:
    keys = [public_key(pem(RSA_PRIVATE), kid="k")]
    ps256 = signed(RSA_PRIVATE, "PS256", kid="k")  # same key, other algorithm
    with pytest.raises(LinkError, match="no key for algorithm"):
        verify_link(ps256, keys=keys, now=T0)
    rs512 = signed(RSA_PRIVATE, "RS512", kid="k")
    with pytest.raises(LinkError, match="no key for algorithm"):
        verify_link(rs512, keys=keys, now=T0)


def test_issuer_is_required_when_configured() -> None:
    keys = [LinkKey(alg="RS256", key=public_key(pem(RSA_PRIVATE)).key, issuer="https://crm")]
    assert verify_link(signed(RSA_PRIVATE, "RS256", iss="https://crm"), keys=keys, now=T0)
    with pytest.raises(LinkError, match="iss"):
        verify_link(signed(RSA_PRIVATE, "RS256"), keys=keys, now=T0)
    with pytest.raises(LinkError, match="issuer"):
        verify_link(signed(RSA_PRIVATE, "RS256", iss="https://other"), keys=keys, now=T0)


def test_public_key_links_get_the_same_claim_checks() -> None:
    keys = [public_key(pem(RSA_PRIVATE))]
    with pytest.raises(LinkError, match="expired"):
        verify_link(signed(RSA_PRIVATE, "RS256"), keys=keys, now=T0 + 300 + LEEWAY)
    with pytest.raises(LinkError, match="too long"):
        verify_link(signed(RSA_PRIVATE, "RS256", exp=int(T0) + 3601), keys=keys, now=T0)
    with pytest.raises(LinkError, match="Audience"):
        verify_link(signed(RSA_PRIVATE, "RS256", aud="other"), keys=keys, now=T0)
    with pytest.raises(LinkError, match="jti"):
        verify_link(signed(RSA_PRIVATE, "RS256", jti="short"), keys=keys, now=T0)


def test_no_keys_at_all_refuses_everything() -> None:
    with pytest.raises(LinkError, match="invalid link"):
        verify_link(token(), now=T0)


def test_replay_cache_is_bounded_and_fails_closed() -> None:
    cache = ReplayCache(max_entries=2)
    assert cache.use(link("a" * 16), now=T0)
    assert cache.use(link("b" * 16), now=T0)
    assert not cache.use(link("c" * 16), now=T0)  # full: refused, nothing forgotten
    assert not cache.use(link("a" * 16), now=T0)
    assert cache.use(link("c" * 16), now=T0 + 300 + LEEWAY)  # the others expired
