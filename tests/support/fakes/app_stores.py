"""Fake app store APIs: App Store Connect's customer reviews and Google Play's reviews, each a
real aiohttp server on 127.0.0.1 answering in the vendor's documented shapes.

No permissively licensed capture of either API's traffic exists, so the answers are built
from the vendors' published references: Apple's "List all customer reviews for an app"
(`GET /v1/apps/{id}/customerReviews`: `CustomerReviewsResponse` with `data`, `links`
(`self`, `next`), `meta.paging`; errors as `{"errors": [{"status", "code", "title",
"detail"}]}`) and Google's `reviews.list` (`ReviewsListResponse` with `reviews`,
`tokenPagination.nextPageToken`, `pageInfo`; errors as `{"error": {"code", "message",
"status"}}`), plus Google's OAuth 2.0 token endpoint for service accounts.

Each fake checks the JWT it is given with the public half of the key it issued, as the
vendor would, and answers 401 to one that does not verify; it records the claims it saw.
`refuse(n)` makes the next n review requests answer 401; `fail(n, after=m)` answers 500 to n
requests once m more have been answered.
"""

from __future__ import annotations

import copy
import itertools
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.support.fakes.vendor_replies import FakeVendor, TakenReply

PAGE_SIZE = 2  # small, so a handful of reviews spans pages


def _pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass
class _Misbehaviour:
    refuse: int = 0  # next review requests answered 401
    fail: int = 0  # review requests answered 500 …
    fail_after: int = 0  # … once this many more have been answered


class _FakeServer(FakeVendor):
    def __init__(self) -> None:
        super().__init__()
        self.trouble = _Misbehaviour()
        self.requests: list[str] = []  # the review pages asked for, by URL

    def refuse(self, times: int = 1) -> None:
        self.trouble.refuse += times

    def fail(self, times: int = 1, *, after: int = 0) -> None:
        """Answer 500 to `times` review requests, after answering `after` more first (a
        failure on a later page)."""
        self.trouble.fail += times
        self.trouble.fail_after = after

    def _misbehave(self, refused: dict[str, Any]) -> web.Response | None:
        if self.trouble.refuse:
            self.trouble.refuse -= 1
            return web.json_response(refused, status=401)
        if self.trouble.fail and self.trouble.fail_after:
            self.trouble.fail_after -= 1
        elif self.trouble.fail:
            self.trouble.fail -= 1
            return web.json_response({"error": "internal"}, status=500)
        return None


# ---- App Store Connect -----------------------------------------------------------------------

APPLE_UNAUTHORIZED = {
    "errors": [
        {
            "id": "4f5a1a2e-0b6c-4a4e-9f43-9a0d1c2b3e4f",
            "status": "401",
            "code": "NOT_AUTHORIZED",
            "title": "Authentication credentials are missing or invalid.",
            "detail": "Provide a properly configured and signed bearer token, and make sure "
            "that it has not expired. Learn more about Generating Tokens for API Requests "
            "https://developer.apple.com/go/?id=api-generating-tokens",
        }
    ]
}


@dataclass
class AppleToken:
    header: dict[str, Any]
    claims: dict[str, Any]


class FakeAppStoreConnect(_FakeServer):
    """`GET /v1/apps/{id}/customerReviews`, newest first (`sort=-createdDate`), paged by a
    `cursor` in `links.next`."""

    vendor = "appstore"
    app_id = "1234567890"
    key_id = "2X9R4HXF34"
    issuer_id = "57246542-96fe-1a63-e053-0824d011072a"

    def __init__(self) -> None:
        super().__init__()
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.key_pem = _pem(self._key)
        self.reviews: dict[str, dict[str, Any]] = {}
        self.tokens: list[AppleToken] = []

    def add(
        self,
        rating: int,
        body: str,
        title: str = "",
        *,
        nickname: str = "Anne Johnson",
        territory: str = "USA",
        ago: timedelta = timedelta(hours=1),
    ) -> str:
        """A review written `ago` before now; its id."""
        review_id = f"00000028-b08c-0014-{uuid.uuid4().hex[:4]}-{uuid.uuid4().hex[:12]}"
        self.reviews[review_id] = {
            "rating": rating,
            "title": title,
            "body": body,
            "reviewerNickname": nickname,
            "createdDate": _apple_time(datetime.now(UTC) - ago),
            "territory": territory,
        }
        return review_id

    def edit(self, review_id: str, rating: int, body: str, title: str = "") -> None:
        """The customer rewrites their review: it keeps its id, its date is the edit's."""
        self.reviews[review_id].update(
            rating=rating, body=body, title=title, createdDate=_apple_time(datetime.now(UTC))
        )

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/v1/apps/{app}/customerReviews", self._list)
        app.router.add_post("/v1/customerReviewResponses", self._respond)
        app.router.add_get("/v1/customerReviews/{id}/response", self._response)

    def authorized(self, request: web.Request) -> bool:
        return self._verified(request.headers.get("Authorization", ""))

    def refusal(self, text: str) -> dict[str, Any]:
        error = {"status": "422", "code": "ENTITY_UNPROCESSABLE", "title": "Unprocessable"}
        return {"errors": [{"id": str(uuid.uuid4()), **error, "detail": text}]}

    def resource(self, review_id: str) -> dict[str, Any]:
        """The review as the list shows it."""
        return self._resource(review_id, self.reviews[review_id])

    async def _respond(self, request: web.Request) -> web.Response:
        data = (await request.json())["data"]
        review = data["relationships"]["review"]["data"]["id"]
        taken = TakenReply(review, data["attributes"]["responseBody"])
        refused = await self.take(request, taken)
        if refused is not None:
            return refused
        return web.json_response(self._response_of(review, taken.text), status=201)

    async def _response(self, request: web.Request) -> web.Response:
        if denied := self.denied(request):
            return denied
        review = request.match_info["id"]
        given = [r.text for r in self.replies if r.target == review]
        if not given:
            return web.json_response(_apple_not_found(review), status=404)
        return web.json_response(self._response_of(review, given[-1]))  # the last replaces

    def _response_of(self, review: str, text: str) -> dict[str, Any]:
        own = f"{self.url}/v1/customerReviewResponses/{review}-response"
        attributes = {
            "responseBody": text,
            "lastModifiedDate": _apple_time(datetime.now(UTC)),
            "state": "PENDING_PUBLISH",
        }
        data = {
            "type": "customerReviewResponses",
            "id": f"{review}-response",
            "attributes": attributes,
            "relationships": {"review": {"links": {"related": f"{own}/review"}}},
            "links": {"self": own},
        }
        return {"data": data, "links": {"self": own}}

    async def _list(self, request: web.Request) -> web.Response:
        self.requests.append(str(request.url))
        if not self._verified(request.headers.get("Authorization", "")):
            return web.json_response(APPLE_UNAUTHORIZED, status=401)
        trouble = self._misbehave(APPLE_UNAUTHORIZED)
        if trouble is not None:
            return trouble
        if request.match_info["app"] != self.app_id:
            return web.json_response(_apple_not_found(request.match_info["app"]), status=404)
        newest_first = sorted(
            self.reviews.items(), key=lambda item: item[1]["createdDate"], reverse=True
        )
        start = int(request.query.get("cursor", "0"))
        limit = min(int(request.query.get("limit", "50")), PAGE_SIZE)
        shown = newest_first[start : start + limit]
        base = f"{self.url}/v1/apps/{self.app_id}/customerReviews"
        links = {"self": str(request.url)}
        if start + limit < len(newest_first):
            links["next"] = f"{base}?cursor={start + limit}&limit={limit}&sort=-createdDate"
        return web.json_response(
            {
                "data": [self._resource(review_id, attributes) for review_id, attributes in shown],
                "links": links,
                "meta": {"paging": {"total": len(newest_first), "limit": limit}},
            }
        )

    def _resource(self, review_id: str, attributes: dict[str, Any]) -> dict[str, Any]:
        own = f"{self.url}/v1/customerReviews/{review_id}"
        return {
            "type": "customerReviews",
            "id": review_id,
            "attributes": dict(attributes),
            "relationships": {
                "response": {
                    "links": {
                        "self": f"{own}/relationships/response",
                        "related": f"{own}/response",
                    }
                }
            },
            "links": {"self": own},
        }

    def _verified(self, authorization: str) -> bool:
        """Apple's check: ES256 with the key's public half, audience, a life of ≤ 20 min."""
        token = authorization.removeprefix("Bearer ")
        try:
            claims = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["ES256"],
                audience="appstoreconnect-v1",
                issuer=self.issuer_id,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return False
        self.tokens.append(AppleToken(header, claims))
        lifetime = claims["exp"] - claims["iat"]
        return header.get("kid") == self.key_id and 0 < lifetime <= 20 * 60


def _apple_time(moment: datetime) -> str:
    """As Apple writes dates: seconds and an offset (its examples use the Pacific one)."""
    return moment.astimezone(timezone(timedelta(hours=-8))).isoformat(timespec="seconds")


def _apple_not_found(app: str) -> dict[str, Any]:
    return {
        "errors": [
            {
                "status": "404",
                "code": "NOT_FOUND",
                "title": "The specified resource does not exist",
                "detail": f"There is no resource of type 'apps' with id '{app}'",
            }
        ]
    }


# ---- Google Play -----------------------------------------------------------------------------

GOOGLE_UNAUTHENTICATED = {
    "error": {
        "code": 401,
        "message": "Request had invalid authentication credentials. Expected OAuth 2 access "
        "token, login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        "status": "UNAUTHENTICATED",
    }
}
SCOPE = "https://www.googleapis.com/auth/androidpublisher"


@dataclass
class Assertion:
    header: dict[str, Any]
    claims: dict[str, Any]


@dataclass
class _Issued:
    tokens: set[str] = field(default_factory=set)
    counter: itertools.count[int] = field(default_factory=itertools.count)


class FakeGooglePlay(_FakeServer):
    """`POST /token` (a service account's JWT assertion → an access token) and
    `GET /androidpublisher/v3/applications/{package}/reviews`, paged by `token`."""

    vendor = "googleplay"
    refusal_status = 400  # Google refuses a bad request as INVALID_ARGUMENT
    package = "com.example.allhands"
    client_email = "reviews-reader@allhands-test.iam.gserviceaccount.com"
    key_id = "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6"

    def __init__(self) -> None:
        super().__init__()
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.reviews: dict[str, dict[str, Any]] = {}
        self.assertions: list[Assertion] = []
        self._issued = _Issued()

    @property
    def service_account_json(self) -> str:
        """The JSON key file Google Cloud gives for a service account, pointing here."""
        return json.dumps(
            {
                "type": "service_account",
                "project_id": "allhands-test",
                "private_key_id": self.key_id,
                "private_key": _pem(self._key),
                "client_email": self.client_email,
                "client_id": "113204567890123456789",
                "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                "token_uri": f"{self.url}/token",
                "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
                "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
                "reviews-reader%40allhands-test.iam.gserviceaccount.com",
                "universe_domain": "googleapis.com",
            }
        )

    def add(
        self,
        rating: int,
        text: str,
        *,
        author: str = "Priya Raman",
        version: str = "4.1.2",
        ago: timedelta = timedelta(hours=1),
    ) -> str:
        review_id = f"gp:AOqpTO{uuid.uuid4().hex}"
        self.reviews[review_id] = {
            "reviewId": review_id,
            "authorName": author,
            "comments": [{"userComment": _user_comment(rating, text, version, ago)}],
        }
        return review_id

    def edit(self, review_id: str, rating: int, text: str) -> None:
        comment = self.reviews[review_id]["comments"][0]["userComment"]
        comment.update(_user_comment(rating, text, comment.get("appVersionName", ""), timedelta(0)))

    def revoke_tokens(self) -> None:
        """Every access token given so far stops working (as when they expire)."""
        self._issued.tokens.clear()

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/token", self._token)
        reviews = "/androidpublisher/v3/applications/{package}/reviews"
        app.router.add_get(reviews, self._list)
        app.router.add_post(reviews + "/{review}:reply", self._reply)
        app.router.add_get(reviews + "/{review}", self._review)

    def authorized(self, request: web.Request) -> bool:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return token in self._issued.tokens

    def refusal(self, text: str) -> dict[str, Any]:
        return {"error": {"code": 400, "message": text, "status": "INVALID_ARGUMENT"}}

    async def _reply(self, request: web.Request) -> web.Response:
        review = request.match_info["review"]
        taken = TakenReply(review, (await request.json())["replyText"])
        refused = await self.take(request, taken)
        if refused is not None:
            return refused
        edited = {"seconds": str(int(datetime.now(UTC).timestamp())), "nanos": 0}
        return web.json_response({"result": {"replyText": taken.text, "lastEdited": edited}})

    async def _review(self, request: web.Request) -> web.Response:
        if denied := self.denied(request):
            return denied
        review = request.match_info["review"]
        shown = copy.deepcopy(self.reviews[review])
        given = [r.text for r in self.replies if r.target == review]
        if given:  # one developer comment, the last reply's
            modified = {"seconds": str(int(datetime.now(UTC).timestamp())), "nanos": 0}
            shown["comments"].append(
                {"developerComment": {"text": given[-1], "lastModified": modified}}
            )
        return web.json_response(shown)

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        assertion = str(form.get("assertion", ""))
        try:
            claims = jwt.decode(
                assertion,
                self._key.public_key(),
                algorithms=["RS256"],
                audience=f"{self.url}/token",
                issuer=self.client_email,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return web.json_response(
                {"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
                status=400,
            )
        self.assertions.append(Assertion(header, claims))
        if claims.get("scope") != SCOPE or claims["exp"] - claims["iat"] > 3600:
            return web.json_response(
                {"error": "invalid_scope", "error_description": "Invalid OAuth scope."},
                status=400,
            )
        token = f"ya29.fake-{next(self._issued.counter)}"
        self._issued.tokens.add(token)
        answer = {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
        return web.json_response(answer)

    async def _list(self, request: web.Request) -> web.Response:
        self.requests.append(str(request.url))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self._issued.tokens:
            return web.json_response(GOOGLE_UNAUTHENTICATED, status=401)
        trouble = self._misbehave(GOOGLE_UNAUTHENTICATED)
        if trouble is not None:
            return trouble
        if request.match_info["package"] != self.package:
            return web.json_response(
                {"error": {"code": 404, "message": "Package not found.", "status": "NOT_FOUND"}},
                status=404,
            )
        listed = sorted(
            self.reviews.values(),
            key=lambda r: int(r["comments"][0]["userComment"]["lastModified"]["seconds"]),
            reverse=True,
        )
        start = int(request.query.get("token", "0"))
        limit = min(int(request.query.get("maxResults", "10")), PAGE_SIZE)
        answer: dict[str, Any] = {
            "pageInfo": {"totalResults": len(listed), "resultPerPage": limit, "startIndex": start},
            "reviews": listed[start : start + limit],
        }
        if start + limit < len(listed):
            answer["tokenPagination"] = {"nextPageToken": str(start + limit)}
        return web.json_response(answer)


def _user_comment(rating: int, text: str, version: str, ago: timedelta) -> dict[str, Any]:
    moment = datetime.now(UTC) - ago
    return {
        "text": text,
        "lastModified": {
            "seconds": str(int(moment.timestamp())),
            "nanos": moment.microsecond * 1000,
        },
        "starRating": rating,
        "reviewerLanguage": "en",
        "device": "a32",
        "androidOsVersion": 33,
        "appVersionCode": 412,
        "appVersionName": version,
        "thumbsUpCount": 0,
        "thumbsDownCount": 0,
        "deviceMetadata": {
            "productName": "a32 (Galaxy A32)",
            "manufacturer": "Samsung",
            "deviceClass": "phone",
            "screenWidthPx": 1080,
            "screenHeightPx": 2400,
            "nativePlatform": "arm64-v8a,armeabi-v7a,armeabi",
            "screenDensityDpi": 420,
            "glEsVersion": 196610,
            "ramMb": 3712,
        },
    }
