"""The unbound extension objects, initialised by ``create_app``."""

from flask_compress import Compress
from flask_wtf.csrf import CSRFProtect

from webapp.database import Database

db = Database()
csrf = CSRFProtect()
compress = Compress()
