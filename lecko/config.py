"""Built-in defaults. Override them in instance/config.py, then with the environment
(DATABASE_URL, FLASK_<KEY>), then in tests with a mapping."""

# SQLite in the instance folder unless DATABASE_URL names another engine; the factory
# fills the path in because the instance folder is only known there.
SQLALCHEMY_DATABASE_URI = None

# Seconds a SQLite writer waits for the lock before giving up: comments arrive in bursts.
SQLITE_BUSY_TIMEOUT = 5

# The site's fallback language and timezone; the admin changes them in settings.
BABEL_DEFAULT_LOCALE = "fr"
BABEL_DEFAULT_TIMEZONE = "Europe/Paris"

# max-age sent to browsers and proxies on anonymous pages; 0 means "revalidate every
# time", which our ETags make cheap and which never shows a stale comment list.
CACHE_MAX_AGE = 0

# Largest request body accepted (uploads included): beyond it the reader gets a 413 page.
MAX_CONTENT_LENGTH = 16 * 1024 * 1024

# CSRF tokens last as long as the session: an editor may write for hours before saving.
WTF_CSRF_TIME_LIMIT = None

# Cookies cannot be read by scripts and are not sent on cross-site posts.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Set FLASK_SESSION_COOKIE_SECURE=true behind HTTPS.
SESSION_COOKIE_SECURE = False
# The "stay signed in" cookie follows the same rules (Flask-Login sends it without
# SameSite by default); its Secure flag follows SESSION_COOKIE_SECURE unless set.
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"

# How many reverse proxies (nginx…) stand in front: their X-Forwarded-For/-Proto/-Host are
# trusted that many hops deep, so throttling sees the reader's address. 0 = none.
TRUSTED_PROXIES = 0

# Failed sign-ins allowed within the window (minutes): per account from browsers it does
# not know (wherever they are: 20 guesses an hour at most), and per browser it knows (a
# signed device cookie, LOGIN_DEVICE_DAYS long), so strangers cannot lock the owner out…
LOGIN_MAX_FAILURES = 5
LOGIN_FAILURE_WINDOW = 15
# …and per address, whatever the account, for browsers no account knows.
LOGIN_ADDRESS_MAX_FAILURES = 10
LOGIN_DEVICE_DAYS = 365

# Level of the blog's own log lines, written to stderr (journald under systemd). None keeps
# Python's default: warnings and errors. INFO adds the notes, and the mails written to the
# log while MAIL_SERVER is not set (FLASK_LOG_LEVEL=INFO).
LOG_LEVEL = None

# Jinja recompiles nothing in production; the dev server turns this on itself.
TEMPLATES_AUTO_RELOAD = False

# Outgoing mail (comment notices). No MAIL_SERVER: mails are written to the log instead,
# so a fresh install works without any mail set-up.
MAIL_SERVER = None
MAIL_PORT = 25
# STARTTLS after connecting (usually port 587)…
MAIL_USE_TLS = False
# …or TLS from the first byte (usually port 465).
MAIL_USE_SSL = False
# Credentials, when the server asks for them (never commit them: use instance/config.py).
MAIL_USERNAME = None
MAIL_PASSWORD = None
# The From of every mail; many servers refuse a sender outside their own domain.
MAIL_SENDER = "Lecko blog <blog@localhost>"
# Seconds to wait for the mail server: a reader's request waits while a notice is sent.
MAIL_TIMEOUT = 10

# The blog's public address (https://blog.example.fr). Every absolute link (mails, feeds,
# canonical links) is built on it, never on the Host a request names, and requests for
# another host get a 400. Required once MAIL_SERVER is set (the blog refuses to start
# otherwise). Unset, as under `make run`: only localhost and 127.0.0.1 are answered.
SITE_URL = None
# Other host names the blog answers to (www.…, an old domain that redirects): a list, or
# one string separated by commas (FLASK_ALLOWED_HOSTS). ".example.fr" takes subdomains.
ALLOWED_HOSTS = []

# Seconds the approve/spam links of a moderation mail stay valid (7 days): a forwarded or
# leaked mail must not moderate forever. Unsubscribe links never expire.
COMMENT_LINK_MAX_AGE = 7 * 24 * 3600

# Anonymous readers' pages are kept in each worker's memory, keyed on the content version
# read from the database on every request (so any change, made anywhere, empties them).
# Turn off to measure or debug full renders: FLASK_PAGE_CACHE_ENABLED=false.
PAGE_CACHE_ENABLED = True
# Bounds of that cache per worker: pages kept (least recently used go first)…
PAGE_CACHE_MAX_ENTRIES = 500
# …and their total size in bytes, so a worker stays small whatever readers ask for.
PAGE_CACHE_MAX_BYTES = 8 * 1024 * 1024
