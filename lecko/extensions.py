"""Flask extensions, created unbound and bound to the app in create_app()."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every model."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)  # SQLite alters tables by copying them
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
