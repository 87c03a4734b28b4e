"""The pure half of OpenID Connect: PKCE, discovery, key choice, id_token checks."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cobrowse.core.oidc import (
    Discovery,
    OidcError,
    UnknownKey,
    agent_name,
    agent_role,
    authorization_url,
    parse_discovery,
    pkce_challenge,
    pkce_pair,
    signing_key,
    verify_id_token,
)
from cobrowse.core.roles import Role

ISS = "https://idp.example"
T0 = 2_000_000_000.0
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def jwk(private: Any, **extra: Any) -> dict[str, Any]:
    algo = (
        jwt.algorithms.RSAAlgorithm
        if isinstance(private, rsa.RSAPrivateKey)
        else (jwt.algorithms.ECAlgorithm)
    )
    return {**algo.to_jwk(private.public_key(), as_dict=True), **extra}


def id_token(
    private: Any = RSA_KEY, alg: str = "RS256", kid: str | None = "r1", **over: Any
) -> str:
    claims = {
        "iss": ISS,
        "aud": "client",
        "sub": "u1",
        "exp": int(T0) + 300,
        "iat": int(T0),
        "nonce": "n" * 32,
        "name": "Asha Rao",
        **over,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, private, alg, headers={"kid": kid} if kid else None)


JWKS = {"keys": [jwk(RSA_KEY, kid="r1", use="sig"), jwk(EC_KEY, kid="e1")]}


def verify(token: str, jwks: Any = JWKS, now: float = T0) -> dict[str, Any]:
    return verify_id_token(
        token, jwks=jwks, issuer=ISS, client_id="client", nonce="n" * 32, now=now
    )


def test_pkce_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    v, c = pkce_pair()
    assert len(v) == 43 and pkce_challenge(v) == c and pkce_pair()[0] != v


def test_authorization_url_carries_everything() -> None:
    d = Discovery(ISS, f"{ISS}/auth?tenant=x", f"{ISS}/token", f"{ISS}/jwks")
    url = authorization_url(
        d,
        client_id="c",
        redirect_uri="https://us/cb",
        scopes="openid",
        state="s",
        nonce="n",
        code_challenge="ch",
    )
    q = parse_qs(urlsplit(url).query)
    assert q["tenant"] == ["x"] and q["code_challenge_method"] == ["S256"]
    assert {k: v[0] for k, v in q.items() if k != "tenant"} == {
        "response_type": "code",
        "client_id": "c",
        "redirect_uri": "https://us/cb",
        "scope": "openid",
        "state": "s",
        "nonce": "n",
        "code_challenge": "ch",
        "code_challenge_method": "S256",
    }


def discovery(**over: Any) -> dict[str, Any]:
    doc = {
        "issuer": ISS,
        "authorization_endpoint": f"{ISS}/a",
        "token_endpoint": f"{ISS}/t",
        "jwks_uri": f"{ISS}/k",
    }
    return {**doc, **over}


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        ([], "not a JSON object"),
        (discovery(issuer="https://other"), "names issuer"),
        (discovery(issuer=ISS + "/"), "names issuer"),
        (discovery(token_endpoint=None), "token_endpoint"),
        (discovery(jwks_uri="ftp://x"), "jwks_uri"),
        (discovery(token_endpoint="http://idp.example/t"), "not https"),
        (discovery(code_challenge_methods_supported=["plain"]), "PKCE"),
    ],
)
def test_bad_discovery_documents(doc: Any, why: str) -> None:
    with pytest.raises(OidcError, match=why):
        parse_discovery(doc, issuer=ISS)


def test_good_discovery() -> None:
    assert parse_discovery(discovery(), issuer=ISS).token_endpoint == f"{ISS}/t"


def test_rs256_and_es256_tokens_verify() -> None:
    assert verify(id_token())["name"] == "Asha Rao"
    assert verify(id_token(EC_KEY, "ES256", kid="e1"))["sub"] == "u1"


def test_no_kid_is_fine_with_a_single_key_only() -> None:
    one = {"keys": [jwk(RSA_KEY)]}
    assert verify(id_token(kid=None), jwks=one)
    with pytest.raises(OidcError, match="several"):
        verify(id_token(kid=None))


def test_key_and_algorithm_must_agree() -> None:
    with pytest.raises(OidcError, match="is for RS256, not ES256"):
        verify(id_token(EC_KEY, "ES256", kid="r1"))
    with pytest.raises(UnknownKey):
        verify(id_token(kid="zz"))
    with pytest.raises(OidcError, match="not accepted"):
        verify(jwt.encode({"iss": ISS}, "s" * 32, "HS256", headers={"kid": "r1"}))
    with pytest.raises(OidcError, match="not accepted"):
        verify(id_token(alg="PS256"))


def test_unsuitable_keys_in_the_jwks_are_ignored() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    jwks = {
        "keys": [
            jwk(small, kid="r1"),
            jwk(RSA_KEY, kid="enc", use="enc"),
            jwk(RSA_KEY, kid="r2", alg="RS512"),
            {"kty": "nonsense", "kid": "x"},
        ]
    }
    for kid in ("r1", "enc", "r2", "x"):
        with pytest.raises(UnknownKey):
            signing_key(id_token(kid=kid), jwks)
    with pytest.raises(OidcError, match="no keys"):
        signing_key(id_token(), {"nokeys": 1})


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"nonce": "x" * 32}, "wrong_nonce"),
        ({"nonce": 5}, "wrong_nonce"),
        ({"aud": "other"}, "wrong_audience"),
        ({"aud": ["client", "other"]}, "wrong_audience"),
        ({"iss": "https://evil"}, "wrong_issuer"),
        ({"exp": int(T0) - 61}, "expired"),
        ({"iat": int(T0) + 61}, "bad_id_token"),
        ({"iat": int(T0) - 601}, "bad_id_token"),
        ({"nbf": int(T0) + 61}, "bad_id_token"),
        ({"sub": None}, "bad_id_token"),
        ({"exp": "soon"}, "bad_id_token"),
    ],
)
def test_claim_checks(over: dict[str, Any], code: str) -> None:
    with pytest.raises(OidcError) as info:
        verify(id_token(**over))
    assert info.value.code == code


def test_several_audiences_with_our_azp_pass() -> None:
    assert verify(id_token(aud=["client", "other"], azp="client"))


def test_signature_from_another_key() -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(OidcError) as info:
        verify(id_token(other))
    assert info.value.code == "bad_signature"


def test_groups_map_to_a_role_and_a_claim_to_a_team() -> None:
    kw = {
        "groups_claim": "groups",
        "supervisor_groups": ["leads"],
        "admin_groups": ["admins"],
        "team_claim": "dept",
    }
    assert agent_role({"groups": ["staff"]}, **kw) == (Role.AGENT, None)  # type: ignore[arg-type]
    assert agent_role({"groups": "leads", "dept": "Refunds"}, **kw) == (  # type: ignore[arg-type]
        Role.SUPERVISOR,
        "Refunds",
    )
    assert agent_role({"groups": ["leads", "admins"]}, **kw)[0] is Role.ADMIN  # type: ignore[arg-type]
    assert agent_role({"groups": None, "dept": 5}, **kw) == (Role.AGENT, None)  # type: ignore[arg-type]
    assert agent_role({"dept": "Refunds"}, **{**kw, "team_claim": ""}) == (Role.AGENT, None)  # type: ignore[arg-type]


def test_agent_name_and_groups() -> None:
    claims = {"name": " Asha Rao ", "groups": ["a", "helpdesk"], "role": "helpdesk"}
    kw = {"name_claim": "name", "groups_claim": "groups"}
    assert agent_name(claims, allowed_groups=[], **kw) == "Asha Rao"
    assert agent_name(claims, allowed_groups=["helpdesk"], **kw) == "Asha Rao"
    assert agent_name(claims, allowed_groups=["helpdesk"], name_claim="name", groups_claim="role")
    for bad in ({"groups": ["x"]}, {"groups": None}, {"groups": [1]}):
        with pytest.raises(OidcError, match="not in a group"):
            agent_name({**claims, **bad}, allowed_groups=["helpdesk"], **kw)
    for name in (None, "", "x" * 81, "A\x00B", 5):
        with pytest.raises(OidcError, match="no usable"):
            agent_name({**claims, "name": name}, allowed_groups=[], **kw)
