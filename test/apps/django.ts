/**
 * A minimal Django project (startproject-like, written by hand so no tool runs): settings read the
 * database from DATABASE_URL or DB_* variables, one app `items` with a model and migrations, a page
 * that counts rows and a health view. requirements.txt names only packages Debian ships
 * (python3-django, python3-psycopg2), so pip in a `--system-site-packages` venv fetches nothing.
 * Version 2 adds a migration (a nullable column), so its schema state differs from version 1's.
 */
import type { AppFiles } from "./index.js";

const manage = (module: string) => `#!/usr/bin/env python3
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "${module}.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
`;

const settings = (module: string) => `import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("SECRET_KEY", "not-a-secret-test-key")
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.staticfiles", "items"]
MIDDLEWARE = []
ROOT_URLCONF = "${module}.urls"
WSGI_APPLICATION = "${module}.wsgi.application"
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _database():
    url = os.environ.get("DATABASE_URL")
    if url:
        u = urlsplit(url)
        return {
            "HOST": u.hostname or "",
            "PORT": str(u.port or ""),
            "NAME": unquote(u.path.lstrip("/")),
            "USER": unquote(u.username or ""),
            "PASSWORD": unquote(u.password or ""),
        }
    return {
        "HOST": os.environ.get("DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("DB_PORT", "5432"),
        "NAME": os.environ.get("DB_NAME", "app"),
        "USER": os.environ.get("DB_USER", "app"),
        "PASSWORD": os.environ.get("DB_PASSWORD", ""),
    }


DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", **_database()}}
`;

const URLS = `from django.urls import path

from items import views

urlpatterns = [path("", views.index), path("health", views.health)]
`;

const wsgi = (module: string) => `import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "${module}.settings")
application = get_wsgi_application()
`;

const VIEWS = `from pathlib import Path

from django.db import connection
from django.http import HttpResponse

from items.models import Item

VERSION = (Path(__file__).resolve().parent.parent / "VERSION").read_text().strip()


def index(request):
    return HttpResponse(f"django app v{VERSION}: {Item.objects.count()} items\\n", content_type="text/plain")


def health(request):
    with connection.cursor() as c:
        c.execute("SELECT 1")
    return HttpResponse("ok\\n", content_type="text/plain")
`;

const APPS = `from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "items"
`;

const MIGRATION_1 = `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Item",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100)),
            ],
        ),
    ]
`;

const MIGRATION_2 = `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("items", "0001_initial")]
    operations = [migrations.AddField(model_name="item", name="note", field=models.CharField(blank=True, max_length=50, null=True))]
`;

const model = (v: number) => `from django.db import models


class Item(models.Model):
    name = models.CharField(max_length=100)
${v >= 2 ? "    note = models.CharField(max_length=50, null=True, blank=True)\n" : ""}`;

/** The project's files at `version` (1 or 2); `module` is the project package (the preset's `django_module`). */
export function djangoApp(version: number, module = "shipyard"): AppFiles {
  return {
    VERSION: `${version}\n`,
    "manage.py": manage(module),
    "requirements.txt": "Django\npsycopg2\n",
    [`${module}/__init__.py`]: "",
    [`${module}/settings.py`]: settings(module),
    [`${module}/urls.py`]: URLS,
    [`${module}/wsgi.py`]: wsgi(module),
    "items/__init__.py": "",
    "items/apps.py": APPS,
    "items/models.py": model(version),
    "items/views.py": VIEWS,
    "items/static/items/app.css": `body { color: #${version}${version}${version}; }\n`,
    "items/migrations/__init__.py": "",
    "items/migrations/0001_initial.py": MIGRATION_1,
    "items/migrations/0002_item_note.py": version >= 2 ? MIGRATION_2 : null,
  };
}
