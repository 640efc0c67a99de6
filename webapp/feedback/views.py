"""``/feedback``: the beta feedback form, and ``/feedback/thank-you``.

Nothing a person typed is lost: an expired form, a too-quick submission and a database
failure all re-render the form with their answers and say what to do. Success is
Post/Redirect/Get; a repeat of the same form (same one-time id) is stored once.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf

from webapp.extensions import csrf, limiter
from webapp.feedback import forms, store
from webapp.i18n import lazy_gettext
from webapp.page_cache import BoundedStore, cacheable
from webapp.security import local_path_or

bp = Blueprint("feedback", __name__)

PROBLEMS = {
    "expired": lazy_gettext("Your feedback has not been sent because the form expired. "
                            "Your answers are below: check them, then select Send feedback."),
    "too_fast": lazy_gettext("Your feedback has not been sent yet. Check your answers, then select Send feedback."),
    "technical": lazy_gettext("Sorry, there was a technical problem. Please try again."),
}


def rate_limit() -> str:
    return current_app.config["FEEDBACK_RATE_LIMIT"]


def form_html(form: forms.FeedbackForm, problem: str | None = None, csrf_value=None, form_token=None) -> str:
    # A problem no field can fix (an expired form, a failed save) has no link: the
    # layout shows it as the error summary's description.
    summary = [{"text": PROBLEMS[problem]}] if problem else []
    return render_template(
        "feedback/form.html",
        form=form,
        page=form.page,
        error_summary=summary + form.error_summary(),
        csrf_value=csrf_value or form.csrf_token.current_token,
        form_token=form_token or form.form_token.data or "",
    )


def render_form(form: forms.FeedbackForm, problem: str | None = None, status: int = 200):
    # Cache-Control: no-store comes from security.no_store_html, as for every HTML page:
    # the form holds a CSRF token and, after a POST, what the person typed.
    return form_html(form, problem), status


@bp.get("/feedback")
def form():
    page = local_path_or(request.args.get("from"), fallback="")
    return current_app.extensions["feedback_blank_forms"].html(page)


class BlankForms:
    """The empty form, rendered once per page address and filled with fresh tokens.

    Rendering the form through the macros costs a few milliseconds; only its two tokens
    change between visitors. The page is rendered once with a marker where each token
    goes and kept as the pieces between the markers, under the page cache's key for this
    request (address, query string, the cookies pages vary on, the content version:
    everything the page shows); each GET joins the pieces with a new CSRF token and
    one-time form token. The marker is random, made after the request arrived, so
    nothing a visitor puts in the address can be mistaken for it; should a render not
    hold each marker exactly once, in order, the form is rendered with real tokens and
    nothing is kept.

    This is not the page cache (no visitor is ever sent another's page: the tokens are
    new each time), so it is kept whether or not the page cache is on. As with the
    layout's kept fragments, nothing is kept while templates reload (development), so an
    edited template shows at once."""

    MAX_ENTRIES = 256

    def __init__(self):
        self._skeletons = BoundedStore(self.MAX_ENTRIES)

    def html(self, page: str) -> str:
        key = self.key()
        pieces = self._skeletons.get(key) if key is not None else None
        if pieces is None:
            pieces = self._render(page)
            if pieces is None:  # the markers were not where expected: render for real
                return form_html(forms.FeedbackForm(formdata=None, data={"came_from": page, "js": "off"}),
                                 csrf_value=generate_csrf(), form_token=forms.issue_token())
            if key is not None:
                self._skeletons.put(key, pieces)
        before, between, after = pieces
        # Both tokens are URL-safe base64 and dots: nothing to escape.
        return "".join((before, generate_csrf(), between, forms.issue_token(), after))

    @staticmethod
    def key() -> tuple | None:
        """What this request's blank form depends on: the page cache's key for it
        (computed even when the cache is off), or None to keep nothing."""
        if current_app.jinja_env.auto_reload:
            return None
        return current_app.extensions["page_cache"].key(request.environ)

    def __len__(self) -> int:
        return len(self._skeletons)

    @staticmethod
    def _render(page: str) -> tuple[str, str, str] | None:
        csrf_marker, token_marker = (f"marker-{secrets.token_hex(16)}" for _ in range(2))
        blank = forms.FeedbackForm(formdata=None, data={"came_from": page, "js": "off"})
        html = form_html(blank, csrf_value=csrf_marker, form_token=token_marker)
        if html.count(csrf_marker) != 1 or html.count(token_marker) != 1:
            return None
        before, rest = html.split(csrf_marker)
        if token_marker not in rest:  # the form token comes after the CSRF token
            return None
        between, after = rest.split(token_marker)
        return before, between, after


@bp.record_once
def _keep_blank_forms(state) -> None:
    state.app.extensions["feedback_blank_forms"] = BlankForms()


@bp.post("/feedback")
@csrf.exempt  # the form checks its own CSRF token, so an expired one keeps the answers
@limiter.limit(rate_limit, methods=["POST"])
def submit():
    feedback_form = forms.FeedbackForm()
    log = current_app.logger

    if feedback_form.is_honeypot_filled:
        log.warning("feedback spam rejected: honeypot filled")
        # Looks like success to the sender; nothing is stored.
        return redirect(url_for(".thank_you"), code=303)

    token = forms.read_token(feedback_form.form_token.data)
    valid = feedback_form.validate()
    if token is None or feedback_form.csrf_failed:
        log.info("feedback form expired or without a valid token; re-rendered with the answers")
        if token is None:
            feedback_form.form_token.data = forms.issue_token()
        return render_form(feedback_form, problem="expired")
    if not valid:
        return render_form(feedback_form)
    if forms.filled_too_fast(token):
        log.warning("feedback spam rejected: sent faster than the minimum fill time")
        return render_form(feedback_form, problem="too_fast")

    submission = store.Submission(
        submission_id=token.submission_id,
        rating=int(feedback_form.rating.data),
        improvement=feedback_form.improvement.data or "",
        page=feedback_form.page,
        user_agent=request.headers.get("User-Agent"),
        js_enabled=feedback_form.js.data == "on",
    )
    if forms.is_recent_repeat(session, submission):
        log.info("feedback repeated from a reloaded form (same answers, same session); stored once")
    else:
        try:
            stored = store.save(submission)
        except store.StoreError:
            log.exception("feedback could not be stored; the form was shown again with the answers")
            return render_form(feedback_form, problem="technical", status=503)
        if not stored:
            log.info("feedback repeated with the same submission id; stored once")
        forms.remember_sent(session, submission)
    return redirect(url_for(".thank_you", **({"from": submission.page} if submission.page else {})), code=303)


@bp.get("/feedback/thank-you")
@cacheable(params=("from",))
def thank_you():
    return render_template("feedback/thank_you.html", page=local_path_or(request.args.get("from"), fallback=""))
