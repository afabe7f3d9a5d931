"""Confirmation of findings by loading their artifacts in a limited subprocess (no framework import here)."""

from preplint.confirm.audit import audit_artifact, render_audit_text
from preplint.confirm.planner import ConfirmOptions, confirm_diagnostics, no_artifact_reason

__all__ = [
    "ConfirmOptions",
    "audit_artifact",
    "confirm_diagnostics",
    "no_artifact_reason",
    "render_audit_text",
]
