/** `preset: django`: a virtualenv, collectstatic, migrate, gunicorn (or uvicorn) and a celery worker. */
import { type Preset, PresetValueError } from "./types.js";

const SERVERS = ["gunicorn", "uvicorn"] as const;

/** The app name as a Python module name (`my-site` → `my_site`), the default project package. */
export function pythonModule(app: string): string {
  const m = app.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(m) ? `_${m}` : m;
}

const moduleOf = (c: { vars: Record<string, unknown> }) => String(c.vars.django_module);

export const django: Preset = {
  name: "django",
  summary: "Django: a virtualenv from requirements.txt, collectstatic, manage.py migrate, gunicorn (or uvicorn) and a celery worker.",
  defaults: {
    shared: { dirs: ["media"] },
    dependencies: [
      {
        path: "venv",
        lockfile: "requirements.txt",
        install: "python3 -m venv --system-site-packages venv && venv/bin/pip install -r requirements.txt",
      },
    ],
    build: ["venv/bin/python manage.py collectstatic --noinput"],
    migrate: ["venv/bin/python manage.py migrate --noinput"],
    env: { PORT: "8000", PYTHONUNBUFFERED: "1" },
    vars: { django_server: "gunicorn" },
    services: {
      web: {
        backend: "supervisord",
        roles: ["web"],
        health: { http: "http://127.0.0.1:{{ PORT }}/", timeout: 30 },
      },
      worker: { backend: "supervisord", roles: ["worker"] },
    },
  },
  computed: {
    "vars.django_module": { doc: "the app name as a Python module (`my-site` → `my_site`)", value: (c) => pythonModule(c.app) },
    "services.web.command": {
      doc: "gunicorn: `venv/bin/python -m gunicorn <django_module>.wsgi --bind 127.0.0.1:{{ PORT }}`; uvicorn: `venv/bin/python -m uvicorn <django_module>.asgi:application --host 127.0.0.1 --port {{ PORT }}`",
      value: (c) => {
        const server = c.vars.django_server;
        if (server === "gunicorn") return `venv/bin/python -m gunicorn ${moduleOf(c)}.wsgi --bind 127.0.0.1:{{ PORT }}`;
        if (server === "uvicorn") return `venv/bin/python -m uvicorn ${moduleOf(c)}.asgi:application --host 127.0.0.1 --port {{ PORT }}`;
        throw new PresetValueError(["vars", "django_server"], `expected ${SERVERS.join(" | ")} (preset django), got ${JSON.stringify(server)}`);
      },
    },
    "services.worker.command": {
      doc: "`venv/bin/python -m celery -A <django_module> worker --loglevel INFO`",
      value: (c) => `venv/bin/python -m celery -A ${moduleOf(c)} worker --loglevel INFO`,
    },
  },
  schemaStatus: "venv/bin/python manage.py showmigrations",
  notes: {
    "shared.dirs": "MEDIA_ROOT (user uploads) must outlive releases: point it at `media` in the release.",
    dependencies:
      "One virtualenv per requirements.txt, reused while it is unchanged. `--system-site-packages` lets Debian's python3-* packages count, so a host without internet access can still install.",
    build: "Static files are collected into each release (set STATIC_ROOT inside the project); `build: []` skips it.",
    migrate: "Runs once on the primary, after every host has built and before the switch; a database's `backups.before_migrate` dump runs right before it.",
    "env.PORT": "The port the web service binds on 127.0.0.1 (a host's `env: { PORT: ... }` wins), also used by the health check.",
    "env.PYTHONUNBUFFERED": "Log lines reach the service log at once instead of in 4 KiB blocks.",
    "vars.django_server": "`gunicorn` (WSGI) or `uvicorn` (ASGI): picks `services.web.command`. Set it at the top level.",
    "vars.django_module": "The project package holding wsgi.py/asgi.py and celery.py. Set it at the top level when it is not named like the app.",
    "services.web":
      "The web server under supervisord on hosts with role `web`; healthy when `GET /` answers 200 (include 127.0.0.1 in ALLOWED_HOSTS, or set `services.web.health.http` to your health URL). gunicorn reads WEB_CONCURRENCY for its worker count.",
    "services.web.command":
      "Chosen by `vars.django_server`; `--bind 127.0.0.1` keeps it behind your reverse proxy. Started with `python -m`: a `--system-site-packages` venv has no venv/bin/gunicorn when gunicorn comes from the system packages, `python -m` finds it either way.",
    "services.worker": "A celery worker on hosts with role `worker`; `services: { worker: null }` removes it when the app has no celery.",
    "services.worker.command": "`-A <django_module>` loads the project's celery app (`<django_module>/celery.py`).",
    schema_status: "Recorded with each release so `rollback` can tell whether the schema changed since the target release.",
  },
  aliases: {
    manage: { command: "venv/bin/python manage.py", role: "web", interactive: true },
  },
};
