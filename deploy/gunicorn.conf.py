"""gunicorn's settings for the blog, read by deploy/lecko.service:
`gunicorn --config /srv/lecko/deploy/gunicorn.conf.py app:app` (docs/operations.md).
A setting given on the command line or in GUNICORN_CMD_ARGS wins over this file."""

# nginx (deploy/nginx.conf) proxies to this address; nothing else should reach it.
bind = "127.0.0.1:8000"
# Sync workers: two or three per core. Each keeps its own page cache (PAGE_CACHE_MAX_BYTES).
workers = 3
# Recycled now and then, at different moments, so that no worker grows for ever.
max_requests = 5000
max_requests_jitter = 500
# Requests longer than this are killed: an upload of MAX_CONTENT_LENGTH on a slow line
# still fits, a stuck request does not hold a worker for ever.
timeout = 60
graceful_timeout = 30
# Access and error lines go to stdout and stderr, which systemd hands to journald
# (`journalctl -u lecko`): no log file to rotate.
accesslog = "-"
errorlog = "-"
loglevel = "info"
# The X-Forwarded-* headers are read by the app alone, as many hops deep as its
# TRUSTED_PROXIES setting says (werkzeug's ProxyFix). gunicorn must believe none of them
# itself: by default it trusts X-Forwarded-Proto from 127.0.0.1 whatever TRUSTED_PROXIES
# says, and TRUSTED_PROXIES=0 would not stop a request from calling itself HTTPS.
forwarded_allow_ips = ""
# gunicorn 25.1+ opens a control socket in $HOME/.gunicorn, which the service may not
# write (ProtectSystem=strict): an error at every start. None; `systemctl reload lecko`
# does what the service needs (older gunicorn ignores this setting).
control_socket_disable = True
