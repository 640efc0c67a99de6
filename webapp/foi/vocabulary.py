"""The words of the disclosure log: outcomes, legislation, exemptions, topic slugs, and the
page names kept free under ``/foi/``.

Everything that needs to know what an outcome or an exemption is asks this module: the
loader checks content files against it, the pages and the feeds label with it.
``OUTCOMES`` and ``REGIMES`` are the words content files and the open data use (never
translated: a file written in English must load whatever the site's language);
``OUTCOME_LABELS`` and ``REGIME_NAMES`` are the same words as shown on a page, marked
for translation.
"""

from __future__ import annotations

import re
import unicodedata

from webapp.i18n import lazy_gettext

# The outcome of a response, by slug: the words a content file may give and the open
# data shows (English whatever the page's language).
OUTCOMES = {
    "disclosed-in-full": "Disclosed in full",
    "disclosed-in-part": "Disclosed in part",
    "not-held": "Not held",
    "refused": "Refused",
    "neither-confirm-nor-deny": "Neither confirm nor deny",
    "refused-cost-limit": "Refused – cost limit (s.12)",
    "refused-vexatious": "Refused – vexatious or repeated (s.14)",
    "already-accessible": "Already accessible (s.21)",
}
# The same, as a page shows them.
OUTCOME_LABELS = {
    "disclosed-in-full": lazy_gettext("Disclosed in full"),
    "disclosed-in-part": lazy_gettext("Disclosed in part"),
    "not-held": lazy_gettext("Not held"),
    "refused": lazy_gettext("Refused"),
    "neither-confirm-nor-deny": lazy_gettext("Neither confirm nor deny"),
    "refused-cost-limit": lazy_gettext("Refused – cost limit (s.12)"),
    "refused-vexatious": lazy_gettext("Refused – vexatious or repeated (s.14)"),
    "already-accessible": lazy_gettext("Already accessible (s.21)"),
}
# Outcomes that rely on exemptions, so must name them.
NEEDS_EXEMPTIONS = {"disclosed-in-part", "refused", "neither-confirm-nor-deny"}
# GOV.UK tag colours: a colour per outcome, always with the words.
OUTCOME_COLOURS = {
    "disclosed-in-full": "govuk-tag--green",
    "disclosed-in-part": "govuk-tag--turquoise",
    "not-held": "govuk-tag--grey",
    "refused": "govuk-tag--red",
    "neither-confirm-nor-deny": "govuk-tag--purple",
    "refused-cost-limit": "govuk-tag--orange",
    "refused-vexatious": "govuk-tag--pink",
    "already-accessible": "govuk-tag--blue",
}

# The legislation a request was answered under.
REGIMES = {"FOIA": "Freedom of Information Act 2000", "EIR": "Environmental Information Regulations 2004"}
# The same, as a page shows them.
REGIME_NAMES = {
    "FOIA": lazy_gettext("Freedom of Information Act 2000"),
    "EIR": lazy_gettext("Environmental Information Regulations 2004"),
}

# Part II exemptions of the Freedom of Information Act 2000, by section number.
FOIA_EXEMPTIONS = {
    "21": "Information accessible to applicant by other means",
    "22": "Information intended for future publication",
    "22A": "Research",
    "23": "Information supplied by, or relating to, bodies dealing with security matters",
    "24": "National security",
    "26": "Defence",
    "27": "International relations",
    "28": "Relations within the United Kingdom",
    "29": "The economy",
    "30": "Investigations and proceedings conducted by public authorities",
    "31": "Law enforcement",
    "32": "Court records",
    "33": "Audit functions",
    "34": "Parliamentary privilege",
    "35": "Formulation of government policy",
    "36": "Prejudice to effective conduct of public affairs",
    "37": "Communications with His Majesty, etc. and honours",
    "38": "Health and safety",
    "39": "Environmental information",
    "40": "Personal information",
    "41": "Information provided in confidence",
    "42": "Legal professional privilege",
    "43": "Commercial interests",
    "44": "Prohibitions on disclosure",
}
# Exceptions of the Environmental Information Regulations 2004.
EIR_EXCEPTIONS = {
    "12(4)(a)": "Information not held",
    "12(4)(b)": "Manifestly unreasonable request",
    "12(4)(c)": "Request formulated in too general a manner",
    "12(4)(d)": "Material in the course of completion",
    "12(4)(e)": "Internal communications",
    "12(5)(a)": "International relations, defence, national security or public safety",
    "12(5)(b)": "The course of justice",
    "12(5)(c)": "Intellectual property rights",
    "12(5)(d)": "Confidentiality of proceedings",
    "12(5)(e)": "Confidentiality of commercial or industrial information",
    "12(5)(f)": "Interests of the person who provided the information",
    "12(5)(g)": "Protection of the environment",
    "13": "Personal data",
}
FOIA_SECTION = re.compile(r"^(\d{2}A?)(\(\d+\))*(\([a-z]{1,4}\))*$")


def exemption_name(section: str, regime: str) -> str | None:
    """The name of the exemption or exception ``section`` (such as 40(2) or 12(5)(b))
    relies on, under ``regime``; None for a section that is neither."""
    if regime == "EIR" or section.startswith(("12(", "13")):
        for key, name in EIR_EXCEPTIONS.items():
            if section == key or section.startswith(key + "("):
                return name
        if regime == "EIR":
            return None
    match = FOIA_SECTION.match(section)
    if match:
        return FOIA_EXEMPTIONS.get(match.group(1))
    return None


# Pages the site has, or will have, at /foi/<name>: a response never takes one of these
# addresses, whatever its reference (checked by the loader, independently of the
# reference format).
RESERVED_NAMES = frozenset({
    "about", "api", "exemptions", "feed", "feeds", "help", "outcomes", "publication-scheme",
    "search", "statistics", "topics",
})
# /foi/<name>.json is the JSON of /foi/<name>: the same page in another form.
ADDRESS_SUFFIXES = (".json",)
RESERVED_KEYS = {name.upper(): name for name in RESERVED_NAMES}


def reserved_name(reference: str) -> str | None:
    """The reserved page name ``reference`` would take the address of, or None.

    Addresses are matched as ``/foi/<reference>`` is looked up: without regard to case
    (by the upper-cased reference), with or without the ``.json`` of its JSON twin.
    """
    key = reference.upper()
    for suffix in ADDRESS_SUFFIXES:
        key = key.removesuffix(suffix.upper())
    return RESERVED_KEYS.get(key)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def outcome_slug(value: str) -> str | None:
    """The outcome's slug from its slug or its words, dashes and case forgiven."""
    text = value.strip().lower().replace("–", "-").replace("—", "-")
    if text in OUTCOMES:
        return text
    wanted = slugify(text)
    for slug, label in OUTCOMES.items():
        if slugify(label) == wanted or slug == wanted:
            return slug
    return None
