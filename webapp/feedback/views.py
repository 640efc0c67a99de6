"""``/feedback``: the beta feedback form, and ``/feedback/thank-you``.

Nothing a person typed is lost: an expired form, a too-quick submission and a database
failure all re-render the form with their answers and say what to do. Success is
Post/Redirect/Get; a repeat of the same form (same one-time id) is stored once.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from webapp.extensions import csrf, limiter
from webapp.feedback import forms, store
from webapp.page_cache import cacheable
from webapp.security import local_path_or

bp = Blueprint("feedback", __name__)

PROBLEMS = {
    "expired": "Your feedback has not been sent because the form expired. "
               "Your answers are below: check them, then select Send feedback.",
    "too_fast": "Your feedback has not been sent yet. Check your answers, then select Send feedback.",
    "technical": "Sorry, there was a technical problem. Please try again.",
}


def rate_limit() -> str:
    return current_app.config["FEEDBACK_RATE_LIMIT"]


def render_form(form: forms.FeedbackForm, problem: str | None = None, status: int = 200):
    summary = forms.error_summary(form)
    response = current_app.make_response((render_template(
        "feedback/form.html",
        form=form,
        page=form.page,
        error_list=summary,
        problem=PROBLEMS.get(problem) if problem else None,
        max_improvement=store.MAX_IMPROVEMENT,
    ), status))
    # The form page holds a CSRF token and, after a POST, what the person typed: never
    # shared, but a browser's Back button may reuse it (the same one-time id is then
    # stored once).
    response.headers["Cache-Control"] = "private, no-cache" if request.method == "GET" else "no-store"
    return response


@bp.get("/feedback")
def form():
    page = local_path_or(request.args.get("from"), fallback="")
    feedback_form = forms.FeedbackForm(
        formdata=None, data={"came_from": page, "form_token": forms.issue_token(), "js": "off"},
    )
    return render_form(feedback_form)


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
        feedback_form.form_token.data = forms.issue_token() if token is None else feedback_form.form_token.data
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
@cacheable
def thank_you():
    return render_template("feedback/thank_you.html", page=local_path_or(request.args.get("from"), fallback=""))
