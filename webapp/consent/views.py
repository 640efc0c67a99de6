"""The consent endpoints: the banner's POST and the cookies page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for

from webapp.consent import analytics, forms, policy, visitor
from webapp.extensions import csrf
from webapp.page_cache import cacheable
from webapp.security import local_path_or

bp = Blueprint("consent", __name__)

BANNER_CHOICES = {"accept": "accepted", "reject": "rejected"}


@bp.post("/cookies/consent")
@csrf.exempt
def banner_choice():
    """The banner's buttons: accept or reject additional cookies, or hide the message.
    Without JavaScript the answer is a 303 back to the page; the banner script gets JSON."""
    visitor.require_same_origin()
    return_to = local_path_or(request.form.get("return_to"))
    if request.form.get("hide"):
        response = jsonify(hidden=True) if visitor.wants_json() else redirect(return_to, 303)
        visitor.clear_confirmation(response)
        response.headers["Cache-Control"] = "no-store"
        return response
    choice = request.form.get("cookies")
    if choice not in BANNER_CHOICES:
        abort(400)
    version = current_app.config["COOKIE_POLICY_VERSION"]
    consent = policy.accept_all(version) if choice == "accept" else policy.reject_all(version)
    if visitor.wants_json():
        response = jsonify(cookies=BANNER_CHOICES[choice])
    else:
        response = redirect(return_to, 303)
        visitor.set_confirmation(response, BANNER_CHOICES[choice])
    visitor.save(response, consent)
    return response


def render_cookies_page(form: forms.CookieSettingsForm, return_to: str | None, saved: bool):
    integration = analytics.integration(current_app.config)
    provider = integration.provider if integration else ""
    sections = [
        {"category": category, "cookies": policy.cookies_in(category.id, provider)}
        for category in policy.CATEGORIES
    ]
    return render_template(
        "consent/cookies.html",
        sections=sections,
        form=form,
        error_summary=form.error_summary(),
        return_to=return_to,
        saved=saved,
        analytics_provider=provider,
    )


@bp.get("/cookies")
@cacheable(params=("return_to",))
def cookies_page():
    """Depends only on the consent cookies and the way back (both in the page cache's key);
    the confirmation after saving is never stored, as the page deletes its cookie."""
    form = forms.CookieSettingsForm.showing(visitor.current_consent())
    saved = visitor.confirmation() == "saved"
    # Cache-Control: no-store comes from security.no_store_html, as for every HTML page.
    return render_cookies_page(form, visitor.referring_path(), saved)


@bp.post("/cookies")
@csrf.exempt
def save_cookie_settings():
    visitor.require_same_origin()
    form = forms.CookieSettingsForm()
    return_to = form.way_back
    if not form.validate():
        return render_cookies_page(form, return_to, saved=False)
    consent = policy.choice_from(form.choices(), current_app.config["COOKIE_POLICY_VERSION"])
    target = url_for(".cookies_page", return_to=return_to) if return_to else url_for(".cookies_page")
    response = redirect(target, 303)
    visitor.set_confirmation(response, "saved")
    visitor.save(response, consent)
    return response
