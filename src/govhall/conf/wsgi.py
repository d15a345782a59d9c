"""WSGI entry point: `gunicorn govhall.conf.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govhall.conf.settings")
application = get_wsgi_application()
