"""The dashboard's FastAPI app: sign-in, then one server-rendered page per view.

Every page and API answer needs a session (``argus dashboard link``), and every query takes
the session's tenant: nothing of another tenant can be asked for. Pages carry no script; a
Content-Security-Policy forbids scripts and any request off this server.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from argus.core.store.sqlite import SQLiteStore
from argus.dashboard import auth, pages, queries
from argus.dashboard.github_oauth import GitHubSignIn, SignInFailed

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

OAUTH_STATE_COOKIE = "argus_oauth_state"
CSRF_REFUSED = "The form's CSRF token is missing or wrong; reload the page and try again."

VIEWS = ("overview", "risk", "patterns", "costs", "tests", "team")


class _Connections:
    """One SQLite connection per server thread (a connection belongs to its thread)."""

    def __init__(self, path: Path, app_state: Path | None) -> None:
        self.path = path
        self.app_state = app_state
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                str(self.path), timeout=30.0, isolation_level=None, uri=True
            )
            connection.execute("PRAGMA foreign_keys = ON")
            state = self.app_state
            queries.prepare(connection, str(state) if state and state.exists() else None)
            self._local.connection = connection
        return connection


def create_dashboard_app(
    store_path: Path,
    app_state: Path | None = None,
    github: GitHubSignIn | None = None,
    public_url: str | None = None,
) -> FastAPI:
    """The dashboard over the store at ``store_path`` (migrated here, before serving), and
    the GitHub App's reviews and reactions in ``app_state`` when the App keeps its own file.

    With ``github``, users may also sign in with GitHub and see the App installations they
    can access; ``public_url`` is the address GitHub sends them back to (default: the
    address of the request).
    """
    SQLiteStore.open(store_path).close()
    connections = _Connections(store_path, app_state)
    pattern_days = queries.PatternDays()
    templates = Environment(
        loader=PackageLoader("argus.dashboard", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    app = FastAPI(title="Argus dashboard", docs_url=None, redoc_url=None, openapi_url=None)

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        body = templates.get_template(name).render(request=request, **context)
        return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)

    def sign_in_page(request: Request) -> HTMLResponse:
        return render(
            request,
            "message.html",
            401,
            title="Sign in",
            message=(
                "You are not signed in. Run `argus dashboard link` on the server and open the "
                "link it prints."
            ),
            session=None,
            github=github is not None,
        )

    def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
        response.set_cookie(
            auth.COOKIE_NAME,
            session_id,
            max_age=auth.SESSION_SECONDS,
            httponly=True,
            samesite="lax",
            secure=_is_https(request),
            path="/",
        )

    def callback_url(request: Request) -> str:
        base = (public_url or str(request.base_url)).rstrip("/")
        return f"{base}/signin/github/callback"

    def refused(request: Request, message: str, title: str = "Sign-in refused") -> Response:
        return render(request, "message.html", 403, title=title, message=message, session=None)

    @app.get("/signin/github")
    def sign_in_with_github(request: Request) -> Response:
        if github is None:
            return refused(request, "GitHub sign-in is not configured on this server.")
        state = secrets.token_urlsafe(24)
        response = RedirectResponse(
            github.authorize_url(state, callback_url(request)),
            status_code=303,
            headers=SECURITY_HEADERS,
        )
        response.set_cookie(
            OAUTH_STATE_COOKIE,
            state,
            max_age=600,
            httponly=True,
            samesite="lax",
            secure=_is_https(request),
            path="/signin/github",
        )
        return response

    @app.get("/signin/github/callback")
    def github_callback(request: Request) -> Response:
        if github is None:
            return refused(request, "GitHub sign-in is not configured on this server.")
        expected = request.cookies.get(OAUTH_STATE_COOKIE, "")
        state = request.query_params.get("state", "")
        code = request.query_params.get("code", "")
        if not expected or not secrets.compare_digest(expected, state) or not code:
            return refused(
                request, "This sign-in did not start here or took too long; start it again."
            )
        try:
            token = github.exchange(code, callback_url(request))
            ids = github.installation_ids(token)
        except SignInFailed as error:
            return refused(request, str(error))
        db = connections.get()
        tenants = queries.served_installations(db, ids)
        if not tenants:
            return refused(
                request,
                "None of the GitHub accounts you can access has Argus installed (or its "
                "installation is suspended).",
            )
        session_id, _ = auth.start_session(db, tuple(tenants))
        response = RedirectResponse("/", status_code=303, headers=SECURITY_HEADERS)
        set_session_cookie(request, response, session_id)
        response.delete_cookie(OAUTH_STATE_COOKIE, path="/signin/github")
        return response

    @app.post("/tenant")
    async def switch(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        session_id = request.cookies.get(auth.COOKIE_NAME)
        db = connections.get()
        session = auth.session_for(db, session_id)
        if session is None or session_id is None:
            return sign_in_page(request)
        if not auth.csrf_matches(session, form.get("csrf_token", [""])[0]):
            return refused(request, CSRF_REFUSED, "Refused")
        if not auth.switch_tenant(db, session_id, session, form.get("tenant", [""])[0]):
            return refused(request, "This session cannot show that tenant.", "Refused")
        return RedirectResponse("/", status_code=303, headers=SECURITY_HEADERS)

    @app.get("/signin/{token}")
    def sign_in(request: Request, token: str) -> Response:
        try:
            session_id, _ = auth.redeem_link(connections.get(), token)
        except auth.LinkRefused as refused:
            return render(
                request,
                "message.html",
                403,
                title="Link refused",
                message=str(refused),
                session=None,
            )
        response = RedirectResponse("/", status_code=303, headers=SECURITY_HEADERS)
        set_session_cookie(request, response, session_id)
        return response

    @app.post("/signout")
    async def sign_out(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        session_id = request.cookies.get(auth.COOKIE_NAME)
        db = connections.get()
        session = auth.session_for(db, session_id)
        if session is None:
            return sign_in_page(request)
        if not auth.csrf_matches(session, form.get("csrf_token", [""])[0]):
            return render(
                request,
                "message.html",
                403,
                title="Refused",
                session=None,
                message="The form's CSRF token is missing or wrong; reload the page and try again.",
            )
        assert session_id is not None
        auth.end_session(db, session_id)
        response = render(
            request,
            "message.html",
            200,
            title="Signed out",
            session=None,
            message="You are signed out.",
        )
        response.delete_cookie(auth.COOKIE_NAME, path="/")
        return response

    def page(view: str) -> Any:
        def handler(request: Request) -> Response:
            session = auth.session_for(connections.get(), request.cookies.get(auth.COOKIE_NAME))
            if session is None:
                return sign_in_page(request)
            repository = request.query_params.get("repository") or None
            context = pages.build(view, connections.get(), session.tenant, repository, pattern_days)
            return render(
                request,
                f"{view}.html",
                session=session,
                view=view,
                repository=repository,
                **context,
            )

        handler.__name__ = f"page_{view}"
        return handler

    for view in VIEWS:
        app.get("/" if view == "overview" else f"/{view}", response_class=HTMLResponse)(page(view))

    @app.get("/api/score")
    def score_api(request: Request) -> Response:
        session = auth.session_for(connections.get(), request.cookies.get(auth.COOKIE_NAME))
        if session is None:
            return JSONResponse(
                {"detail": "sign in first (argus dashboard link)"}, 401, headers=SECURITY_HEADERS
            )
        repository = request.query_params.get("repository") or None
        return JSONResponse(
            pages.score_document(connections.get(), session.tenant, repository, pattern_days),
            headers=SECURITY_HEADERS,
        )

    return app


def _is_https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"
