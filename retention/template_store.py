"""Email templates kept as versions: saved once compiled, read back compiled for rendering."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retention.emails import CompiledTemplate, TemplateError, compile_template
from retention.models import EmailTemplate, TemplateVersion


def save_version(
    session: Session, name: str, mjml: str, *, author: str | None = None
) -> TemplateVersion:
    """Compile ``mjml`` and keep it as the newest version of template ``name``; flushes.

    Raises TemplateError (with the author's line) when it does not compile or has no subject.
    """
    compiled = compile_template(mjml)
    if not compiled.subject or not compiled.subject.strip():
        raise TemplateError("add an <mj-title> in <mj-head>: it is the email's subject")
    template = session.scalar(select(EmailTemplate).where(EmailTemplate.name == name))
    if template is None:
        template = EmailTemplate(name=name)
        session.add(template)
        session.flush()
    newest = session.scalar(
        select(func.max(TemplateVersion.version)).where(TemplateVersion.template_id == template.id)
    )
    version = TemplateVersion(
        template_id=template.id,
        version=(newest or 0) + 1,
        mjml=mjml,
        html=compiled.html,
        subject=compiled.subject.strip(),
        author=author,
    )
    session.add(version)
    session.flush()
    return version


def latest_versions(session: Session, template_ids: set[int]) -> dict[int, TemplateVersion]:
    """The newest version of each template, by template id."""
    if not template_ids:
        return {}
    newest = (
        select(TemplateVersion.template_id, func.max(TemplateVersion.version).label("version"))
        .where(TemplateVersion.template_id.in_(template_ids))
        .group_by(TemplateVersion.template_id)
        .subquery()
    )
    rows = session.scalars(
        select(TemplateVersion).join(
            newest,
            (TemplateVersion.template_id == newest.c.template_id)
            & (TemplateVersion.version == newest.c.version),
        )
    )
    return {version.template_id: version for version in rows}


def compiled(version: TemplateVersion) -> CompiledTemplate:
    """The compiled form of a stored version; the sandbox keeps its parsed code by text."""
    return CompiledTemplate(html=version.html, subject=version.subject)
