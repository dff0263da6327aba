"""`GET /csat/TOKEN?score=1..5`: where the satisfaction link in a reply lands the customer.

A small page either way, never JSON (a person reads it): thank you (200); a score that is not
1 to 5 (400); a link this app did not sign (404); one past its date (410). A second score
replaces the first; the same one again changes nothing (`bot/satisfaction/scores.py`).
"""

from __future__ import annotations

import asyncio
import html
import logging

from aiohttp import web

from bot.errors import Invalid, NotFound
from bot.satisfaction.links import Expired
from bot.satisfaction.scores import ROUTE, Satisfaction

log = logging.getLogger(__name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem">
<h1>{title}</h1><p>{text}</p></body></html>
"""


class SatisfactionPage:
    def __init__(self, satisfaction: Satisfaction) -> None:
        self._satisfaction = satisfaction

    def mount(self, app: web.Application) -> None:
        app.router.add_get(ROUTE + "/{token}", self.rate)

    async def rate(self, request: web.Request) -> web.Response:
        token, score = request.match_info["token"], request.query.get("score", "")
        try:
            item = await asyncio.to_thread(self._satisfaction.rate, token, score)
        except Expired:
            return _page(410, "This link has expired", "Thank you all the same.")
        except NotFound:
            return _page(404, "This link does not work", "Please use the link from our email.")
        except Invalid as error:
            return _page(400, "That did not work", error.message)
        log.info("satisfaction.rated item=%s score=%s", item.ref, item.csat)
        return _page(200, "Thank you!", f"You rated our answer {item.csat} out of 5.")


def _page(status: int, title: str, text: str) -> web.Response:
    body = PAGE.format(title=html.escape(title), text=html.escape(text))
    return web.Response(status=status, text=body, content_type="text/html")
