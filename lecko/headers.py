"""Security headers on every response: defence in depth behind the sanitizer."""

from flask import Flask, Response

from .embeds import FRAME_SOURCES

# No inline scripts or styles anywhere: JSON-LD is data, not script, so CSP allows it.
# Frames: only the players of lecko/embeds.py, on their providers' privacy-enhanced
# domains, which static/js/embeds.js adds when a reader asks for one.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-src " + " ".join(FRAME_SOURCES),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

# Uploaded files opened on their own may do nothing: no script, style, form or plugin,
# whatever a file turns out to be (`sandbox` also gives it an origin of its own).
# deploy/nginx.conf sends the same for /media/; tests/test_deploy.py checks they agree.
MEDIA_CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "sandbox",
))

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def register(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
