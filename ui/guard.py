"""What the app's web server refuses before Gradio sees a request: changes sent by pages of
other sites, and passwords tried at speed.

A page on another site can make a visitor's browser send a form to the app (an upload, a
question) even though it can't read the answer; Gradio's CORS rules only hide the answer. A
request that changes something is refused when its `Origin` is not the app's own address.
Requests from programs (curl, gradio_client) send no `Origin` and pass.

The login form (NEWSQA_AUTH) answers each wrong password at once; after a few failures from
one address, every further try from it waits a delay that doubles with each failure, up to a
minute, and a success clears it.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FREE_LOGIN_TRIES = 5  # wrong passwords from one address before they are slowed down
MAX_LOGIN_DELAY_S = 60.0
REMEMBERED_ADDRESSES = 10_000  # failures are kept for this many addresses, the oldest dropped


@dataclass(slots=True)
class Failures:
    count: int = 0
    retry_at: float = 0.0  # monotonic time before which this address may not try again


def same_origin(headers: Headers) -> bool:
    """Whether a request comes from one of the app's own pages, or from no page at all."""
    origin = headers.get("origin")
    if origin is None:
        # A browser names the origin of every cross-site form it sends; without one, this is
        # a program, or a same-site page of an old browser.
        return headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # "null": a sandboxed frame or a local file
    own = {
        _address(parts.scheme, host)
        for host in (headers.get("host"), headers.get("x-forwarded-host"))
        if host
    }
    return _address(parts.scheme, parts.netloc) in own


def _address(scheme: str, netloc: str) -> str:
    """host:port with the scheme's default port left out, lower-cased."""
    netloc = netloc.strip().lower()
    default = {"http": ":80", "https": ":443"}[scheme]
    return netloc[: -len(default)] if netloc.endswith(default) else netloc


class RequestGuard:
    """ASGI middleware around the Gradio app; see the module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._failures: OrderedDict[str, Failures] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] not in READ_ONLY_METHODS and not same_origin(headers):
            refusal = PlainTextResponse(
                "Refused: this request came from a page of another site.", status_code=403
            )
            await refusal(scope, receive, send)
            return
        if scope["method"] == "POST" and scope["path"].rstrip("/").endswith("/login"):
            await self._login(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        address = client[0] if client else "unknown"
        failures = self._failures.get(address)
        now = time.monotonic()
        if failures is not None and now < failures.retry_at:
            wait = math.ceil(failures.retry_at - now)
            refusal = PlainTextResponse(
                f"Too many wrong passwords: try again in {wait} s.",
                status_code=429,
                headers={"Retry-After": str(wait)},
            )
            await refusal(scope, receive, send)
            return
        status = 0

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, noting_status)
        if status < 400:
            self._failures.pop(address, None)
        elif status < 500:
            self._failed(address)

    def _failed(self, address: str) -> None:
        failures = self._failures.pop(address, None) or Failures()
        failures.count += 1
        if failures.count >= FREE_LOGIN_TRIES:
            delay = min(2.0 ** (failures.count - FREE_LOGIN_TRIES), MAX_LOGIN_DELAY_S)
            failures.retry_at = time.monotonic() + delay
        self._failures[address] = failures  # the most recent last
        while len(self._failures) > REMEMBERED_ADDRESSES:
            self._failures.popitem(last=False)
