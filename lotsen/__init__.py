"""Lotsen: volunteer interpreter and integration guide pools for integration offices."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Flask is imported when an app is built, so pure modules (matching rules) stay pure
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app: load config, bind extensions, register blueprints and CLI. Nothing else."""
    from flask import Flask

    import config
    from lotsen import api, cli, db, i18n, security, web
    from lotsen.extensions import babel, csrf, limiter, login_manager
    from lotsen.i18n import _l, check_languages, select_locale

    settings = config.load()
    settings.update(overrides or {})
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"))
    app.config.update(settings)
    check_languages(app.config["LANGUAGES"], app.config["DEFAULT_LOCALE"])
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        BABEL_DEFAULT_LOCALE=app.config["DEFAULT_LOCALE"],
        BABEL_DEFAULT_TIMEZONE=app.config["TIMEZONE"],
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=app.config["REMEMBER_DAYS"]),  # "stay signed in", no longer
        SESSION_COOKIE_PATH="/",
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,  # uploads (volunteer lists) are refused beyond this, before reading
    )
    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    db.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    babel.init_app(app, locale_selector=select_locale)
    i18n.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    web.init_app(app)
    security.init_app(app)
    _register_blueprints(app)
    api.init_app(app)
    _register_template_helpers(app)
    cli.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from lotsen.assignments import volunteer_views  # noqa: F401  (adds its routes to assignments_bp)
    from lotsen.assignments.views import bp as assignments_bp
    from lotsen.audit.views import bp as audit_bp
    from lotsen.auth import security_views  # noqa: F401  (adds its routes to auth_bp)
    from lotsen.auth.user_views import bp as users_bp
    from lotsen.auth.views import bp as auth_bp
    from lotsen.billing import month_views  # noqa: F401  (adds its routes to billing_bp)
    from lotsen.billing.views import bp as billing_bp
    from lotsen.geo.views import bp as places_bp
    from lotsen.health import bp as health_bp
    from lotsen.home.views import bp as home_bp
    from lotsen.matching.views import bp as matching_bp
    from lotsen.notifications.views import bp as notifications_bp
    from lotsen.offices.views import agencies_bp
    from lotsen.offices.views import bp as offices_bp
    from lotsen.reports.views import bp as reports_bp
    from lotsen.requests.views import bp as requests_bp
    from lotsen.volunteers import (  # noqa: F401
        availability_views,
        coordinator_views,
        import_views,
        privacy_views,  # (these add their routes to volunteers_bp)
    )
    from lotsen.volunteers.views import bp as volunteers_bp

    for blueprint in (home_bp, auth_bp, users_bp, offices_bp, agencies_bp, audit_bp, volunteers_bp, places_bp,
                      requests_bp, matching_bp, assignments_bp, billing_bp, reports_bp, notifications_bp, health_bp):
        app.register_blueprint(blueprint)


def _register_template_helpers(app: Flask) -> None:
    from flask import has_request_context
    from flask_babel import format_date, format_decimal, get_locale
    from lotsen.forms import Form

    from lotsen import languages
    from lotsen.urls import path_of
    from lotsen.auth.models import Role
    from lotsen.billing import explain
    from lotsen.i18n import language_names, language_of, text_direction, time_until, when

    @app.context_processor
    def layout_context():
        locale = language_of(get_locale() or app.config["DEFAULT_LOCALE"])
        names = language_names()
        return {
            "current_locale": locale,
            "text_direction": text_direction(locale),
            "language_names": names,
            "directions": {code: text_direction(code) for code in names},
            "Role": Role,
            # Only for its CSRF token; never reads the request. (Mails rendered by the worker have no request.)
            "blank_form": Form(formdata=None) if has_request_context() else None,
        }

    app.jinja_env.globals["language_name"] = languages.name
    app.jinja_env.globals["path_of"] = path_of
    app.jinja_env.globals["variety_name"] = languages.variety_name

    app.jinja_env.filters["datetime"] = when
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["money"] = explain.money
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.filters["duration"] = explain.duration
    app.jinja_env.filters["timedelta"] = time_until
