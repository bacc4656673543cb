"""Email templates: the list, the editor with its versions, saving and restoring a version.

Every save is a new version (``retention.template_store``); the newest one is what triggers
send. The editor's live preview and test send are in ``template_previews``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from retention.emails import TemplateError
from retention.models import EmailTemplate, TemplateVersion
from retention.template_store import compiled, save_version
from retention.vocabulary import TriggerKind
from shopcore.admin.access import current_user, requires
from shopcore.admin.base import MAX_ID, blueprint, db_session, run, settings
from shopcore.admin.forms import Form
from shopcore.admin.preview_choice import PreviewChoice, read_choice
from shopcore.admin.template_queries import (
    find_version,
    template_kind,
    template_rows,
    triggers_using,
    versions_of,
)
from shopcore.admin.template_samples import Sample, render_sample
from shopcore.enums import Role

log = logging.getLogger(__name__)

TEMPLATE = f"/templates/<int(max={MAX_ID}):template_id>"
VERSION = f"{TEMPLATE}/versions/<int(max={MAX_ID}):version>"
KINDS = [(k.value, k.value.replace("_", " ")) for k in TriggerKind]
# A new template starts from this unless it copies another one.
STARTER = """<mjml>
  <mj-head>
    <mj-title>News from {{ shop.name }}</mj-title>
  </mj-head>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>Hello {{ customer.first_name or "there" }},</mj-text>
        <mj-button href="{{ shop_url }}">Visit the shop</mj-button>
        <mj-text font-size="12px"><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
"""


@blueprint.route("/templates", methods=["GET", "POST"])
@requires(Role.VIEWER)
def templates() -> tuple[str, int] | Response:
    """Templates by name: newest version, subject and the triggers that send them; add one."""
    form = Form(request.form if request.method == "POST" else {})
    if request.method == "POST":
        created = _create(form)
        if created is not None:
            return redirect(url_for("admin.template", template_id=created))
    rows = template_rows(db_session())
    page = render_template("templates.html", rows=rows, form=form)
    return page, 200 if form.ok else 422


@blueprint.route(TEMPLATE, methods=["GET", "POST"])
@requires(Role.VIEWER)
def template(template_id: int) -> tuple[str, int] | Response:
    """The editor: the newest version's MJML, a live preview, the versions; POST saves."""
    found = _template(template_id)
    if request.method == "GET":
        return editor_page(found)
    mjml = draft_text()
    try:
        saved = _save(found.name, mjml)
    except TemplateError as e:
        return editor_page(found, draft=mjml, error=e)
    log.info("%s saved template %s version %s", _author(), found.name, saved.version)
    flash(f"Saved as version {saved.version}.", "ok")
    return redirect(url_for("admin.template", template_id=template_id, **_choice_args()))


@blueprint.get(VERSION)
@requires(Role.VIEWER)
def template_version(template_id: int, version: int) -> str:
    """One saved version: its MJML and its preview, and a button to restore it."""
    found = _template(template_id)
    db = db_session()
    shown = find_version(db, template_id, version)
    if shown is None:
        abort(404)
    choice = read_choice(db, request.args, kind=template_kind(triggers_using(db, template_id)))
    return render_template(
        "template_version.html", template=found, shown=shown, choice=choice, kinds=KINDS
    )


@blueprint.post(f"{VERSION}/restore")
@requires(Role.MANAGER)
def restore_template_version(template_id: int, version: int) -> Response:
    """Save an old version again as the newest one."""
    found = _template(template_id)
    old = find_version(db_session(), template_id, version)
    if old is None:
        abort(404)
    try:
        saved = _save(found.name, old.mjml)
    except TemplateError as e:
        flash(f"Version {version} cannot be restored: {e}", "error")
    else:
        log.info("%s restored %s version %s", _author(), found.name, version)
        flash(f"Version {version} restored as version {saved.version}.", "ok")
    return redirect(url_for("admin.template", template_id=template_id))


def editor_page(
    found: EmailTemplate,
    *,
    draft: str | None = None,
    error: TemplateError | None = None,
    notice: tuple[str, str] | None = None,
) -> tuple[str, int]:
    """The editor of ``found``, showing ``draft`` (else the newest version) and any error."""
    db = db_session()
    used_by = triggers_using(db, found.id)
    versions: list[TemplateVersion] = versions_of(db, found.id)
    newest = versions[0] if versions else None
    choice = read_choice(db, request.values, kind=template_kind(used_by))
    sample, sample_error = _sample(newest, choice) if newest else (None, None)
    page = render_template(
        "template.html",
        template=found,
        versions=versions,
        newest=newest,
        sample=sample,
        sample_error=sample_error,
        mjml=draft if draft is not None else newest.mjml if newest else "",
        is_draft=draft is not None,
        error=error,
        notice=notice,
        used_by=used_by,
        choice=choice,
        kinds=KINDS,
    )
    return page, 422 if error is not None or not choice.form.ok else 200


def _sample(version: TemplateVersion, choice: PreviewChoice) -> tuple[Sample | None, str | None]:
    """The saved version rendered for the chosen customer, or why it cannot be."""
    try:
        sample = render_sample(
            db_session(), settings(), compiled(version), choice.customer, choice.kind
        )
    except TemplateError as e:
        return None, str(e)
    return sample, None


def draft_text() -> str:
    """The submitted MJML, with the browser's CRLF line ends made plain, so lines count true."""
    return request.form.get("mjml", "").replace("\r\n", "\n")


def _template(template_id: int) -> EmailTemplate:
    found = db_session().get(EmailTemplate, template_id)
    if found is None:
        abort(404)
    return found


def _create(form: Form) -> int | None:
    """Add the template the form names; its id, or None with the form's errors set."""
    name = form.text("name", max_length=100, required=True)
    copy_from = form.whole("copy_from", minimum=1, maximum=MAX_ID)
    db = db_session()
    source = db.get(EmailTemplate, copy_from) if copy_from is not None else None
    if copy_from is not None and source is None:
        form.error("copy_from", "No such template.")
    if not form.ok or name is None:
        return None
    newest = versions_of(db, source.id)[:1] if source is not None else []
    mjml = newest[0].mjml if newest else STARTER
    author = _author()

    def create(session: Session) -> TemplateVersion:
        # save_version adds to a template of that name: a new one must not have one yet.
        if session.scalar(select(EmailTemplate.id).where(EmailTemplate.name == name)):
            raise _NameTaken(name)
        return save_version(session, name, mjml, author=author)

    try:
        created = run(create)
    except _NameTaken:
        form.error("name", "A template has this name.")
        return None
    except TemplateError as e:
        form.error("copy_from", f"That template does not compile any more: {e}")
        return None
    log.info("%s added template %s", _author(), name)
    flash(f"Template {name} added.", "ok")
    return created.template_id


class _NameTaken(ValueError):
    """A template has this name already."""


def _save(name: str, mjml: str) -> TemplateVersion:
    """Keep ``mjml`` as the newest version of template ``name``; raises TemplateError."""
    # Read before ``run``: it ends the request's transaction, and on SQLite a lazy load
    # inside it would wait for the write lock that ``run`` itself holds.
    author = _author()
    return run(lambda session: save_version(session, name, mjml, author=author))


def _author() -> str | None:
    user = current_user()
    return user.email if user else None


def _choice_args() -> dict[str, Any]:
    return {name: request.form[name] for name in ("customer", "kind") if request.form.get(name)}
