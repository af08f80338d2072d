"""Liveness and readiness for load balancers and operators."""

from flask import Blueprint, jsonify

from app.health.services import check_services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    report = check_services()
    status = 200 if report["ok"] else 503
    return jsonify(report), status
