"""Flask extensions, created unbound and attached to the app in create_app."""

from flask import request
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from amf.db import Base

# A request's session ends with the request, and services commit just before the view renders
# what they changed: expiring everything at commit would make that rendering re-read each row
# it touches. Code that must see other transactions' writes locks and re-reads explicitly
# (amf.registration.seats.lock_registration uses populate_existing).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
csrf = CSRFProtect()
mail = Mail()
# Storage comes from RATELIMIT_STORAGE_URI: memory:// by default, redis://... in production.
limiter = Limiter(key_func=get_remote_address)


@limiter.request_filter
def _reads_are_never_limited() -> bool:
    """Every limit is on a form post, so reads (feed polls, pages) skip the limiter early."""
    return request.method in ("GET", "HEAD", "OPTIONS")


# Built feeds and pages shared between instances: CACHE_TYPE (RedisCache in production).
cache = Cache()
# Organiser sign-in; amf.accounts configures the loader and the login view.
login_manager = LoginManager()
